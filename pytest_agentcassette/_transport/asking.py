"""What a client's patch asks the cassette, whatever the library: the one exchange every
transport shares.

A patch turns the library's request into an ``httpx.Request`` and calls :func:`answer`:

- an ``httpx.Response`` comes back: replay it (its stream yields the recorded chunks, then
  raises the recorded fault, if any, as :func:`~.faults.core_exception` builds it);
- a :class:`PendingRecording` comes back: send the request for real, then hand the
  response head to ``start`` and feed the returned tape each chunk as it arrives (or call
  ``fail`` if no response came);
- ``None``: no cassette is open any more, or the request is telemetry sent while
  recording; send the request as if nothing were patched.

It raises :class:`~pytest_agentcassette.CassetteError` (a mismatch, a broken file) for the
code to meet as it is, and :class:`~.faults.ReplayedTransportError` for a recorded request
that got no response: the patch raises its library's own exception for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pytest_agentcassette._transport.registry import cassette_for_this_request
from pytest_agentcassette._transport.telemetry import answer_telemetry, telemetry_of

if TYPE_CHECKING:
    import httpx

    from pytest_agentcassette._transport.tee import ResponseHead, Tape

__all__ = ["PendingRecording", "RecordThrough", "answer"]


class PendingRecording(Protocol):
    """A request the cassette records: told about the response head, or about a failure."""

    def start(self, head: ResponseHead) -> Tape:
        """The response head arrived; returns the tape that receives the body."""

    def fail(self, error: BaseException) -> None:
        """Sending failed with ``error`` before any response came."""


class RecordThrough(Exception):
    """Raised by the cassette to have the patch send a request for real and tee it."""

    def __init__(self, recording: PendingRecording):
        super().__init__("record this request")
        self.recording = recording


def answer(request: httpx.Request) -> httpx.Response | PendingRecording | None:
    """The cassette's answer to ``request``: a replayed response, a recording to feed, or
    ``None`` when no cassette is open, or for a known tracing endpoint while recording
    (sent live, never recorded; in a replay it is answered locally:
    :mod:`~pytest_agentcassette._transport.telemetry`).
    """
    cassette = cassette_for_this_request()
    if cassette is None:
        return None
    telemetry = telemetry_of(request.url)
    if telemetry is not None:
        return answer_telemetry(telemetry, request, recording=cassette.is_recording)
    try:
        return cassette._answer_http(request)
    except RecordThrough as through:
        return through.recording
