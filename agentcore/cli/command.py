"""``agentcore run`` and ``agentcore exec``: load the team, open the cassette, run the turns.

stdout carries the transcript (or the JSON events) and nothing else, so that it can be
compared byte for byte; notes and errors go to stderr.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from agentcore.errors import AgentcoreError
from agentcore.messages import ToolCall
from agentcore.runtime import Approve
from agentcore.team import Team, load
from pytest_agentcassette import Cassette, CassetteError, use_cassette

from .arguments import Options, UsageError, parse_arguments
from .console import Console
from .printer import JsonPrinter, TranscriptPrinter

__all__ = ["Console", "main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
WELCOME = "\n------- Welcome to agentcore! -------\n(Ctrl+C to stop the agent and exit)\n\n"


class _Failed(Exception):
    """The command failed; the message is what the user should read. ``mid_line``: the
    transcript stopped in the middle of a line, so the message starts on a new one.
    """

    def __init__(self, message: str, *, mid_line: bool = False):
        super().__init__(message)
        self.mid_line = mid_line


def main(
    argv: list[str] | None = None,
    *,
    console: Console | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the ``agentcore`` command line and return its exit status.

    ``console`` and ``env`` default to the process's own; ``sleep`` waits before retrying a
    provider that answered 429 or 5xx.
    """
    console = console or Console.system()
    try:
        options = parse_arguments(sys.argv[1:] if argv is None else argv)
    except UsageError as error:
        console.note(str(error))
        return EXIT_USAGE
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else 0
    try:
        return _run(options, console, os.environ if env is None else env, sleep)
    except _Failed as error:
        console.note(("\n" if error.mid_line else "") + f"agentcore: {error}")
        return EXIT_FAILED
    except UsageError as error:
        console.note(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.note("\nagentcore: interrupted")
        return EXIT_INTERRUPTED


def _prompts(options: Options, console: Console) -> list[str]:
    prompts = []
    for prompt in options.prompts:
        text = console.stdin.read() if prompt == "-" else prompt
        if text.strip():
            prompts.append(text.strip())
    if options.command == "exec" and not prompts:
        raise UsageError("agentcore exec: every PROMPT given is empty; there is nothing to send")
    return prompts


def _record_command(options: Options, name: str) -> str:
    words = ["agentcore", "exec", options.agent_file, "--record", name]
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


def _cassette_path(value: str) -> Path:
    return Path(value if value.endswith((".yaml", ".yml")) else f"{value}.yaml")


@contextmanager
def _recording(options: Options, console: Console) -> Iterator[Cassette]:
    """Record into a scratch file next to the target, moved into place only on success:
    a failed run never replaces a good recording, and what it recorded is kept aside.
    """
    name = options.record or f"agentcore-recording-{int(time.time())}"
    path = _cassette_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.recording")
    failed = path.with_name(f"{path.stem}.failed{path.suffix}")
    console.note(f"Recording mode enabled, cassette: {path}")
    cassette = use_cassette(scratch, record_mode="all")
    try:
        with cassette:
            yield cassette
    except BaseException:
        if scratch.exists():
            os.replace(scratch, failed)
            console.note(
                f"agentcore: the run failed, so {path} was not written"
                f"{' (it was left as it was)' if path.exists() else ''}; "
                f"what was recorded is in {failed}"
            )
        raise
    if not scratch.exists():
        raise _Failed(f"nothing was recorded into {path}: the agent sent no request")
    os.replace(scratch, path)
    console.note(f"Recorded {len(cassette.recorded)} interaction(s) into {path}")


@contextmanager
def _replaying(options: Options) -> Iterator[Cassette]:
    given = options.fake or ""
    path = Path(given)
    if not path.exists() and not given.endswith((".yaml", ".yml")):
        path = Path(f"{given}.yaml")
    if not path.is_file():
        raise _Failed(
            f"cassette not found: {given} (looked for {path.resolve()}).\n"
            f"Record it with: {_record_command(options, str(path.with_suffix('')))}"
        )
    match_on = "sequential" if options.match == "sequential" else ("method", "url", "body")
    record = _record_command(options, str(path.with_suffix("")))
    with use_cassette(path, match_on=match_on, record_command=record) as cassette:
        yield cassette
    if cassette.mismatches:  # a tool swallowed the error; the run must still fail
        raise _Failed(str(cassette.mismatches[0]))


def _run(
    options: Options, console: Console, env: Mapping[str, str], sleep: Callable[[float], None]
) -> int:
    prompts = _prompts(options, console)
    printer: TranscriptPrinter | JsonPrinter
    if options.json:
        printer = JsonPrinter(console.stdout)
    else:
        printer = TranscriptPrinter(console.stdout, hide_tool_calls=options.hide_tool_calls)
    cassette: Cassette | None = None
    with ExitStack() as stack:
        if options.record is not None:
            stack.enter_context(_recording(options, console))
        elif options.fake is not None:
            cassette = stack.enter_context(_replaying(options))
        try:
            team = stack.enter_context(
                load(
                    options.agent_file,
                    model_overrides=options.model_overrides,
                    working_dir=options.working_dir,
                    env=env,
                    sleep=sleep,
                )
            )
            for agent in options.model_overrides:
                if agent != "*" and agent not in team.config.agents:
                    raise UsageError(
                        f"agentcore: --model {agent}=...: {options.agent_file} has no agent "
                        f"{agent!r}; its agents: {', '.join(team.config.agents)}"
                    )
            _converse(team, options, prompts, printer, console)
        except (AgentcoreError, CassetteError, OSError) as error:
            if isinstance(printer, JsonPrinter):
                printer.error(str(error))
            raise _Failed(_describe(error), mid_line=printer.mid_line) from None
    if cassette is not None and cassette.unplayed and not cassette.mismatches:
        console.note(
            f"agentcore: note: {len(cassette.unplayed)} recorded interaction(s) in "
            f"{cassette.path} were not replayed"
        )
    return 0


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and not isinstance(error, AgentcoreError):
        return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
    return str(error)


def _converse(
    team: Team,
    options: Options,
    prompts: list[str],
    printer: TranscriptPrinter | JsonPrinter,
    console: Console,
) -> None:
    approve = _approver(options, printer, console)
    session = team.session(agent=options.agent, yolo=options.yolo, approve=approve)
    for prompt in prompts:
        printer.start_turn()
        for event in session.stream(prompt):
            printer(event)
    if prompts or options.command != "run":
        return
    # run without a prompt: one turn per line, as cagent's loop prints it, until EOF or exit
    console.write(WELCOME)
    first = True
    while True:
        console.write("> " if first else "\n\n> ")
        first = False
        line = console.stdin.readline()
        if not line or line.strip() in ("exit", "quit", "/exit", "/quit"):
            console.write("\n" if not line else "")
            return
        printer.start_turn()
        if line.strip():
            for event in session.stream(line.strip()):
                printer(event)


def _approver(
    options: Options, printer: TranscriptPrinter | JsonPrinter, console: Console
) -> Approve:
    told: list[bool] = []

    def approve(agent: str, call: ToolCall) -> str:
        if isinstance(printer, JsonPrinter):
            return "no"  # as cagent: with --json, only --yolo runs such tools
        printer.confirm(call)
        if console.interactive:
            return console.answer()
        if not told:
            told.append(True)
            console.note(
                f"\nagentcore: no terminal to ask whether {call.name} may run, so it "
                f"was rejected; add --yolo to run tools without asking"
            )
        return "no"

    return approve
