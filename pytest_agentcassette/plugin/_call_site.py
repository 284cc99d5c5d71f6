"""Where a request that had nothing to replay was sent from, as a mismatch shows it."""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

import pytest

from pytest_agentcassette._errors import CassetteMismatchError
from pytest_agentcassette.plugin._settings import node_for_command

__all__ = ["call_site"]

# This plugin, and the agent core it ships with (an installed package's code, too).
_OURS = (str(Path(__file__).parents[1]), str(Path(__file__).parents[2] / "agentcore"))
_LIBRARIES = tuple(
    {sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def call_site(item: pytest.Item, error: CassetteMismatchError) -> str:
    """``sent from: tests/test_x.py:12``: the test function's line that led to the request.
    A request sent by a thread of its own (a streamed or background run) names the thread,
    where in the code it was sent, and the test's line meanwhile. Failing these, the
    innermost line of the test file on the stack, or of the user's code.
    """
    test_file = str(item.path)
    function = getattr(item, "originalname", item.name)
    module = node_for_command(item).partition("::")[0]
    in_file = [frame for frame in error.stack if frame.filename == test_file]
    in_test = [frame for frame in in_file if frame.name == function]
    if in_test:
        return f"\n  sent from:   {module}:{in_test[-1].lineno}"
    origin = _user_frame(error.stack, item.config.invocation_params.dir)
    thread = f"thread {error.thread!r}" + (f", {origin}" if origin else "")
    waiting = [f for f in error.main_stack if f.filename == test_file and f.name == function]
    if waiting:
        return f"\n  sent from:   {module}:{waiting[-1].lineno} (by {thread}, meanwhile)"
    if in_file:
        return f"\n  sent from:   {module}:{in_file[-1].lineno}"
    return f"\n  sent from:   {origin} ({error.thread!r})" if origin else ""


def _user_frame(stack: list[traceback.FrameSummary], cwd: Path) -> str:
    """``src/agent.py:88``: the innermost line of the user's own code on ``stack`` (not the
    standard library's, an installed package's or this plugin's), relative to ``cwd``.
    """
    for frame in reversed(stack):
        name = frame.filename
        if name.startswith(("<", *_OURS, *_LIBRARIES)):
            continue
        try:
            shown = str(Path(name).relative_to(cwd))
        except ValueError:
            shown = name
        return f"{shown}:{frame.lineno}"
    return ""
