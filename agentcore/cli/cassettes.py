"""Where ``--record`` writes a session and where ``--fake`` replays it from.

A recording goes to a scratch file next to its target and is moved into place only when
the run succeeds: a failed run never replaces a good recording, and what it did record is
kept aside as ``NAME.failed.yaml`` (so is what an interrupted run recorded: Ctrl-C,
SIGTERM, SIGHUP). Every path is checked before anything is sent, so a
recording that could not be saved never costs a provider call.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentcore.cli.arguments import Options
from agentcore.cli.console import Console
from pytest_agentcassette import Cassette, SecretRedactedWarning, use_cassette

__all__ = ["CommandFailed", "recording", "replaying"]


class CommandFailed(Exception):
    """The command failed; the message is what the user should read. ``mid_line``: the
    transcript stopped in the middle of a line, so the message starts on a new one.
    """

    def __init__(self, message: str, *, mid_line: bool = False):
        super().__init__(message)
        self.mid_line = mid_line


def record_command(options: Options, path: Path) -> str:
    """The command that records (again) what ``options`` replays, into ``path``."""
    words = ["agentcore", options.command, options.agent_file, f"--record={path}"]
    for agent, model in options.model_overrides.items():
        words += ["--model", model if agent == "*" else f"{agent}={model}"]
    if options.agent != "root":
        words += ["--agent", options.agent]
    if options.working_dir:
        words += ["--working-dir", options.working_dir]
    if options.yolo:
        words.append("--yolo")
    return " ".join(_quote(word) for word in words + options.prompts)


def _quote(word: str) -> str:
    """``word`` for a POSIX shell, written as a person would: ``"What's 2+2?"``."""
    if "'" in word and not any(char in word for char in '"$`\\!'):
        return f'"{word}"'
    return shlex.quote(word)


def _target(options: Options) -> Path:
    name = options.record or f"agentcore-recording-{int(time.time())}"
    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    if path.resolve() == Path(options.agent_file).resolve():
        raise CommandFailed(
            f"--record {options.record} would write the recording over the agent file "
            f"{options.agent_file}; choose another name"
        )
    if path.is_dir():
        raise CommandFailed(f"cannot record into {path}: it is a folder; choose another name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as error:
        raise CommandFailed(
            f"cannot record into {path}: the folder {path.parent} cannot be written "
            f"({error.strerror or error}); nothing was sent"
        ) from None
    return path


@contextmanager
def recording(options: Options, console: Console) -> Iterator[Cassette]:
    """Record the session (every request sent for real) into ``--record``'s file."""
    path = _target(options)
    scratch = path.with_name(f".{path.name}.recording")
    failed = path.with_name(f"{path.stem}.failed{path.suffix}")
    scratch.unlink(missing_ok=True)  # left by a run that was killed
    console.note(f"Recording mode enabled, cassette: {path}")
    cassette = use_cassette(scratch, record_mode="all")
    caught: list[warnings.WarningMessage] = []
    written = path
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SecretRedactedWarning)
            with cassette:
                yield cassette
    except BaseException as error:
        if scratch.exists():
            os.replace(scratch, failed)
            written = failed
            ended = "was interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            console.note(
                f"agentcore: the run {ended}, so {path} was not written"
                f"{' (it was left as it was)' if path.exists() else ''}; "
                f"what was recorded is in {failed}"
            )
        raise
    finally:
        _pass_on(caught, scratch, written, console)
    if not cassette.recorded:
        scratch.unlink(missing_ok=True)
        console.note(f"agentcore: nothing was recorded (no request was sent); {path} not written")
        return
    try:
        os.replace(scratch, path)
    except OSError as error:
        raise CommandFailed(
            f"cannot write {path} ({error.strerror or error}); the recording is in {scratch}"
        ) from None
    console.note(f"Recorded {len(cassette.recorded)} interaction(s) into {path}")


def _pass_on(
    caught: list[warnings.WarningMessage], scratch: Path, path: Path, console: Console
) -> None:
    """Warnings of the run, once it is over: credentials written as REDACTED are told
    with the file they end up in; the others are issued again as they came.
    """
    for warning in caught:
        if not issubclass(warning.category, SecretRedactedWarning):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
            continue
        text = re.sub(r"[^\s:]*" + re.escape(scratch.name), str(path), str(warning.message))
        lines = text.splitlines()
        if lines and lines[-1].startswith("Review the cassette;"):
            lines[-1] = "Review the cassette before you commit it."
        console.note("agentcore: " + "\n".join(lines))


def _cassette_file(given: str) -> Path:
    path = Path(given)
    candidates = [path] if given.endswith((".yaml", ".yml")) else [path, Path(f"{given}.yaml")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if path.is_dir():
        raise CommandFailed(f"--fake {given}: that is a folder; give the cassette's file")
    return candidates[-1]


@contextmanager
def replaying(options: Options) -> Iterator[Cassette]:
    """Replay the session recorded in ``--fake``'s file; nothing goes to the network."""
    given = options.fake or ""
    path = _cassette_file(given)
    if not path.is_file():
        raise CommandFailed(
            f"cassette not found: {given} (looked for {path.resolve()}).\n"
            f"Record it with: {record_command(options, path)}"
        )
    match_on = "sequential" if options.match == "sequential" else ("method", "url", "body")
    again = record_command(options, path)
    # As cagent's --fake: a session that asks less than was recorded is not an error.
    with use_cassette(
        path, match_on=match_on, record_command=again, unused_interactions="ignore"
    ) as cassette:
        yield cassette
    if cassette.mismatches:  # a tool swallowed the error; the run must still fail
        raise CommandFailed(str(cassette.mismatches[0]))
