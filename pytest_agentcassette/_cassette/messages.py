"""The messages a user reads when a replay cannot go on, or left something unplayed: what
was asked, where we looked, what came closest, and the exact command that records it.
"""

from __future__ import annotations

from pathlib import Path

from pytest_agentcassette import _matching
from pytest_agentcassette._conversation.wire import request_prompt
from pytest_agentcassette._errors import CassetteMismatchError
from pytest_agentcassette._model import STDIO_SCHEME, Interaction, RecordedRequest, is_websocket
from pytest_agentcassette._record_mode import RecordMode

__all__ = [
    "fix_hint",
    "mismatch_error",
    "mismatch_message",
    "outage_message",
    "record_advice",
    "replay_note",
    "request_summary",
    "unused_message",
]


def _command(record_command: str | None, mode: str) -> str | None:
    return record_command.replace("{mode}", mode) if record_command else None


def record_advice(record_command: str | None, *, exists: bool, appendable: bool = True) -> str:
    """The closing lines: how to record a missing cassette or re-record a stale one (adding
    to it is no fix where the request is a server's over stdio: the whole session is
    recorded again, ``appendable`` false).
    """
    if not exists:
        command = _command(record_command, "once")
        if command:
            return f"To record it, run:\n  {command}"
        return "To record it, use record_mode='once' (records once, then replays)."
    command = _command(record_command, "rewrite")
    if command and not appendable:
        return f"If the change is intended, re-record the cassette:\n  {command}"
    if not appendable:
        return "If the change is intended, re-record it with record_mode='all'."
    if command and record_command and "{mode}" in record_command:
        return (
            "If the change is intended, re-record the cassette:\n"
            f"  {command}\n"
            f"(or --record-mode=update to replay what still matches and record again from "
            f"the first change)"
        )
    if command:  # a command of its own (such as agentcore's), without record modes
        return f"If the change is intended, re-record the cassette:\n  {command}"
    return (
        "If the change is intended, re-record it with record_mode='all', or use "
        "record_mode='update' to replay what still matches and record again from the first "
        "change."
    )


def fix_hint(record_command: str | None) -> str:
    """What to do about a cassette file that cannot be read."""
    command = _command(record_command, "rewrite")
    rerecord = (
        f"re-record it from scratch with:\n  {command}"
        if command
        else ("re-record it from scratch with record_mode='all'")
    )
    return f"The file was left untouched. Fix it by hand, or {rerecord}"


def _mode_line(record_mode: RecordMode, exists: bool) -> str:
    if record_mode is RecordMode.ONCE and exists:
        return "once (the cassette exists, so it only replays; nothing was sent to the network)"
    return f"{record_mode.value} (replay only; nothing was sent to the network)"


def mismatch_message(
    *,
    method: str,
    url: str,
    shown_path: str,
    exists: bool,
    record_mode: RecordMode,
    total: int,
    played: int,
    nearest: _matching.Nearest | None,
    changes: list[str],
    record_command: str | None,
    servers: tuple[str, ...] = (),
    shared: int = 0,
) -> tuple[str, str]:
    """``(details, advice)`` of a :class:`~pytest_agentcassette.CassetteMismatchError`
    (``servers``: the MCP servers over stdio the cassette holds; ``shared``: how many
    interactions of other tests a shared cassette holds).
    """
    if not exists:
        found = "not found"
        if shared:
            found = (
                f"{shared} interaction{'s' if shared != 1 else ''} of other tests, none "
                f"recorded by this test"
            )
        lines = [
            f"No cassette to replay {method} {url}",
            f"  cassette:    {shown_path} ({found})",
            f"  record mode: {_mode_line(record_mode, exists)}",
        ]
        return "\n".join(lines), record_advice(record_command, exists=False)
    noun = "interaction" if total == 1 else "interactions"
    lines = [
        f"No recorded interaction matches {method} {url}",
        f"  cassette:    {shown_path} ({total} {noun}, {played} played)",
        f"  record mode: {_mode_line(record_mode, exists)}",
    ]
    if nearest is not None:
        request = nearest.interaction.request
        lines.append(
            f"  nearest:     interaction {nearest.interaction.id} "
            f"({request.method} {request.url}): {nearest.reason}"
        )
        if changes:
            lines.append("  changes from the recording to this request:")
            lines.extend(f"    {change}" for change in changes)
    elif url.startswith(STDIO_SCHEME):
        held = ", ".join(servers) if servers else "none"
        lines.append(f"  nearest:     this MCP server was not recorded; the cassette holds: {held}")
    elif total:
        lines.append("  nearest:     none of the recorded requests has this method, host or path")
    appendable = not (url.startswith(STDIO_SCHEME) or is_websocket(url))
    return "\n".join(lines), record_advice(record_command, exists=True, appendable=appendable)


