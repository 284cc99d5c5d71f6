"""One spelling per endpoint: URLs as requests are matched and grouped."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

__all__ = ["normalize_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@functools.lru_cache(maxsize=1024)  # a session sends the same few URLs again and again
def normalize_url(url: str) -> str:
    """Lower-case scheme and host, no default port, no ``#fragment``, sorted query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
