"""Every cassette option, declared once.

:class:`CassetteOptions` names each option with the type it takes; the :class:`Option` in
its ``Annotated`` metadata gives the default, what it does, how its ini key is read, how a
value is checked, and how values from several places combine. Everything else derives from
it: the keywords of ``use_cassette`` (checked, with "did you mean" for unknown ones), the
``cassette`` marker's keywords and help, the keys of the ``agent_cassette_config``
fixture, the ``agentcassette_*`` ini keys, and the options table of the documentation.

This module is imported when pytest loads the plugin, so it imports nothing heavy: what a
check needs from the engine is imported when a value is checked.
"""

# Annotations are evaluated: CassetteOptions' metadata is read at run time.

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, NamedTuple, TypedDict, get_args, get_type_hints

from pytest_agentcassette._errors import CassetteError, did_you_mean
from pytest_agentcassette._model import Matcher
from pytest_agentcassette._record_mode import RecordMode

__all__ = [
    "INI_PREFIX",
    "OPTIONS",
    "SESSION_OPTIONS",
    "CassetteOptions",
    "Option",
    "check_options",
    "merge_options",
    "options_table",
    "resolve_options",
]

INI_PREFIX = "agentcassette_"
Checker = Callable[[Any, str, str], Any]


class Option(NamedTuple):
    """How one option behaves (its name and type come from :class:`CassetteOptions`).

    ``check(value, name, source)`` returns the value in its checked form (it accepts a
    checked value too) or raises :class:`CassetteError` naming ``source``; ``ini`` is the
    ini key's type, as ``pytest.Parser.addini`` takes it; ``adds_up``: values given in
    several places (ini file, fixture, markers) are joined rather than the closest one
    winning.
    """

    default: Any
    help: str
    check: Checker
    ini: Literal["string", "args", "linelist", "bool"] = "string"
    adds_up: bool = False
    see: str = ""  # the documentation's page (and anchor) that says more, for the table
    name: str = ""  # filled in from the :class:`CassetteOptions` key it annotates

    @property
    def ini_key(self) -> str:
        """The option's key in an ini file."""
        return INI_PREFIX + self.name


def _record_mode(value: Any, name: str, source: str) -> RecordMode:
    return RecordMode.parse(value, source=f"{source}: {name}")


