"""cassetter, a contender that cannot live beside pytest-recording, in a virtual env of its own,
which the floor and this plugin share with it.

cassetter (PyPI ``cassetter``, a Rust core behind a vcrpy-like API) also defines
``--record-mode``: installed beside pytest-recording, pytest refuses to start. The harness
therefore creates a virtual environment for it (``python -m venv`` + ``pip install
cassetter pytest respx httpx pyyaml jsonpatch``, this environment's versions) under
``~/.cache/agentcassette-bench/cassetter-venv`` (``AGENTCASSETTE_BENCH_CACHE`` moves it) and
reuses it on the next run. The floor and this plugin (loaded from this checkout with ``-p``,
its dependencies installed there too) run in the same environment, so that a whole pytest
run costs each contender the same start-up: pytest reads the entry points of every
installed distribution, and this project's environment holds a hundred more than a user's
of either tool. If it cannot be made (no network, say), :func:`cassetter_python` says why,
the tables and targets that need cassetter say "skipped" with that reason, never a
figure, and the others run in this project's environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def packages() -> list[str]:
    """cassetter 0.16, and the same pytest, respx, httpx, pyyaml and jsonpatch as this
    environment's (the last two: what this plugin needs beside respx and httpx).
    """
    from importlib.metadata import PackageNotFoundError, version

    pinned = ["cassetter>=0.16,<0.17"]
    for name in ("pytest", "respx", "httpx", "pyyaml", "jsonpatch"):
        try:
            pinned.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pinned.append(name)
    return pinned


def venv_folder() -> Path:
    cache = os.environ.get("AGENTCASSETTE_BENCH_CACHE")
    root = Path(cache) if cache else Path.home() / ".cache" / "agentcassette-bench"
    return root / "cassetter-venv"


def _python(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _works(python: Path) -> str | None:
    """cassetter's version if ``python`` imports it and this plugin's dependencies, else None."""
    if not python.exists():
        return None
    check = "import yaml, jsonpatch, importlib.metadata as m; print(m.version('cassetter'))"
    done = subprocess.run(
        [str(python), "-c", check],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def cassetter_python(*, install: bool = True) -> tuple[Path | None, str]:
    """The interpreter of cassetter's virtual env and its version, or (None, why not).

    With ``install=False`` an existing env is used and nothing is downloaded.
    """
    folder = venv_folder()
    python = _python(folder)
    version = _works(python)
    if version:
        return python, version
    if not install:
        return None, f"no virtual env at {folder} (this run installs nothing)"
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", "--clear", str(folder)],
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages()],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, f"{' '.join(step[:3])} failed: {error}"
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"{' '.join(step[:4])} failed: {last[0][:200]}"
    version = _works(python)
    return (python, version) if version else (None, f"cassetter not importable in {folder}")