def mismatch_error(
    live: RecordedRequest,
    nearest: _matching.Nearest | None,
    *,
    path: Path,
    shown_path: str,
    exists: bool,
    record_mode: RecordMode,
    total: int,
    played: int,
    record_command: str | None,
    match_config: _matching.MatchConfig,
    servers: tuple[str, ...] = (),
    shared: int = 0,
) -> CassetteMismatchError:
    """The error for ``live``, a request with nothing to replay in the cassette at ``path``
    (shown as ``shown_path``; ``total`` interactions, ``played`` of them so far; ``nearest``
    the closest one; ``shared``: other tests' interactions in it).
    """
    changes = []
    if nearest is not None and nearest.patch:
        recorded = _matching.recorded_comparable(match_config, nearest.interaction)
        changes = _matching.render_patch(nearest.patch, recorded)
    details, advice = mismatch_message(
        method=live.method,
        url=live.url,
        shown_path=shown_path,
        exists=exists,
        record_mode=record_mode,
        total=total,
        played=played,
        nearest=nearest,
        changes=changes,
        record_command=record_command,
        servers=servers,
        shared=shared,
    )
    command = _command(record_command, "once" if not exists else "rewrite")
    return CassetteMismatchError(
        details,
        advice,
        path=path,
        method=live.method,
        url=live.url,
        record_mode=record_mode.value,
        nearest=nearest.interaction if nearest else None,
        reason=nearest.reason if nearest else None,
        patch=nearest.patch if nearest else [],
        record_command=command,
    )


def request_summary(request: RecordedRequest, width: int = 60) -> str:
    """The first words of what a request asked: its last user message, else its body."""
    try:
        prompt = request_prompt(request.json())
    except ValueError:
        prompt = None
    try:
        text = prompt if prompt is not None else request.text
    except ValueError as error:  # a body that cannot be rebuilt (a hand-edited patch)
        return f"(unreadable body: {error})"
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def unused_message(
    unused: list[Interaction],
    *,
    shown_path: str,
    total: int,
    record_command: str | None,
    warning: bool,
) -> str:
    """The failure (or warning) for recorded interactions a replay never played."""
    count = len(unused)
    noun = "interaction was" if count == 1 else "interactions were"
    lines = [
        f"{count} recorded {noun} never played: the code sent fewer or other requests "
        f"than when the cassette was recorded",
        f"  cassette:    {shown_path} ({total} interactions, {total - count} played)",
    ]
    for interaction in unused[:10]:
        request = interaction.request
        lines.append(
            f"  unused:      interaction {interaction.id}: {request.method} {request.url} "
            f"{request_summary(request)}"
        )
    if count > 10:
        lines.append(f"  (and {count - 10} more)")
    command = _command(record_command, "rewrite")
    if command:
        lines += ["If the change is intended, re-record the cassette:", f"  {command}"]
    else:
        lines.append("If the change is intended, re-record it with record_mode='all'.")
    if not warning:
        lines.append('(or set unused_interactions="warn" to only warn about it)')
    return "\n".join(lines)


def outage_message(
    recorded: list[Interaction], *, shown_path: str, existed: bool, record_command: str | None
) -> str:
    """The failure for a recording in which no request got a response: each met a
    transport error (the network, a proxy or a wrong base URL, most likely), so the file
    was not written.
    """
    first = recorded[0]
    error = first.response.error
    cause = f"{error.kind}: {error.message}" if error is not None else "no response"
    count = len(recorded)
    noun = "request" if count == 1 else "requests"
    kept = "the old file was left as it was" if existed else "no file was written"
    lines = [
        f"cassette {shown_path} was not written: no request got a response while recording "
        f"({count} {noun}, {'it' if count == 1 else 'each'} met a transport error)",
        f"  cassette:    {shown_path} ({kept})",
        f"  first:       {first.request.method} {first.request.url}: {cause}",
        "Is the provider reachable from here (network, proxy, base URL)? Once it is, record again:",
    ]
    command = _command(record_command, "rewrite" if existed else "once")
    if command:
        lines.append(f"  {command}")
    else:
        lines.append(f"  with record_mode='{'all' if existed else 'once'}'")
    lines.append(
        "(to record an outage on purpose, to test the code's error path, set record_outages=True)"
    )
    return "\n".join(lines)


def replay_note(shown_path: str, interaction: int, record_command: str | None) -> str:
    """What a replayed transport error's message gains: where it was replayed from, and
    how to record the request again if the provider answers now.
    """
    command = _command(record_command, "rewrite") or "use record_mode='all'"
    return (
        f" [agentcassette: replayed from {shown_path}, interaction {interaction}, as "
        f"recorded; if the provider answers now, record it again: {command}]"
    )
