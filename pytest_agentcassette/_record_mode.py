"""Record modes: when a cassette replays, when it records, and what it writes."""

from __future__ import annotations

from enum import StrEnum

from pytest_agentcassette._errors import CassetteError, did_you_mean

__all__ = ["RECORD_MODE_CHOICES", "RecordMode"]


class RecordMode(StrEnum):
    """What a cassette does with a request.

    - ``NONE`` (default): replay only; a request without a recorded match is an error and
      nothing reaches the network.
    - ``ONCE``: replay if the cassette file exists (as ``NONE``); otherwise send every
      request for real and write the cassette.
    - ``NEW_EPISODES``: replay what matches, send and record what does not, save old + new
      (every recorded interaction is kept, even those no request of this run matched).
    - ``UPDATE``: replay while the requests still match the recording, in order; from the
      first one that does not, send every request for real; save what this run replayed
      followed by what it recorded, and drop the rest (what followed the change).
    - ``ALL``: send everything for real and write a fresh cassette that replaces the old one.
      ``"rewrite"`` is accepted as an alias.
    - ``VERIFY``: send every request for real and compare each response's shape (status,
      JSON keys and types, event types in order; never the text) with the recorded one that
      matches the request; write nothing, and fail with the differences.
    """

    NONE = "none"
    ONCE = "once"
    NEW_EPISODES = "new_episodes"
    UPDATE = "update"
    ALL = "all"
    VERIFY = "verify"

    @classmethod
    def parse(cls, value: str | RecordMode, *, source: str = "record_mode") -> RecordMode:
        """Turn ``"once"``, ``"rewrite"``, ``RecordMode.ALL``... into a mode, or raise.

        ``source`` names where the value came from (an option, an ini key) for the message.
        """
        if isinstance(value, RecordMode):
            return value
        text = str(value).strip().lower()
        if text == "rewrite":
            return cls.ALL
        for mode in cls:
            if mode.value == text:
                return mode
        raise CassetteError(
            f"{source}: unknown record mode {value!r}; choose one of "
            f"{', '.join(RECORD_MODE_CHOICES)}.{did_you_mean(text, RECORD_MODE_CHOICES)}"
        )

    def __str__(self) -> str:
        return self.value


RECORD_MODE_CHOICES = ("none", "once", "new_episodes", "update", "all", "rewrite", "verify")
"""What :meth:`RecordMode.parse` accepts (``rewrite`` is ``all``), as a message lists them."""
