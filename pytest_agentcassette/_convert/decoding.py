"""Compressed bodies that vcrpy kept as sent (the bytes plus ``Content-Encoding``), decoded
as this plugin's recorder stores them: the bytes the client's decoder gave the code, without
``content-encoding``, ``content-length`` counting them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from pytest_agentcassette._model import Headers

__all__ = ["Undecodable", "decode_body"]


class Undecodable(Exception):
    """An encoding this machine cannot undo (brotli without a brotli module), or bytes that
    do not decode as their header says.
    """


def _inflate(data: bytes) -> bytes:
    """zlib-wrapped deflate, else raw deflate, as httpx reads it."""
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)


def _gunzip(data: bytes) -> bytes:
    decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
    out = decoder.decompress(data) + decoder.flush()
    while decoder.unused_data:  # gzip members one after another read as one body
        rest = decoder.unused_data
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out += decoder.decompress(rest) + decoder.flush()
    return out


def _brotli() -> Any:
    """The brotli module (or brotlicffi), or ``None`` when neither is installed."""
    for name in ("brotli", "brotlicffi"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _unbrotli(data: bytes) -> bytes:
    module = _brotli()
    try:
        out: bytes = module.decompress(data)
    except module.error as problem:
        raise OSError(str(problem) or "not brotli data") from None
    return out


def _decoder(encoding: str) -> Callable[[bytes], bytes]:
    if encoding in ("gzip", "x-gzip"):
        return _gunzip
    if encoding == "deflate":
        return _inflate
    if encoding == "br":
        if _brotli() is None:
            raise Undecodable(
                "a br-compressed body, kept compressed with its content-encoding: no brotli "
                "module here (pip install brotli, then convert the original again)"
            )
        return _unbrotli
    raise Undecodable(f"a body in content-encoding {encoding!r}, kept as it was")


def decode_body(headers: Headers, content: bytes) -> tuple[Headers, bytes]:
    """``content`` with its ``content-encoding`` undone and the headers that describe the
    result; :class:`Undecodable` when it cannot be (the caller keeps the body as it was).
    """
    encodings = [
        token.strip().lower()
        for name, value in headers
        if name.lower() == "content-encoding"
        for token in value.split(",")
        if token.strip() and token.strip().lower() != "identity"
    ]
    if not encodings or not content:
        return headers, content
    for encoding in reversed(encodings):
        try:
            content = _decoder(encoding)(content)
        except (zlib.error, OSError) as error:
            raise Undecodable(
                f"a body that does not decode as {encoding} ({error}), kept as it was"
            ) from None
    kept: Headers = []
    for name, value in headers:
        lowered = name.lower()
        if lowered != "content-encoding":
            kept.append((name, str(len(content))) if lowered == "content-length" else (name, value))
    return kept, content
