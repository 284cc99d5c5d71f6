"""Plain scalars (unquoted words) as YAML's safe loader reads them, without the loader.

YAML 1.1 reads some plain scalars as other things than strings: ``null`` (``~``,
``null``, nothing), booleans (``true``, ``yes``, ``on`` and their capitalized forms and
negatives), integers and floats in several notations, and the merge key ``<<``. This
plugin's loader also reads dates as strings. A cassette the plugin wrote holds only the
plainest of these (``200``, ``0``, ``true``): they are read here, exactly as the loader
reads them, so that reading a cassette needs no YAML parser at all. Anything that might be
one of the others (``0x1f``, ``1_000``, ``.inf``, ``1:30``...) is :data:`UNDECIDED`, and the
caller hands the file to the parser.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["UNDECIDED", "plain_scalar"]

UNDECIDED: Any = object()
"""What :func:`plain_scalar` returns for a word only the YAML parser may read."""

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLEANS = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
# What a word starts with when YAML 1.1 may read it as something else than a string: a
# null, a boolean, a number (sign, digit or dot), a merge key or the ``=`` value key.
_MAYBE_NOT_TEXT = frozenset("~nNyYtTfFoO-+.0123456789<=")
_INTEGER = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")  # decimal, no leading zero, no underscore
_DECIMAL = re.compile(r"[-+]?[0-9]+\.[0-9]*")  # digits, a dot, maybe digits: a float
# Every character of every other numeric notation (binary, octal, hexadecimal,
# sexagesimal, underscores, exponents, .inf and .nan): a word made of other characters
# too is a string.
_NUMERIC = re.compile(r"[-+0-9_.:a-fA-FxinINE]+")


def plain_scalar(word: str) -> Any:
    """``word`` (an untagged plain scalar) as the safe loader reads it, or
    :data:`UNDECIDED`.
    """
    if word in _NULLS:
        return None
    if word[:1] not in _MAYBE_NOT_TEXT:
        return word
    boolean = _BOOLEANS.get(word)
    if boolean is not None:
        return boolean
    if _INTEGER.fullmatch(word):
        return int(word)
    if _DECIMAL.fullmatch(word):
        return float(word)
    if _NUMERIC.fullmatch(word) or word in ("<<", "="):
        return UNDECIDED
    return word
