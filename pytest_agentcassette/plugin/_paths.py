"""Where a test's cassette lives: ``<dir>/<test module>/<name>.yaml``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["cassette_path", "safe_file_name"]

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_MAX_NAME_BYTES = 200  # well below NAME_MAX (255) with room for ".yaml" and temp-file affixes


def safe_file_name(name: str) -> str:
    """``name`` with characters that some file systems refuse replaced by ``-``.

    Over-long names are cut and given a short hash of the full name, so that two long
    parametrize ids still map to two files.
    """
    safe = _UNSAFE.sub("-", name).strip(" .") or "cassette"
    if len(safe.encode("utf-8")) > _MAX_NAME_BYTES:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
        cut = safe.encode("utf-8")[: _MAX_NAME_BYTES - 11].decode("utf-8", errors="ignore")
        safe = f"{cut}-{digest}"
    return safe


def cassette_path(base_dir: Path, module: str, name: str, *, explicit: bool) -> Path:
    """The cassette file for test ``name`` of ``module``.

    An ``explicit`` name (given in the marker) may hold sub-folders or be absolute, and may
    end in ``.yaml``/``.yml``; a test's own name is made safe for file systems.
    """
    if explicit:
        path = Path(name)
        if path.suffix not in (".yaml", ".yml"):
            path = path.with_name(path.name + ".yaml")
        return path if path.is_absolute() else base_dir / module / path
    return base_dir / module / f"{safe_file_name(name)}.yaml"
