"""Explaining a miss: the recorded request closest to the live one, and what changed.

Candidates with the same method and URL come first, the least different body winning; the
difference is a JSON Patch (RFC 6902, computed by jsonpatch) from the recorded body to the
live one, both normalized as for matching, rendered one operation per line with long values
cut down around the change.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_agentcassette._matching.config import MatchConfig, RequestKey
from pytest_agentcassette._matching.index import MatchIndex
from pytest_agentcassette._model import NOT_JSON, Body, Interaction, RecordedRequest, json_value

__all__ = ["Nearest", "find_nearest", "recorded_comparable", "render_patch"]

_MAX_CANDIDATES = 200
_MAX_LINES = 8
_VALUE_WIDTH = 72
_CONTEXT = 24


@dataclass(frozen=True)
class Nearest:
    """The recorded interaction closest to a request that matched nothing, and why."""

    interaction: Interaction
    reason: str
    patch: list[dict[str, Any]] = field(default_factory=list)


def _comparable(config: MatchConfig, body: Body) -> Any:
    value = json_value(body)
    if value is NOT_JSON:
        return body.content.decode("utf-8", errors="replace")
    return config.normalizer.json(value)


def _difference(recorded: Any, live: Any) -> tuple[float, list[dict[str, Any]]]:
    if isinstance(recorded, (dict, list)) and isinstance(live, (dict, list)):
        import jsonpatch  # for a request nothing matched only

        patch: list[dict[str, Any]] = jsonpatch.make_patch(recorded, live).patch
        return len(json.dumps(patch, ensure_ascii=False)), patch
    # Text bodies: a cheap similarity on their first few kilobytes is enough to rank them.
    ratio = difflib.SequenceMatcher(None, str(recorded)[:2000], str(live)[:2000]).quick_ratio()
    return (1 - ratio) * 1e9, []


def find_nearest(index: MatchIndex, live: RecordedRequest, key: RequestKey) -> Nearest | None:
    """The closest recorded interaction to ``live``, or ``None`` when none shares its URL or
    its method and path (an empty cassette included).
    """
    config = index.config
    pairs = list(zip(index.keys, index.interactions, index.played, strict=True))
    if config.sequential:
        return _sequential(index, key)
    same = [
        (interaction, played) for recorded_key, interaction, played in pairs if recorded_key == key
    ]
    unplayed_same = [interaction for interaction, played in same if not played]
    if unplayed_same:
        return Nearest(
            unplayed_same[0], "same method, URL and body, but a match_on callable refused it"
        )
    if same:
        return Nearest(
            same[-1][0],
            "it matches, but was already played: each recorded interaction replays once, "
            "and the code now sends this request more often than when it was recorded "
            "(allow_playback_repeats=True lets it replay again)",
        )
    target = [p for p in pairs if p[0].method == key.method and p[0].url == key.url]
    if target:
        return _least_different(config, live, key, target)
    for recorded_key, interaction, _ in pairs:
        if recorded_key.url == key.url:
            return Nearest(interaction, f"same URL, but the method is {recorded_key.method}")
    path = urlsplit(key.url).path
    for recorded_key, interaction, _ in pairs:
        if recorded_key.method == key.method and urlsplit(recorded_key.url).path == path:
            return Nearest(interaction, "same path, but the host or query differs")
    return None


def _least_different(
    config: MatchConfig,
    live: RecordedRequest,
    key: RequestKey,
    target: list[tuple[RequestKey, Interaction, bool]],
) -> Nearest:
    unplayed = [t for t in target if not t[2]] or target
    live_body = _comparable(config, live.body)
    best: tuple[float, Interaction, list[dict[str, Any]], RequestKey] | None = None
    for recorded_key, interaction, _ in unplayed[:_MAX_CANDIDATES]:
        score, patch = _difference(_comparable(config, interaction.request.body), live_body)
        if best is None or score < best[0]:
            best = (score, interaction, patch, recorded_key)
    if best is None:  # pragma: no cover - target is never empty here
        raise ValueError("no candidates")
    _, interaction, patch, recorded_key = best
    if recorded_key.body == key.body and recorded_key.headers != key.headers:
        changed = sorted(
            set(recorded_key.headers).symmetric_difference(key.headers), key=lambda h: h[0]
        )
        names = ", ".join(dict.fromkeys(name for name, _ in changed))
        return Nearest(interaction, f"same method, URL and body, but headers differ: {names}")
    if recorded_key.body == key.body:
        return Nearest(interaction, "same method, URL and body, but a match_on callable refused it")
    return Nearest(interaction, "same method and URL, but the body differs", patch)


def _sequential(index: MatchIndex, key: RequestKey) -> Nearest | None:
    position = index.next_position
    if position >= len(index.interactions):
        last = index.interactions[-1] if index.interactions else None
        if last is None:
            return None
        return Nearest(last, "every interaction was already played (sequential mode)")
    expected = index.keys[position]
    return Nearest(
        index.interactions[position],
        f"sequential mode expects {expected.method} {expected.url} next",
    )


def _shorten(text: str, width: int = _VALUE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _show(value: Any) -> str:
    return _shorten(json.dumps(value, ensure_ascii=False))


def _around_change(old: str, new: str, *, json_text: bool = False) -> tuple[str, str]:
    """Both strings cut down to the changed part and a little context on each side, so
    that what differs is always shown (``json_text``: two values' JSON, shown as is; else
    two strings, shown quoted).
    """
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    begin = max(0, start - _CONTEXT)

    def cut(text: str) -> str:
        stop = len(text) - max(0, end - _CONTEXT)
        middle = text[begin:stop]
        if len(middle) > _VALUE_WIDTH:
            middle = middle[: _VALUE_WIDTH // 2] + "…" + middle[-_VALUE_WIDTH // 2 :]
        shown = middle if json_text else json.dumps(middle, ensure_ascii=False)[1:-1]
        return ("…" if begin else "") + shown + ("…" if stop < len(text) else "")

    if json_text:
        return cut(old), cut(new)
    return f'"{cut(old)}"', f'"{cut(new)}"'


def _replaced(old: Any, new: Any) -> tuple[str, str]:
    """The before and after of a replaced value, each shortened only where that cannot make
    two different values read the same.
    """
    if isinstance(old, str) and isinstance(new, str):
        return _around_change(old, new)
    before, after = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
    if max(len(before), len(after)) <= _VALUE_WIDTH:
        return before, after
    return _around_change(before, after, json_text=True)


_MISSING: Any = object()


def _old_value(document: Any, pointer: str) -> Any:
    """The value at ``pointer``, or ``_MISSING`` (an explicit ``null`` is ``None``)."""
    import jsonpatch

    try:
        return jsonpatch.JsonPointer(pointer).resolve(document)
    except (jsonpatch.JsonPointerException, KeyError, IndexError, TypeError):
        return _MISSING


def render_patch(patch: list[dict[str, Any]], recorded: Any = None) -> list[str]:
    """One readable line per operation, at most a few, e.g.
    ``replace /messages/3/content: "…in Paris…" → "…in London…"``.

    Operations apply one after the other, so each "before" value is read from the recorded
    document as the operations before it left it.
    """
    import jsonpatch

    errors = (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError)
    lines = []
    document = copy.deepcopy(recorded)
    for operation in patch[:_MAX_LINES]:
        op, path = operation["op"], operation["path"]
        if op == "replace":
            old = _old_value(document, path)
            before, after = _replaced(None if old is _MISSING else old, operation["value"])
            lines.append(f"replace {path}: {before} → {after}")
        elif op == "add":
            lines.append(f"add {path}: {_show(operation['value'])}")
        elif op == "remove":
            old = _old_value(document, path)
            lines.append(f"remove {path}" + ("" if old is _MISSING else f" (was {_show(old)})"))
        else:
            lines.append(f"{op} {operation.get('from', '')} → {path}")
        with contextlib.suppress(*errors):
            document = jsonpatch.apply_patch(document, [operation])
    if len(patch) > _MAX_LINES:
        lines.append(f"… and {len(patch) - _MAX_LINES} more changes")
    return lines


def recorded_comparable(config: MatchConfig, interaction: Interaction) -> Any:
    """The recorded request's body as it was compared (for rendering a patch against)."""
    return _comparable(config, interaction.request.body)
