"""What the fuzz tests share: the hypothesis profile and the strategies of outside input.

The ``ci`` profile (the default) is reproducible and writes nothing: examples come from a
fixed seed (``derandomize``), there is no example database (so no ``.hypothesis/`` folder),
and each test runs a fixed, small number of examples. ``HYPOTHESIS_PROFILE=long`` runs ten
times as many, from random seeds, for a longer search on a developer's machine.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis caches what it reads from source files in .hypothesis/, even without a database:
# in the temporary folder, never in the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "agentcassette-hypothesis")

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_SCALE = 10 if _PROFILE == "long" else 1

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=2000,  # ms per example: no input may make a reader hang
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    derandomize=False,
    database=None,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(_PROFILE if _PROFILE in ("ci", "long") else "ci")

_F = TypeVar("_F", bound=Callable[..., Any])


def examples(count: int) -> Callable[[_F], _F]:
    """``@settings(max_examples=count)``, ten times more under the ``long`` profile."""
    return settings(max_examples=count * _SCALE)


# Text that UTF-8 and YAML can hold: no lone surrogates.
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
SHORT_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
LATIN_1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=20)

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SHORT_TEXT, inner, max_size=4),
    max_leaves=12,
)
"""Any JSON document (as Python data), of bounded size."""

JSON_CONTAINER = st.one_of(
    st.lists(JSON, max_size=4), st.dictionaries(SHORT_TEXT, JSON, max_size=5)
)


WORDS = [
    "type", "choices", "delta", "content", "tool_calls", "index", "id", "function", "name",
    "arguments", "usage", "prompt_tokens", "completion_tokens", "message", "content_block",
    "partial_json", "text", "item", "item_id", "response", "output", "call_id", "candidates",
    "parts", "functionCall", "args", "usageMetadata", "promptTokenCount", "finishReason",
    "finish_reason", "error", "input_tokens", "output_tokens", "stop_reason", "object",
    "message_start", "content_block_start", "content_block_delta", "message_delta",
    "message_stop", "text_delta", "input_json_delta", "tool_use", "function_call",
    "response.output_text.delta", "response.output_item.done", "response.completed",
    "response.incomplete", "response.failed", "response.function_call_arguments.delta",
    "thoughtSignature", "thought", "candidatesTokenCount", "STOP", "stop", "[DONE]",
    "tool_call_id", "tool_use_id", "previous_response_id", "signature", "redacted_thinking",
    "data", "input", "parameters", "functionResponse", "reasoning", "custom", "role", "user",
    "messages", "contents", "call_abcdefghijklmnopqrstuvw1", "toolu_01abcdefghijklmnopqrstu",
    "fc_0123456789abcdef0123456789abcdef", "see call_abcdefghijklmnopqrstuvw2 here",
]  # fmt: skip
VOCABULARY = st.sampled_from(WORDS)
SHAPED: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([1e999, -1e999, 0.5])
    | VOCABULARY | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(VOCABULARY, inner, max_size=4),
    max_leaves=14,
)  # fmt: skip
"""JSON in the words providers use, with every value of every type."""


@st.composite
def json_text(draw: st.DrawFn, value: st.SearchStrategy[Any] = JSON_CONTAINER) -> str:
    """A JSON document as a client may have written it: compact, spaced or indented."""
    data = draw(value)
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (",", ": ")]))
    indent = draw(st.sampled_from([None, None, 2]))
    return json.dumps(data, separators=separators, ensure_ascii=draw(st.booleans()), indent=indent)


@st.composite
def sse_text(draw: st.DrawFn) -> str:
    """A server-sent event stream, LF or CRLF, with ``event:``, ``data:`` and comments."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    blocks = []
    for _ in range(draw(st.integers(1, 5))):
        lines = []
        if draw(st.booleans()):
            lines.append("event: " + draw(st.from_regex(r"[a-z_.]{1,12}", fullmatch=True)))
        if draw(st.integers(0, 4)) == 0:
            lines.append(": " + draw(st.text(st.characters(exclude_categories=("Cs", "Cc")))))
        data = draw(st.one_of(json_text(JSON), st.just("[DONE]")))
        lines.extend("data: " + line for line in data.split("\n"))
        blocks.append(newline.join(lines) + newline * 2)
    return "".join(blocks)


def chunked(content: bytes, cuts: list[int]) -> list[int] | None:
    """Chunk sizes that split ``content`` at ``cuts`` (``None``: one chunk, the default)."""
    if not content:
        return None
    points = sorted({cut % len(content) for cut in cuts} - {0})
    edges = [0, *points, len(content)]
    return [end - start for start, end in itertools.pairwise(edges)]
