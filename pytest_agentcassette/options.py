"""Cassette options as users write them (marker keywords, the ``agent_cassette_config``
fixture, ini keys, ``use_cassette`` arguments): checked strictly, then merged from the
broadest source to the closest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .errors import CassetteError, did_you_mean
from .matching import MATCHERS, MatchConfig, Matcher
from .normalize import BodyNormalizer, TextNormalizer, parse_pointer
from .record_mode import RecordMode

__all__ = ["OPTION_NAMES", "UNUSED_POLICIES", "CassetteOptions", "match_config"]

UNUSED_POLICIES = ("fail", "warn")
_LISTS = (
    "redact_headers",
    "redact_query_parameters",
    "ignore_headers",
    "ignore_json_pointers",
    "allowed_hosts",
)


def _names(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) for item in value
    ):
        raise CassetteError(
            f'{source}: {key} must be a list of names, for example {key}=["x-my-token"]; '
            f"got {value!r}"
        )
    return tuple(value)


def _seconds(value: Any, source: str) -> float:
    try:
        seconds = float(value) if isinstance(value, (int, float, str)) else -1.0
    except ValueError:
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= 0:
        raise CassetteError(
            f"{source}: replay_retry_after is a number of seconds, for example "
            f"replay_retry_after=0.01; got {value!r}"
        )
    return seconds


def _text_rules(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)):
        pairs = list(value)
    else:
        pairs = [value]
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
    return tuple((pattern, replacement) for pattern, replacement in pairs)


def _match_on(value: Any, source: str) -> tuple[str | Matcher, ...]:
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


@dataclass(frozen=True)
class CassetteOptions:
    """Options for one cassette; ``None``/empty means "not set here"."""

    record_mode: RecordMode | None = None
    match_on: tuple[str | Matcher, ...] | None = None
    allow_playback_repeats: bool | None = None
    unused_interactions: str | None = None
    redact_headers: tuple[str, ...] = ()
    redact_query_parameters: tuple[str, ...] = ()
    ignore_headers: tuple[str, ...] = ()
    ignore_json_pointers: tuple[str, ...] = ()
    normalize_text: tuple[tuple[str, str], ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    replay_retry_after: float | None = None
    secrets: str | None = None

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, source: str, allowed: tuple[str, ...] | None = None
    ) -> CassetteOptions:
        """Check keyword options from ``source`` (named in errors) and build them."""
        allowed = allowed or OPTION_NAMES
        for key in values:
            if key not in allowed:
                raise CassetteError(
                    f"{source}: unknown option {key!r}; the options are "
                    f"{', '.join(allowed)}.{did_you_mean(str(key), allowed)}"
                )
        changes: dict[str, Any] = {}
        if values.get("record_mode") is not None:
            changes["record_mode"] = RecordMode.parse(
                values["record_mode"], source=f"{source}: record_mode"
            )
        if values.get("match_on") is not None:
            changes["match_on"] = _match_on(values["match_on"], source)
        if values.get("allow_playback_repeats") is not None:
            if not isinstance(values["allow_playback_repeats"], bool):
                raise CassetteError(f"{source}: allow_playback_repeats must be True or False")
            changes["allow_playback_repeats"] = values["allow_playback_repeats"]
        if values.get("unused_interactions") is not None:
            policy = values["unused_interactions"]
            if policy not in UNUSED_POLICIES:
                raise CassetteError(
                    f"{source}: unused_interactions must be one of "
                    f"{', '.join(UNUSED_POLICIES)}, got {policy!r}"
                )
            changes["unused_interactions"] = policy
        for key in _LISTS:
            if key in values:
                changes[key] = _names(values[key], key, source)
        if "normalize_text" in values:
            changes["normalize_text"] = _text_rules(values["normalize_text"], source)
        if values.get("replay_retry_after") is not None:
            changes["replay_retry_after"] = _seconds(values["replay_retry_after"], source)
        if values.get("secrets") is not None:
            from .secrets_guard import secrets_policy

            changes["secrets"] = secrets_policy(values["secrets"], source)
        options = replace(cls(), **changes)
        match_config(source=source, **options.matching())  # check regexes and pointers now
        return options

    def merged(self, closer: CassetteOptions) -> CassetteOptions:
        """These options overridden by ``closer``: its settings win, name lists add up."""
        merged: dict[str, Any] = {}
        for option in fields(self):
            mine, theirs = getattr(self, option.name), getattr(closer, option.name)
            if option.name in (*_LISTS, "normalize_text"):
                merged[option.name] = mine + theirs
            else:
                merged[option.name] = theirs if theirs is not None else mine
        return CassetteOptions(**merged)

    def matching(self) -> dict[str, Any]:
        """The keyword arguments of :func:`match_config` these options set."""
        result: dict[str, Any] = {
            "ignore_headers": self.ignore_headers,
            "ignore_json_pointers": self.ignore_json_pointers,
            "normalize_text": self.normalize_text,
            "allow_playback_repeats": bool(self.allow_playback_repeats),
        }
        if self.match_on is not None:
            result["match_on"] = self.match_on
        return result


OPTION_NAMES = tuple(option.name for option in fields(CassetteOptions))


def match_config(
    *,
    match_on: str | Iterable[str | Matcher] = ("method", "url", "body"),
    allow_playback_repeats: bool = False,
    ignore_headers: Iterable[str] = (),
    ignore_json_pointers: Iterable[str] = (),
    normalize_text: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    source: str,
) -> MatchConfig:
    """Check the matching options and build the :class:`MatchConfig` they describe."""
    matchers = _match_on(match_on, source)
    pointers = []
    for pointer in _names(tuple(ignore_json_pointers), "ignore_json_pointers", source):
        try:
            pointers.append(parse_pointer(pointer))
        except ValueError as error:
            raise CassetteError(f"{source}: ignore_json_pointers: {error}") from None
    rules: list[TextNormalizer] = []
    for pattern, replacement in _text_rules(normalize_text, source):
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
        rules.append((compiled, replacement))
    return MatchConfig(
        match_on=() if matchers == ("sequential",) else matchers,
        sequential=matchers == ("sequential",),
        ignore_headers=_names(tuple(ignore_headers), "ignore_headers", source),
        normalizer=BodyNormalizer(tuple(pointers), tuple(rules)),
        allow_playback_repeats=allow_playback_repeats,
    )
