"""Headless Chromium (Debian's ``chromium`` package) opening a local page: the DOM after its
scripts ran, or a screenshot. Nothing can reach the network: no proxy answers, no host name
resolves, and Chromium's own background traffic is switched off.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def needs_chromium() -> str:
    """The browser's path, or the test is skipped saying how to install it."""
    if CHROMIUM is None:
        pytest.skip(
            "chromium is not installed: apt-get install chromium (.ci/run installs it when it "
            "runs as root)"
        )
    return CHROMIUM


def _run(page: Path, fragment: str, *flags: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                needs_chromium(),
                *OFFLINE_FLAGS,
                f"--user-data-dir={profile}",
                *flags,
                page.resolve().as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    return done.stdout


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM, serialized once its scripts ran (``fragment``: ``#id`` in the URL)."""
    return _run(page, fragment, "--dump-dom")


def screenshot(page: Path, png: Path, fragment: str = "", size: str = "1280,2000") -> bytes:
    """A PNG of the page in a window of ``size`` pixels."""
    _run(page, fragment, f"--screenshot={png}", f"--window-size={size}")
    return png.read_bytes()


def png_facts(data: bytes) -> tuple[int, int, int]:
    """Width, height and how many different byte values the decompressed pixels hold: a page
    of one flat colour holds a handful (the row filters and the colour), text and pictures
    dozens.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    compressed, position = b"", 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            compressed += data[position + 8 : position + 8 + length]
        position += 12 + length
    return width, height, len(set(zlib.decompress(compressed)))