def _match_on(value: Any, name: str, source: str) -> tuple[str | Matcher, ...]:
    from pytest_agentcassette._matching import MATCHERS

    if isinstance(value, str) or callable(value):
        items = [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise CassetteError(
            f'{source}: match_on takes matcher names (["method", "url", "body"]), callables, '
            f'or "sequential"; got {value!r}'
        )
    if items == ["sequential"]:
        return ("sequential",)
    allowed = (*MATCHERS, "sequential")
    for item in items:
        if callable(item):
            continue
        if item == "sequential":
            raise CassetteError(f'{source}: match_on="sequential" is a mode of its own')
        if item not in MATCHERS:
            raise CassetteError(
                f"{source}: match_on: unknown matcher {item!r}; use {', '.join(allowed)} or "
                f"a callable (live, recorded) -> bool.{did_you_mean(str(item), allowed)}"
            )
    if not items:
        raise CassetteError(f"{source}: match_on is empty; name at least one of {MATCHERS}")
    return tuple(items)


def _flag(value: Any, name: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise CassetteError(f"{source}: {name} must be True or False")
    return value


def _one_of(*choices: str) -> Checker:
    def check(value: Any, name: str, source: str) -> str:
        if isinstance(value, str):
            value = value.strip()
        if value not in choices:
            raise CassetteError(
                f"{source}: {name} must be one of {', '.join(choices)}, got {value!r}."
                f"{did_you_mean(str(value), choices)}"
            )
        return str(value)

    return check


def _names(value: Any, name: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) for item in value
    ):
        raise CassetteError(
            f'{source}: {name} must be a list of names, for example {name}=["x-my-token"]; '
            f"got {value!r}"
        )
    return tuple(value)


def _pointers(value: Any, name: str, source: str) -> tuple[str, ...]:
    from pytest_agentcassette._matching import parse_pointer

    pointers = _names(value, name, source)
    for pointer in pointers:
        try:
            parse_pointer(pointer)
        except ValueError as error:
            raise CassetteError(f"{source}: {name}: {error}") from None
    return pointers


def _text_rules(value: Any, name: str, source: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    pairs = list(value.items()) if isinstance(value, Mapping) else value
    if not isinstance(pairs, (list, tuple)):
        pairs = [pairs]
    for pair in pairs:
        if not (
            isinstance(pair, (tuple, list))
            and len(pair) == 2
            and all(isinstance(part, str) for part in pair)
        ):
            raise CassetteError(
                f"{source}: normalize_text takes {{regex: replacement}} or (regex, "
                f'replacement) pairs, for example {{r"\\d{{4}}-\\d{{2}}-\\d{{2}}": "<date>"}}; '
                f"got {pair!r}"
            )
        _check_rule(pair[0], pair[1], source)
    return tuple((pattern, replacement) for pattern, replacement in pairs)


def _check_rule(pattern: str, replacement: str, source: str) -> None:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise CassetteError(
            f"{source}: normalize_text: {pattern!r} is not a valid regular expression ({error})"
        ) from None
    try:
        compiled.sub(replacement, "")  # checks the template's escapes and groups
    except (re.error, IndexError) as error:
        raise CassetteError(
            f"{source}: normalize_text: the replacement {replacement!r} for {pattern!r} is "
            f"not a valid re.sub template ({error}); write a backslash as \\\\ and refer "
            f"only to groups the pattern has"
        ) from None


def _factor(value: Any, name: str, source: str) -> float:
    try:
        factor = float(value) if isinstance(value, (int, float, str)) else -1.0
    except ValueError:
        factor = -1.0
    if isinstance(value, bool) or not factor >= 0:
        raise CassetteError(
            f"{source}: {name} is a factor of the recorded times, for example {name}=1.0 "
            f"(as recorded) or {name}=0 (no waiting); got {value!r}"
        )
    return factor


def _seconds(value: Any, name: str, source: str) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value) if isinstance(value, (int, float, str)) else -1.0
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= 0:
        raise CassetteError(
            f"{source}: {name} is a number of seconds, for example {name}=0.01; got {value!r}"
        )
    return seconds


def _token_count(value: Any, name: str, source: str) -> int | None:
    if value is None:
        return None
    text = value.strip().replace("_", "") if isinstance(value, str) else None
    if text is not None and text.isdigit():
        return int(text)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise CassetteError(
        f"{source}: {name} is a number of tokens, for example {name}=20000; got {value!r}"
    )


UnusedPolicy = Literal["fail", "warn", "ignore"]
RequestHeaders = Literal["compared", "all"]
SecretsPolicy = Literal["redact", "refuse"]


class CassetteOptions(TypedDict, total=False):
    """The options of a cassette, as ``use_cassette``, the ``cassette`` marker and the
    ``agent_cassette_config`` fixture take them (ini keys: ``agentcassette_`` + the name).
    A fixture can say it returns them: ``def agent_cassette_config() -> CassetteOptions``.
    """

    record_mode: Annotated[
        str | RecordMode,
        Option(
            RecordMode.NONE,
            "none (default): replay only, a request with no recorded match fails; once: "
            "record the cassette if it does not exist yet; new_episodes: record what is not "
            "in the cassette yet, keeping all it holds; update: replay until a request "
            "changed, record from there on, drop the rest; all (alias rewrite): record it "
            "again from scratch; verify: send every request and fail if a response's shape "
            "is no longer the recording's, writing nothing.",
            _record_mode,
            see="#record-modes",
        ),
    ]
    match_on: Annotated[
        str | Sequence[str | Matcher],
        Option(
            ("method", "url", "body"),
            "what a request must share with a recorded one: method, url, body, headers, "
            "callables (live, recorded) -> bool; or sequential (recorded order, method and "
            "URL only, for cassettes another runtime recorded).",
            _match_on,
            ini="args",
            see="matching.md",
        ),
    ]
    allow_playback_repeats: Annotated[
        bool,
        Option(
            False,
            "let an interaction answer again once all its equals are used.",
            _flag,
            ini="bool",
        ),
    ]
    unused_interactions: Annotated[
        UnusedPolicy,
        Option(
            "fail",
            "what a replay that leaves recorded interactions unplayed does: fail (default), "
            "warn, or ignore.",
            _one_of(*get_args(UnusedPolicy)),
            see="failures.md#unused-interactions",
        ),
    ]
    redact_headers: Annotated[
        Sequence[str],
        Option(
            (),
            "more headers whose values are written as REDACTED.",
            _names,
            ini="linelist",
            adds_up=True,
            see="credentials.md",
        ),
    ]
    redact_query_parameters: Annotated[
        Sequence[str],
        Option(
            (),
            "more query parameters whose values are written as REDACTED.",
            _names,
            ini="linelist",
            adds_up=True,
        ),
    ]
    ignore_headers: Annotated[
        Sequence[str],
        Option(
            (),
            "more headers (* globs) left out when headers are compared.",
            _names,
            ini="linelist",
            adds_up=True,
        ),
    ]
    request_headers: Annotated[
        RequestHeaders,
        Option(
            "compared",
            "which request headers a recording keeps: compared (those matching can compare, "
            "with Content-Type and agentcore's x-agentcore-agent; none of the SDK's "
            "bookkeeping) or all.",
            _one_of(*get_args(RequestHeaders)),
            see="cassette-format.md#request-headers",
        ),
    ]
    ignore_json_pointers: Annotated[
        Sequence[str],
        Option(
            (),
            "body fields left out when bodies are compared, e.g. /metadata/user_id (* is any "
            "key or index).",
            _pointers,
            ini="linelist",
            adds_up=True,
        ),
    ]
    normalize_text: Annotated[
        Mapping[str, str] | Sequence[tuple[str, str]] | None,
        Option(
            (),
            "{regex: replacement} rules applied to body text before comparing (ini: "
            "'regex => replacement', one per line).",
            _text_rules,
            ini="linelist",
            adds_up=True,
        ),
    ]
    null_is_absent: Annotated[
        bool,
        Option(
            False,
            "compare a JSON key whose value is null as if it were absent (a client that sends "
            '"previous_response_id": null matches one that leaves it out).',
            _flag,
            ini="bool",
            see="matching.md#null-and-absent-keys",
        ),
    ]
    allowed_hosts: Annotated[
        Sequence[str],
        Option(
            (),
            "hosts (* globs) that code outside the recorded clients may reach while the "
            "cassette replays; this machine always may.",
            _names,
            ini="linelist",
            adds_up=True,
            see="failures.md#the-network-guard",
        ),
    ]
    replay_retry_after: Annotated[
        float | None,
        Option(
            None,
            "seconds to put in retry-after of replayed 429 and 5xx responses, so that SDK "
            "retries do not wait (default: as recorded).",
            _seconds,
            see="sdks.md#retries",
        ),
    ]
    websocket_pacing: Annotated[
        float,
        Option(
            0.0,
            "replay WebSocket messages at their recorded times, this factor of them (1.0: "
            "as recorded; default 0: each as soon as the message it follows was sent).",
            _factor,
            see="sdks.md#websockets",
        ),
    ]
    secrets: Annotated[
        SecretsPolicy,
        Option(
            "redact",
            "what credentials found in what a cassette would hold do: redact (default: "
            "written as REDACTED, with a warning) or refuse (nothing is written).",
            _one_of(*get_args(SecretsPolicy)),
            see="credentials.md",
        ),
    ]
    max_tokens: Annotated[
        int | None,
        Option(
            None,
            "fail when the tokens the provider counted over the exchanges (replayed or "
            "recorded) exceed this total (default: no budget).",
            _token_count,
            see="conversation.md#token-budgets",
        ),
    ]
    record_outages: Annotated[
        bool,
        Option(
            False,
            "write a recording in which no request got a response (each met a transport "
            "error), to test the code's error path; by default it is not written and the "
            "test fails.",
            _flag,
            ini="bool",
            see="failures.md#a-recording-that-got-no-response",
        ),
    ]


def _declared() -> dict[str, Option]:
    options = {}
    for name, hint in get_type_hints(CassetteOptions, include_extras=True).items():
        (option,) = (meta for meta in hint.__metadata__ if isinstance(meta, Option))
        options[name] = option._replace(name=name)
    return options


OPTIONS: Mapping[str, Option] = _declared()
"""Every option by name, in declaration order."""

OrphansPolicy = Literal["warn", "fail", "ignore"]

SESSION_OPTIONS: Mapping[str, Option] = {
    "orphaned_cassettes": Option(
        "warn",
        "cassette files in the folder of a test module that ran whole, which none of its "
        "tests uses: warn (default: listed in the session summary), fail (the session "
        "fails), or ignore.",
        _one_of(*get_args(OrphansPolicy)),
        see="failures.md#orphaned-cassettes",
        name="orphaned_cassettes",
    ),
}
"""Options of a whole session rather than of a cassette: an ini key (``agentcassette_`` +
the name) and a command-line flag (``--`` + the name with dashes), nothing else."""


def check_options(
    values: Mapping[str, Any], *, source: str, allowed: Iterable[str] = ()
) -> dict[str, Any]:
    """The options in ``values`` (from ``source``, named in errors) in their checked form.

    An unknown key is an error that lists the options and suggests the nearest;
    ``allowed`` names other keys the caller takes (a marker's ``name``). ``None`` means
    "not set here", except where ``None`` is a value of its own.
    """
    known = (*allowed, *OPTIONS)
    for key in values:
        if key not in known:
            raise CassetteError(
                f"{source}: unknown option {key!r}; the options are "
                f"{', '.join(known)}.{did_you_mean(str(key), known)}"
            )
    checked = {}
    for name, option in OPTIONS.items():
        if name in values and (values[name] is not None or option.adds_up):
            checked[name] = option.check(values[name], name, source)
    return checked


def merge_options(broad: Mapping[str, Any], closer: Mapping[str, Any]) -> dict[str, Any]:
    """Checked options from two places: ``closer``'s win, lists that add up are joined."""
    merged = dict(broad)
    for name, value in closer.items():
        merged[name] = merged.get(name, ()) + value if OPTIONS[name].adds_up else value
    return merged


def resolve_options(values: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """Every option, checked, with the defaults of those ``values`` does not set."""
    checked = check_options(values, source=source)
    return {name: checked.get(name, option.default) for name, option in OPTIONS.items()}


def options_table() -> str:
    """The options as the documentation's Markdown table shows them (``docs/options.md``
    holds this table; a test keeps the two equal).
    """
    rows = ["| option | default | what it does | ini key |", "|---|---|---|---|"]
    for name, option in OPTIONS.items():
        default = option.default
        shown = default.value if isinstance(default, RecordMode) else default
        shown = "" if shown in ((), None) else f"`{shown!r}`".replace("'", '"')
        more = f" ([more]({option.see}))" if option.see else ""
        rows.append(f"| `{name}` | {shown} | {option.help}{more} | `{option.ini_key}` |")
    return "\n".join(rows) + "\n"
