"""cagent's two expansions of the environment in MCP toolsets.

- ``env:`` values (of ``command`` and ``docker:`` servers) go through Go's ``os.Expand``
  (cagent's ``pkg/environment/expand.go``): ``$NAME`` and ``${NAME}``, where a variable that
  is not set is an error. ``args`` are not expanded: cagent hands them to the server as
  written.
- ``remote.url`` and header values are JavaScript template literals evaluated with an
  ``env`` object (cagent's ``pkg/js/expand.go``): ``${env.NAME}`` is the variable, or ``""``.
  agentcore evaluates the part of JavaScript such templates use: ``env.NAME``,
  ``env['NAME']``, quoted text, ``||``, ``??``, ``&&``, ``==``/``!=`` (and ``===``/``!==``),
  ``?:`` and parentheses; :func:`template_problem` names anything else, so that the file
  is refused when it loads rather than sent as written. As in cagent, a template that does
  not evaluate (an unknown name such as ``${TOKEN}``, a syntax error) stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

__all__ = ["expand_env", "expand_template", "template_problem"]

# -- Go's os.Expand ----------------------------------------------------------------------

_SPECIAL = set("*#$@!?-0123456789")


def _is_name_char(char: str) -> bool:
    return char == "_" or ("0" <= char <= "9") or ("a" <= char <= "z") or ("A" <= char <= "Z")


def _shell_name(rest: str) -> tuple[str, int]:
    """The name after a ``$`` and how many characters it takes (Go's ``getShellName``)."""
    if rest[0] == "{":
        if len(rest) > 2 and rest[1] in _SPECIAL and rest[2] == "}":
            return rest[1], 3
        closing = rest.find("}", 1)
        if closing == 1:
            return "", 2  # "${}": bad syntax, eaten
        return (rest[1:closing], closing + 1) if closing > 0 else ("", 1)
    if rest[0] in _SPECIAL:
        return rest[0], 1
    length = 0
    while length < len(rest) and _is_name_char(rest[length]):
        length += 1
    return rest[:length], length


def _expand(text: str, lookup: Callable[[str], str]) -> str:
    """Go's ``os.Expand(text, lookup)``, character for character."""
    pieces: list[str] = []
    start = index = 0
    while index < len(text):
        if text[index] == "$" and index + 1 < len(text):
            pieces.append(text[start:index])
            name, width = _shell_name(text[index + 1 :])
            if name:
                pieces.append(lookup(name))
            elif width == 0:
                pieces.append("$")  # "$" before something that is not a name: kept
            index += width
            start = index + 1
        index += 1
    return "".join(pieces) + text[start:]


def expand_env(variables: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """``variables`` with ``$NAME`` / ``${NAME}`` replaced from ``env``, as cagent expands a
    toolset's ``env`` (each ``NAME=value`` line as a whole); raises ``KeyError`` with the
    names that are not set.
    """
    missing: list[str] = []

    def lookup(name: str) -> str:
        if name not in env:
            missing.append(name)
            return ""
        return env[name]

    expanded = {}
    for key, value in variables.items():
        line = _expand(f"{key}={value}", lookup)
        name, _, text = line.partition("=")
        expanded[name] = text
    if missing:
        raise KeyError(*dict.fromkeys(missing))
    return expanded


# -- JavaScript template literals ----------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<operator>===|!==|==|!=|\|\||\?\?|&&|[?:.()\[\]])"
    r"|(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)|(?P<other>\S))"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


class _NotEvaluated(Exception):
    """The expression does not evaluate in JavaScript (the template stays as written)."""


class _Unsupported(Exception):
    """JavaScript agentcore does not evaluate."""


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens = []
    for found in _TOKEN.finditer(expression):
        kind = found.lastgroup
        if kind is None:  # trailing blanks
            continue
        if kind == "other":
            raise _Unsupported(found.group(kind))
        tokens.append((kind, found.group(kind)))
    return tokens


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal[1:-1])


class _Parser:
    """One ``${...}`` expression, evaluated as JavaScript would on string values."""

    def __init__(self, expression: str, env: Mapping[str, str]):
        self.tokens = _tokens(expression)
        self.position = 0
        self.env = env

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _NotEvaluated("unexpected end")
        token = self.tokens[self.position]
        if expected is not None and token[1] != expected:
            raise _NotEvaluated(f"expected {expected}")
        self.position += 1
        return token

    def evaluate(self) -> str | bool:
        value = self.ternary()
        if self.position != len(self.tokens):
            raise _NotEvaluated("unexpected token")
        return value

    def ternary(self) -> str | bool:
        condition = self.either()
        if self.peek() != "?":
            return condition
        self.take("?")
        then = self.ternary()
        self.take(":")
        otherwise = self.ternary()
        return then if condition else otherwise

    def either(self) -> str | bool:
        value = self.both()
        while self.peek() in ("||", "??"):
            operator = self.take()[1]
            other = self.both()
            if operator == "||":
                value = value or other  # "??" keeps any string: none is null
        return value

    def both(self) -> str | bool:
        value = self.equality()
        while self.peek() == "&&":
            self.take()
            other = self.equality()
            value = other if value else value
        return value

    def equality(self) -> str | bool:
        value = self.primary()
        if self.peek() in ("==", "===", "!=", "!=="):
            operator = self.take()[1]
            same = value == self.primary()
            return same if operator in ("==", "===") else not same
        return value

    def primary(self) -> str | bool:
        kind, text = self.take()
        if kind == "string":
            return _unquote(text)
        if text == "(":
            value = self.ternary()
            self.take(")")
            return value
        if kind == "name" and text == "env":
            return self.variable()
        if kind == "name" and text in ("true", "false"):
            return text == "true"
        if kind == "name":
            raise _NotEvaluated(f"{text} is not defined")  # a ReferenceError
        raise _NotEvaluated(f"unexpected {text}")

    def variable(self) -> str:
        if self.peek() == ".":
            self.take()
            kind, name = self.take()
            if kind != "name":
                raise _NotEvaluated("a name must follow env.")
        else:
            self.take("[")
            kind, literal = self.take()
            if kind != "string":
                raise _Unsupported("env[...] with something other than quoted text")
            name = _unquote(literal)
            self.take("]")
        if self.peek() in (".", "[", "("):
            raise _Unsupported(f"env.{name}{self.peek()}")
        return self.env.get(name, "")


def _expressions(text: str) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` of each ``${...}`` in ``text``; ``None`` if one is unterminated."""
    found = []
    index = text.find("${")
    while index >= 0:
        end, quote = index + 2, ""
        while end < len(text) and (quote or text[end] != "}"):
            char = text[end]
            if quote and char == "\\":
                end += 1
            elif char == quote:
                quote = ""
            elif not quote and char in "'\"":
                quote = char
            end += 1
        if end >= len(text):
            return None
        found.append((index, end + 1))
        index = text.find("${", end + 1)
    return found


def _shown(value: str | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else value


def expand_template(text: str, env: Mapping[str, str]) -> str:
    """``text`` as cagent's JavaScript expander gives it (``${env.NAME}`` replaced); the
    text as written when it does not evaluate.
    """
    spans = _expressions(text) if "${" in text else []
    if not spans:
        return text
    pieces, start = [], 0
    try:
        for begin, end in spans:
            pieces.append(text[start:begin])
            pieces.append(_shown(_Parser(text[begin + 2 : end - 1], env).evaluate()))
            start = end
    except (_NotEvaluated, _Unsupported):
        return text
    return "".join(pieces) + text[start:]


def template_problem(text: str) -> str | None:
    """What in ``text`` agentcore cannot evaluate as cagent would, or ``None``."""
    for begin, end in _expressions(text) or []:
        expression = text[begin + 2 : end - 1]
        try:
            _Parser(expression, {}).evaluate()
        except _Unsupported:
            return (
                f"'${{{expression}}}' is not supported yet by agentcore: it evaluates env.NAME, "
                f"quoted text, ||, ??, &&, ==, != and ?: (cagent runs any JavaScript here)"
            )
        except _NotEvaluated:
            continue  # cagent keeps such a template as written, and so does agentcore
    return None
