"""Cassette options as users write them (marker keywords, the ``agent_cassette_config``
fixture, ini keys): checked strictly, then merged from the broadest source to the closest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .errors import CassetteError, did_you_mean
from .record_mode import RecordMode

__all__ = ["OPTION_NAMES", "CassetteOptions"]

OPTION_NAMES = ("record_mode", "redact_headers", "redact_query_parameters")


def _names(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) for item in value
    ):
        raise CassetteError(
            f"{source}: {key} must be a list of names, for example "
            f'{key}=["x-my-token"]; got {value!r}'
        )
    return tuple(value)


@dataclass(frozen=True)
class CassetteOptions:
    """Options for one cassette; ``None``/empty means "not set here"."""

    record_mode: RecordMode | None = None
    redact_headers: tuple[str, ...] = ()
    redact_query_parameters: tuple[str, ...] = ()

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, source: str, allowed: tuple[str, ...] = OPTION_NAMES
    ) -> CassetteOptions:
        """Check keyword options from ``source`` (named in errors) and build them."""
        for key in values:
            if key not in allowed:
                raise CassetteError(
                    f"{source}: unknown option {key!r}; the options are "
                    f"{', '.join(allowed)}.{did_you_mean(str(key), allowed)}"
                )
        options = cls()
        if values.get("record_mode") is not None:
            mode = RecordMode.parse(values["record_mode"], source=f"{source}: record_mode")
            options = replace(options, record_mode=mode)
        if "redact_headers" in values:
            headers = _names(values["redact_headers"], "redact_headers", source)
            options = replace(options, redact_headers=headers)
        if "redact_query_parameters" in values:
            names = _names(values["redact_query_parameters"], "redact_query_parameters", source)
            options = replace(options, redact_query_parameters=names)
        return options

    def merged(self, closer: CassetteOptions) -> CassetteOptions:
        """These options overridden by ``closer``: its record mode wins, name lists add up."""
        return CassetteOptions(
            record_mode=closer.record_mode or self.record_mode,
            redact_headers=self.redact_headers + closer.redact_headers,
            redact_query_parameters=self.redact_query_parameters + closer.redact_query_parameters,
        )
