"""``agentcore run`` and ``agentcore exec``: load the team, open the cassette, run the turns.

stdout carries the transcript (or the JSON events) and nothing else, so that it can be
compared byte for byte; notes and errors go to stderr.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path

from agentcore.cli.arguments import Options, UsageError, parse_arguments
from agentcore.cli.cassettes import CommandFailed, recording, replaying
from agentcore.cli.console import Console
from agentcore.cli.printer import JsonPrinter, TranscriptPrinter
from agentcore.cli.questions import asker
from agentcore.cli.signals import Interrupted, exit_status, signals_as_interrupts
from agentcore.errors import AgentcoreError, ProviderError
from agentcore.messages import ToolCall
from agentcore.runtime import Approve
from agentcore.team import Team, load
from pytest_agentcassette import Cassette, CassetteError

__all__ = ["main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
WELCOME = "\n------- Welcome to agentcore! -------\n(Ctrl+C to stop the agent and exit)\n\n"


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
        with signals_as_interrupts():
            return _run(options, console, os.environ if env is None else env, sleep)
    except CommandFailed as error:
        console.note(("\n" if error.mid_line else "") + f"agentcore: {error}")
        return EXIT_FAILED
    except UsageError as error:
        console.note(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt as stop:  # Ctrl-C, SIGTERM or SIGHUP (see signals.py)
        console.note("\nagentcore: interrupted")
        return exit_status(stop)
    except BrokenPipeError:  # the reader left (| head): stop quietly, as other tools do
        if console.stdout is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _prompts(options: Options, console: Console) -> list[str]:
    prompts = []
    for prompt in options.prompts:
        text = console.stdin.read() if prompt == "-" else prompt
        if text.strip():
            prompts.append(text.strip())
    if options.command == "exec" and not prompts:
        raise UsageError("agentcore exec: every PROMPT given is empty; there is nothing to send")
    return prompts


def _run(
    options: Options, console: Console, env: Mapping[str, str], sleep: Callable[[float], None]
) -> int:
    prompts = _prompts(options, console)
    printer: TranscriptPrinter | JsonPrinter
    if options.json:
        printer = JsonPrinter(console.stdout)
    else:
        printer = TranscriptPrinter(console.stdout, hide_tool_calls=options.hide_tool_calls)
    if options.working_dir and not Path(options.working_dir).is_dir():
        raise CommandFailed(f"--working-dir {options.working_dir}: there is no such folder")
    cassette: Cassette | None = None
    try:
        with ExitStack() as stack:
            if options.record is not None:
                stack.enter_context(recording(options, console))
            elif options.fake is not None:
                cassette = stack.enter_context(replaying(options))
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
    except (AgentcoreError, CassetteError, OSError, CommandFailed) as error:
        if isinstance(error, BrokenPipeError):
            raise
        message = str(error) if isinstance(error, CommandFailed) else _describe(error, cassette)
        if isinstance(printer, JsonPrinter):
            printer.error(message)
        raise CommandFailed(message, mid_line=printer.mid_line) from None
    if cassette is not None and cassette.unplayed:
        console.note(
            f"agentcore: note: {len(cassette.unplayed)} recorded interaction(s) in "
            f"{cassette.path} were not replayed"
        )
    return 0


# A ProviderError about the answer itself: when replayed, the cassette holds what was read
# (unless the answer broke off: a recorded transport error, replayed as recorded).
_UNREADABLE_ANSWER = ("unreadable answer", "the answer ")


def _describe(error: BaseException, cassette: Cassette | None) -> str:
    if isinstance(error, OSError) and not isinstance(error, AgentcoreError):
        return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
    if (
        isinstance(error, ProviderError)
        and error.message.startswith(_UNREADABLE_ANSWER)
        and cassette is not None
        and cassette.exchanges
        and cassette.exchanges[-1].response.error is None  # not a recorded transport error
        and "broke off" not in error.message
    ):
        replayed = cassette.exchanges[-1]
        return (
            f"{error}\nThat answer was replayed from {cassette.path}, interaction "
            f"{replayed.id} (its response body); fix the body there, or record the session "
            f"again with:\n  {cassette.record_command}"
        )
    return str(error)


def _converse(
    team: Team,
    options: Options,
    prompts: list[str],
    printer: TranscriptPrinter | JsonPrinter,
    console: Console,
) -> None:
    approve = _approver(options, printer, console)
    extend = _Extender(options, console)
    ask = asker(console, json=options.json)
    with team.session(
        agent=options.agent, yolo=options.yolo, approve=approve, extend=extend, ask=ask
    ) as session:
        for prompt in prompts:
            printer.start_turn()
            extend.used = 0
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
            try:
                line = console.stdin.readline()
            except Interrupted:  # SIGTERM or SIGHUP: the run stops, as mid-turn
                raise
            except KeyboardInterrupt:  # at the prompt, Ctrl-C ends the session as EOF does
                line = ""
            if not line or line.strip() in ("exit", "quit", "/exit", "/quit"):
                console.write("\n" if not line else "")
                return
            printer.start_turn()
            extend.used = 0
            if line.strip():
                for event in session.stream(line.strip()):
                    printer(event)


class _Extender:
    """Whether to go on past ``max_iterations``, as cagent decides: ``--yolo`` goes on by
    itself up to 5 times a turn; ``--json`` stops; otherwise the user is asked.
    """

    AUTOMATIC = 5

    def __init__(self, options: Options, console: Console):
        self.options = options
        self.console = console
        self.used = 0

    def __call__(self, agent: str, limit: int) -> bool:
        if self.options.yolo:
            self.used += 1
            return self.used <= self.AUTOMATIC
        if self.options.json:
            return False
        self.console.write(
            f"\n⚠️  Maximum iterations ({limit}) reached. The agent may be stuck in a loop.\n"
            "This can happen with smaller or less capable models.\n"
            "\nDo you want to continue for 10 more iterations? (y/n):\n"
        )
        line = self.console.stdin.readline()
        if not line:
            self.console.write("\nFailed to read input, exiting...\n")
            return False
        if line.strip().lower() in ("y", "yes"):
            self.console.write("✓ Continuing...\n\n")
            return True
        self.console.write("Exiting...\n\n")
        return False


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
