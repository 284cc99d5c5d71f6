"""The ``fetch`` toolset: read web pages through the same httpx client as the model calls,
so that a recorded session holds them too. robots.txt is respected, as cagent does.

The toolset's state is a :class:`Fetcher` (the client, the default timeout, the robots.txt
files read so far); the tool is a function of it and the call's arguments, declared in
:data:`FETCH_TOOLS`.
"""

from __future__ import annotations

import html
import re
import time
import urllib.robotparser
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx

from agentcore.tools.base import Arguments, ToolError, Toolset, ToolSpec, bind_tools

__all__ = ["fetch_toolset", "html_to_markdown", "html_to_text"]

FETCH_INSTRUCTION = (
    "## Fetch Tool\n\n"
    "- Fetch web pages with format markdown (readable), text (plain) or html (raw)\n"
    "- Pages that robots.txt disallows are not fetched"
)
USER_AGENT = "agentcore-fetch/0.1 (+https://github.com/agentcassette/pytest-agentcassette)"
MAX_BODY = 2**20
"""Bytes of a page read at most (1 MiB, as cagent reads); of a robots.txt, 64 KiB."""
MAX_ROBOTS = 64 * 2**10
_BLOCK = {"p", "div", "section", "article", "li", "tr", "br", "ul", "ol", "table", "pre"}
_SKIP = {"script", "style", "noscript", "head"}


class _Converter(HTMLParser):
    def __init__(self, markdown: bool):
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.parts: list[str] = []
        self.skipping = 0
        self.link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "li":
            self.parts.append("\n- " if self.markdown else "\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif self.markdown and re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n" + "#" * int(tag[1]) + " ")
        elif self.markdown and tag == "a":
            self.link = dict(attrs).get("href")
            self.parts.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag != "li" and (tag in _BLOCK or re.fullmatch(r"h[1-6]", tag)):
            self.parts.append("\n")
        elif self.markdown and tag == "a":
            self.parts.append(f"]({self.link})" if self.link else "]")
            self.link = None

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [line.strip() for line in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(page: str) -> str:
    """The readable text of an HTML page."""
    converter = _Converter(markdown=False)
    converter.feed(page)
    return html.unescape(converter.text())


def html_to_markdown(page: str) -> str:
    """An HTML page as simple Markdown: headings, links, list items, paragraphs."""
    converter = _Converter(markdown=True)
    converter.feed(page)
    return converter.text()


def _get(
    client: httpx.Client, url: str, timeout: float, limit: int, *, redirects: bool = False
) -> tuple[httpx.Response, bytes]:
    """GET ``url``: the response and at most ``limit`` bytes of its body, all within
    ``timeout`` seconds (httpx bounds each read; a server that trickles would not end).
    """
    deadline = time.monotonic() + timeout
    kept = bytearray()
    with client.stream(
        "GET", url, timeout=timeout, follow_redirects=redirects, headers={"user-agent": USER_AGENT}
    ) as answer:
        for chunk in answer.iter_bytes():
            kept += chunk[: limit - len(kept)]
            if len(kept) >= limit:
                break
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"no complete answer within {timeout:g} seconds")
    return answer, bytes(kept)


def fetch_toolset(client: httpx.Client, options: dict[str, Any]) -> Toolset:
    """The ``fetch`` tool, sending through ``client``."""
    fetcher = Fetcher(client, float(options.get("timeout") or 30))
    return Toolset("fetch", bind_tools(FETCH_TOOLS, fetcher), FETCH_INSTRUCTION)


class Fetcher:
    """Fetches pages through ``client``, within ``default_timeout`` seconds unless a call
    says otherwise, and only where the site's robots.txt (read once per origin) allows.
    """

    def __init__(self, client: httpx.Client, default_timeout: float):
        self.client = client
        self.default_timeout = default_timeout
        self.robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def allowed(self, url: str, timeout: float) -> bool:
        """Whether the robots.txt of ``url``'s origin lets this agent fetch it."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = self._robots(origin, timeout)
        return self.robots[origin].can_fetch(USER_AGENT, url)

    def _robots(self, origin: str, timeout: float) -> urllib.robotparser.RobotFileParser:
        """The robots.txt of ``origin``; none (everything allowed) if it cannot be read."""
        parser = urllib.robotparser.RobotFileParser()
        try:
            answer, content = _get(self.client, f"{origin}/robots.txt", timeout, MAX_ROBOTS)
            text = content.decode(answer.encoding or "utf-8", errors="replace")
            parser.parse(text.splitlines() if answer.status_code == 200 else [])
        except httpx.HTTPError:
            parser.parse([])
        return parser

    def page(self, url: str, form: str, timeout: float) -> str:
        """The page at ``url`` in ``form`` (text, markdown or html), or an ``Error:`` line."""
        if urlsplit(url).scheme not in ("http", "https"):
            return f"Error: {url} is not an http(s) URL"
        if not self.allowed(url, timeout):
            return f"Error: fetching {url} is disallowed by its robots.txt"
        try:
            answer, content = _get(self.client, url, timeout, MAX_BODY, redirects=True)
        except httpx.HTTPError as error:
            return f"Error: {url}: {error}"
        if answer.status_code >= 400:
            return f"Error: {url} answered HTTP {answer.status_code}"
        body = content.decode(answer.encoding or "utf-8", errors="replace")
        if "html" not in answer.headers.get("content-type", "") or form == "html":
            return body
        return html_to_markdown(body) if form == "markdown" else html_to_text(body)


def fetch(fetcher: Fetcher, args: Arguments) -> str:
    """Each of ``urls`` in ``format``; several are each headed by their URL."""
    urls = args.get("urls") or []
    form = args.get("format") or "markdown"
    if not isinstance(urls, list) or not urls:
        raise ToolError("'urls' must be a non-empty list of URLs")
    if form not in ("text", "markdown", "html"):
        raise ToolError(f"'format' must be text, markdown or html, got {form!r}")
    timeout = min(300.0, max(1.0, float(args.get("timeout") or fetcher.default_timeout)))
    results = [fetcher.page(str(url), form, timeout) for url in urls]
    if len(results) == 1:
        return results[0]
    return "\n\n".join(
        f"=== {url} ===\n{result}" for url, result in zip(urls, results, strict=True)
    )


FETCH_TOOLS: tuple[ToolSpec[Fetcher], ...] = (
    ToolSpec(
        "fetch",
        "Fetch content from one or more HTTP/HTTPS URLs. Returns the response body and metadata.",
        {
            "format": {
                "description": "The format to return the content in (text, markdown, or html)",
                "enum": ["text", "markdown", "html"],
                "type": "string",
            },
            "timeout": {
                "description": "Request timeout in seconds (default: 30)",
                "type": ["integer", "null"],
            },
            "urls": {
                "description": "Array of URLs to fetch",
                "items": {"type": "string"},
                "minItems": 1,
                "type": ["null", "array"],
            },
        },
        ("format", "timeout", "urls"),
        fetch,
        read_only=True,
    ),
)
"""The fetch tool."""
