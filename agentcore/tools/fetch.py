"""The ``fetch`` toolset: read web pages through the same httpx client as the model calls,
so that a recorded session holds them too. robots.txt is respected, as cagent does.
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

from .base import ToolError, Toolset, tool

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
    default_timeout = float(options.get("timeout") or 30)
    robots: dict[str, urllib.robotparser.RobotFileParser] = {}

    def allowed(url: str, timeout: float) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in robots:
            parser = urllib.robotparser.RobotFileParser()
            try:
                answer, content = _get(client, f"{origin}/robots.txt", timeout, MAX_ROBOTS)
                text = content.decode(answer.encoding or "utf-8", errors="replace")
                parser.parse(text.splitlines() if answer.status_code == 200 else [])
            except httpx.HTTPError:
                parser.parse([])
            robots[origin] = parser
        return robots[origin].can_fetch(USER_AGENT, url)

    def fetch_one(url: str, form: str, timeout: float) -> str:
        if urlsplit(url).scheme not in ("http", "https"):
            return f"Error: {url} is not an http(s) URL"
        if not allowed(url, timeout):
            return f"Error: fetching {url} is disallowed by its robots.txt"
        try:
            answer, content = _get(client, url, timeout, MAX_BODY, redirects=True)
        except httpx.HTTPError as error:
            return f"Error: {url}: {error}"
        if answer.status_code >= 400:
            return f"Error: {url} answered HTTP {answer.status_code}"
        body = content.decode(answer.encoding or "utf-8", errors="replace")
        if "html" not in answer.headers.get("content-type", "") or form == "html":
            return body
        return html_to_markdown(body) if form == "markdown" else html_to_text(body)

    def fetch(args: dict[str, Any]) -> str:
        urls = args.get("urls") or []
        form = args.get("format") or "markdown"
        if not isinstance(urls, list) or not urls:
            raise ToolError("'urls' must be a non-empty list of URLs")
        if form not in ("text", "markdown", "html"):
            raise ToolError(f"'format' must be text, markdown or html, got {form!r}")
        timeout = min(300.0, max(1.0, float(args.get("timeout") or default_timeout)))
        results = [fetch_one(str(url), form, timeout) for url in urls]
        if len(results) == 1:
            return results[0]
        return "\n\n".join(
            f"=== {url} ===\n{result}" for url, result in zip(urls, results, strict=True)
        )

    properties = {
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
    }
    description = (
        "Fetch content from one or more HTTP/HTTPS URLs. Returns the response body and metadata."
    )
    return Toolset(
        "fetch",
        [
            tool(
                "fetch",
                description,
                properties,
                ["format", "timeout", "urls"],
                fetch,
                read_only=True,
            )
        ],
        FETCH_INSTRUCTION,
    )
