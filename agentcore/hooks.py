"""An agent's ``hooks``: shell commands run around tool calls and where the user is asked
for input, as cagent's ``pkg/hooks`` runs them.

Each hook gets the event as JSON on stdin (``session_id``, ``cwd``, ``hook_event_name``, and
for tool events ``tool_name``, ``tool_use_id`` and ``tool_input``) and runs with
``$SHELL -c`` in the working directory; the hooks of one event run in parallel, each the
first time its command is listed. Exit code 2 blocks (stderr is the reason); a JSON object
on stdout may block (``continue: false``, ``decision: "block"``, or a ``pre_tool_use``
``hook_specific_output.permission_decision: "deny"``), replace the tool's arguments
(``updated_input``) or carry a ``system_message``. Other exit codes and failures are
ignored.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore.config.model import HookCommand, HookMatcher, Hooks
from agentcore.tools.base import go_json, go_sorted

__all__ = ["BLOCKED", "HookResult", "HookRunner"]

BLOCKED = "Tool call blocked by hook: {message}"
"""The tool result of a call a ``pre_tool_use`` hook blocked (cagent's wording)."""
DEFAULT_TIMEOUT = 60


@dataclass
class HookResult:
    """What the hooks of one event decided, merged as cagent merges them."""

    allowed: bool = True
    message: str = ""
    modified_input: dict[str, Any] | None = None
    additional_context: str = ""
    system_message: str = ""


@dataclass(frozen=True)
class _Run:
    output: dict[str, Any] | None
    stdout: str
    stderr: str
    status: int


def _matches(matcher: HookMatcher, tool: str) -> bool:
    if matcher.matcher in ("", "*"):
        return True
    return re.fullmatch(f"(?:{matcher.matcher})", tool) is not None


@dataclass
class HookRunner:
    """Runs one agent's hooks for a session: ``session_id`` and ``cwd`` go in every input."""

    hooks: Hooks
    session_id: str
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def pre_tool_use(self, tool: str, call_id: str, arguments: str) -> HookResult:
        """The ``pre_tool_use`` hooks whose matcher matches ``tool``."""
        found = [h for m in self.hooks.pre_tool_use if _matches(m, tool) for h in m.hooks]
        return self._tool_event("pre_tool_use", found, tool, call_id, arguments)

    def post_tool_use(self, tool: str, call_id: str, arguments: str) -> HookResult:
        """The ``post_tool_use`` hooks whose matcher matches ``tool``."""
        found = [h for m in self.hooks.post_tool_use if _matches(m, tool) for h in m.hooks]
        return self._tool_event("post_tool_use", found, tool, call_id, arguments)

    def on_user_input(self) -> HookResult:
        """The ``on_user_input`` hooks (the user is about to be asked, or the turn ended)."""
        return self._run("on_user_input", self.hooks.on_user_input, {})

    def _tool_event(
        self, event: str, hooks: list[HookCommand], tool: str, call_id: str, arguments: str
    ) -> HookResult:
        try:
            parsed = json.loads(arguments)
        except ValueError:
            parsed = None
        extra: dict[str, Any] = {"tool_name": tool, "tool_use_id": call_id}
        if isinstance(parsed, dict) and parsed:
            extra["tool_input"] = go_sorted(parsed)
        return self._run(event, hooks, extra)

    def _run(
        self, event: str, hooks: list[HookCommand] | tuple[HookCommand, ...], extra: dict[str, Any]
    ) -> HookResult:
        unique: dict[str, HookCommand] = {}
        for hook in hooks:
            unique.setdefault(f"{hook.type}:{hook.command}", hook)
        if not unique:
            return HookResult()
        payload = {"session_id": self.session_id, "cwd": str(self.cwd), "hook_event_name": event}
        data = go_json({**payload, **extra}, sort_keys=False).encode("utf-8")
        with ThreadPoolExecutor(max_workers=len(unique)) as pool:
            runs = list(pool.map(lambda hook: self._execute(hook, data), unique.values()))
        return _aggregate([run for run in runs if run is not None], event)

    def _execute(self, hook: HookCommand, data: bytes) -> _Run | None:
        """One hook's run; None when it could not start."""
        shell = os.environ.get("SHELL") or "/bin/sh"
        try:
            process = subprocess.Popen(
                [shell, "-c", hook.command],
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError:
            return None
        try:
            out, err = process.communicate(data, timeout=hook.timeout or DEFAULT_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            return _Run(None, out.decode(errors="replace"), err.decode(errors="replace"), -1)
        stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
        return _Run(
            _output(stdout) if process.returncode == 0 else None, stdout, stderr, process.returncode
        )


def _output(stdout: str) -> dict[str, Any] | None:
    """The hook's JSON answer, if its stdout is a JSON object."""
    text = stdout.strip()
    if not text.startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _aggregate(runs: list[_Run], event: str) -> HookResult:
    """The hooks' answers merged: any block blocks, messages and contexts joined."""
    result = HookResult()
    messages: list[str] = []
    contexts: list[str] = []
    system: list[str] = []
    for run in runs:
        if run.status == 2:
            result.allowed = False
            if run.stderr:
                messages.append(run.stderr.strip())
            continue
        if run.status != 0:
            continue
        if run.output is None:
            if run.stdout and event in ("session_start", "post_tool_use"):
                contexts.append(run.stdout.strip())
            continue
        _read_output(run.output, event, result, messages, contexts, system)
    result.message = "\n".join(messages)
    result.additional_context = "\n".join(contexts)
    result.system_message = "\n".join(system)
    return result


def _read_output(
    output: dict[str, Any],
    event: str,
    result: HookResult,
    messages: list[str],
    contexts: list[str],
    system: list[str],
) -> None:
    """One hook's JSON answer, into ``result``."""
    if output.get("continue") is False:
        result.allowed = False
        if output.get("stop_reason"):
            messages.append(str(output["stop_reason"]))
    if output.get("decision") == "block":
        result.allowed = False
        if output.get("reason"):
            messages.append(str(output["reason"]))
    if output.get("system_message"):
        system.append(str(output["system_message"]))
    specific = output.get("hook_specific_output")
    if not isinstance(specific, dict):
        return
    if event == "pre_tool_use":
        if specific.get("permission_decision") == "deny":
            result.allowed = False
            if specific.get("permission_decision_reason"):
                messages.append(str(specific["permission_decision_reason"]))
        updated = specific.get("updated_input")
        if isinstance(updated, dict):
            result.modified_input = {**(result.modified_input or {}), **updated}
    if specific.get("additional_context"):
        contexts.append(str(specific["additional_context"]))
