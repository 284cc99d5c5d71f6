"""Compressed bodies, decoded for storage: ``content-encoding`` undone chunk by chunk (gzip,
deflate, brotli when installed), so a replay hands the client the same pieces its decoder
produced while recording.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

from pytest_agentcassette._model import Headers

__all__ = ["decode_content"]


class _Decoder(Protocol):
    def decompress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Brotli:
    def __init__(self, module: Any):
        self._decoder = module.Decompressor()

    def decompress(self, data: bytes) -> bytes:
        out: bytes = (getattr(self._decoder, "process", None) or self._decoder.decompress)(data)
        return out

    def flush(self) -> bytes:
        return b""


def _decoder_for(encoding: str) -> _Decoder | None:
    if encoding == "gzip" or encoding == "x-gzip":
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Deflate()
    if encoding == "br":
        for name in ("brotli", "brotlicffi"):
            try:
                return _Brotli(__import__(name))
            except ImportError:
                continue
    return None


class _Deflate:
    """zlib-wrapped deflate, falling back to raw deflate as browsers and httpx do."""

    def __init__(self) -> None:
        self._first = True
        self._decoder = zlib.decompressobj()

    def decompress(self, data: bytes) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._decoder.decompress(data)
            except zlib.error:
                self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._decoder.decompress(data)

    def flush(self) -> bytes:
        return self._decoder.flush()


def decode_content(headers: Headers, chunks: list[bytes]) -> tuple[Headers, list[bytes]]:
    """Undo ``content-encoding`` chunk by chunk; unknown or broken encodings stay as they are."""
    encodings = [
        token.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for token in value.split(",")
        if token.strip() and token.strip().lower() != "identity"
    ]
    if not encodings or not any(chunks):
        # Nothing to decode (HEAD, 204, 304): the headers still describe the real entity.
        return headers, [chunk for chunk in chunks if chunk]
    decoders: list[_Decoder] = []
    for encoding in reversed(encodings):
        decoder = _decoder_for(encoding)
        if decoder is None:
            return headers, [chunk for chunk in chunks if chunk]
        decoders.append(decoder)
    decoded: list[bytes] = []
    try:
        for chunk in [*chunks, None]:
            data = chunk or b""
            for decoder in decoders:
                data = decoder.decompress(data) + (decoder.flush() if chunk is None else b"")
            if data:
                decoded.append(data)
    except zlib.error:
        return headers, [chunk for chunk in chunks if chunk]
    length = str(sum(len(chunk) for chunk in decoded))
    kept: Headers = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-encoding":
            continue
        kept.append((name, length) if lowered == "content-length" else (name, value))
    return kept, decoded
