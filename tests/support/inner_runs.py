"""Inner pytest runs of a chat test that reaches the provider server through
``$PROVIDER_URL``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

CHAT_TEST = """
import os

import httpx
import pytest

URL = os.environ["PROVIDER_URL"] + "/v1/chat/completions"


def ask(text):
    body = {{"model": "gpt-4o", "messages": [{{"role": "user", "content": text}}]}}
    return httpx.post(URL, json=body, headers={{"authorization": "Bearer sk-inner-secret"}})

{tests}
"""


def write_tests(pytester: pytest.Pytester, tests: str, name: str = "test_chat") -> Path:
    return pytester.makepyfile(**{name: CHAT_TEST.format(tests=textwrap.dedent(tests))})


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that contains ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)
