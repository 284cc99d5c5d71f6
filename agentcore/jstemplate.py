"""cagent's JavaScript template strings (``pkg/js``): a text whose ``${...}`` parts are
JavaScript expressions, evaluated as one template literal.

cagent runs the whole text in a JavaScript engine; agentcore evaluates a subset of the
language, enough for what agent files write: ``args``, ``args[0]``, ``args.join(" ")``,
``args.length``, ``env.NAME``, tool calls ``shell({cmd: "ls"})``, string and number
literals, objects and arrays, ``+``, ``||``, ``??``, ``&&``, ``!``, ``===``, ``!==`` and
``a ? b : c``. :func:`check` tells at load time whether a text stays within it.

As in cagent, when anything fails while evaluating (an unknown name, a tool error), the text
is kept unchanged, and every backslash and backtick of the text is taken literally.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["UNDEFINED", "EnvView", "JsError", "Unsupported", "check", "evaluate", "to_text"]


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()
"""JavaScript's ``undefined``."""


class JsError(Exception):
    """A JavaScript exception (ReferenceError, TypeError...): the text is kept unchanged."""


class Unsupported(Exception):
    """A ``${...}`` expression outside the subset agentcore evaluates; ``offset``: where
    its ``${`` is in the text.
    """

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


METHODS = ("join", "slice", "trim", "toUpperCase", "toLowerCase")
"""The methods agentcore implements (of arrays and strings)."""
_GLOBALS = frozenset(
    (
        "JSON",
        "Math",
        "String",
        "Number",
        "Array",
        "Object",
        "Date",
        "Boolean",
        "RegExp",
        "Promise",
        "Symbol",
        "Error",
        "parseInt",
        "parseFloat",
        "isNaN",
        "isFinite",
        "encodeURIComponent",
        "decodeURIComponent",
        "encodeURI",
        "decodeURI",
        "globalThis",
        "this",
        "new",
        "typeof",
        "instanceof",
        "function",
        "return",
        "var",
        "let",
        "const",
    )
)
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_$][\w$]*)"
    r"|(?P<op>===|!==|\?\?|\|\||&&|==|!=|[-{}()\[\].,:?!+*/%<>=]))"
)


@dataclass(frozen=True)
class _Node:
    kind: str
    value: Any = None
    parts: tuple[_Node, ...] = ()


class _Parser:
    """A recursive-descent parser of one ``${...}`` expression, from ``start`` in ``text``."""

    def __init__(self, text: str, start: int):
        self.text, self.pos, self.start = text, start, start

    def fail(self, what: str) -> Unsupported:
        shown = self.text[self.start : self.pos + 20].split("\n")[0]
        return Unsupported(f"{what} in ${{{shown}", self.start - 2)

    def peek(self) -> str:
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            rest = self.text[self.pos :].lstrip()
            return rest[:1] if rest[:1] in ("'", '"') else ("" if not rest else "\0")
        return match.group(match.lastgroup or "op")

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if expected is not None and token != expected:
            raise self.fail(f"expected {expected!r}")
        match = _TOKEN.match(self.text, self.pos)
        if match is None:
            raise self.fail("unexpected " + (repr(token) if token.strip("\0") else "end"))
        self.pos = match.end()
        return token

    def string(self) -> _Node:
        self.pos += len(self.text[self.pos :]) - len(self.text[self.pos :].lstrip())
        quote, end = self.text[self.pos], self.pos + 1
        while end < len(self.text) and self.text[end] not in (quote, "\n"):
            end += 1
        if end >= len(self.text) or self.text[end] != quote:
            raise self.fail("a string that does not end")
        value, self.pos = self.text[self.pos + 1 : end], end + 1
        return _Node("lit", value)

    def expression(self) -> _Node:
        test = self.binary(0)
        if self.peek() != "?":
            return test
        self.take("?")
        yes = self.expression()
        self.take(":")
        return _Node("cond", parts=(test, yes, self.expression()))

    _LEVELS = (("??",), ("||",), ("&&",), ("===", "!=="), ("+",))

    def binary(self, level: int) -> _Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            operator = self.take()
            left = _Node("op", operator, (left, self.binary(level + 1)))
        return left

    def unary(self) -> _Node:
        if self.peek() == "!":
            self.take()
            return _Node("not", parts=(self.unary(),))
        return self.postfix(self.primary())

    def postfix(self, node: _Node) -> _Node:
        while self.peek() in (".", "[", "("):
            token = self.take()
            if token == ".":
                name = self.take()
                if not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                    raise self.fail("expected a property name")
                node = _Node("get", parts=(node, _Node("lit", name)))
                if self.peek() == "(" and name not in METHODS:
                    raise self.fail(f"the method {name}() is not one of {', '.join(METHODS)}")
            elif token == "[":
                node = _Node("get", parts=(node, self.expression()))
                self.take("]")
            else:
                node = _Node("call", parts=(node, *self.items(")")))
        return node

    def items(self, closing: str) -> tuple[_Node, ...]:
        found: list[_Node] = []
        while self.peek() != closing:
            found.append(self.expression())
            if self.peek() != closing:
                self.take(",")
        self.take(closing)
        return tuple(found)

    def primary(self) -> _Node:
        token = self.peek()
        if token in ("'", '"'):
            return self.string()
        if token in ("(", "[", "{"):
            self.take()
            if token == "(":
                inner = self.expression()
                self.take(")")
                return inner
            return _Node("array", parts=self.items("]")) if token == "[" else self.object()
        if token and (token[0].isdigit() or token[0] == "."):
            return _Node("lit", float(self.take()))
        if token and re.fullmatch(r"[A-Za-z_$][\w$]*", token):
            if token in _GLOBALS:
                raise self.fail(f"{token!r} is not available")
            self.take()
            constants = {"true": True, "false": False, "null": None, "undefined": UNDEFINED}
            return _Node("lit", constants[token]) if token in constants else _Node("name", token)
        raise self.fail("unexpected " + (repr(token) if token.strip("\0") else "end"))

    def object(self) -> _Node:
        entries: list[_Node] = []
        while self.peek() != "}":
            key_token = self.peek()
            key = self.string().value if key_token in ("'", '"') else self.take()
            if not re.fullmatch(r"[\w$]+", key) and key_token not in ("'", '"'):
                raise self.fail("expected a property name")
            self.take(":")
            entries.append(_Node("entry", key, (self.expression(),)))
            if self.peek() != "}":
                self.take(",")
        self.take("}")
        return _Node("object", parts=tuple(entries))


def _parse(text: str) -> list[str | _Node]:
    """The template's literal pieces and expressions, in order."""
    pieces: list[str | _Node] = []
    position = 0
    while (found := text.find("${", position)) >= 0:
        pieces.append(text[position:found])
        parser = _Parser(text, found + 2)
        pieces.append(parser.expression())
        parser.take("}")
        position = parser.pos
    pieces.append(text[position:])
    return pieces


def check(text: str) -> None:
    """Raise :class:`Unsupported` when a ``${...}`` of ``text`` is outside the subset."""
    _parse(text)


def evaluate(text: str, scope: Mapping[str, Any]) -> str:
    """``text`` as a template literal whose names are ``scope`` (functions are called with
    their arguments); the text unchanged when evaluation fails (or is outside the subset).
    """
    if "${" not in text:
        return text
    try:
        pieces = _parse(text)
        return "".join(p if isinstance(p, str) else to_text(_eval(p, scope)) for p in pieces)
    except (JsError, Unsupported):
        return text


def _eval(node: _Node, scope: Mapping[str, Any]) -> Any:
    kind = node.kind
    if kind == "lit":
        return node.value
    if kind == "name":
        if node.value not in scope:
            raise JsError(f"ReferenceError: {node.value} is not defined")
        return scope[node.value]
    if kind == "array":
        return [_eval(part, scope) for part in node.parts]
    if kind == "object":
        return {entry.value: _eval(entry.parts[0], scope) for entry in node.parts}
    if kind == "cond":
        test, yes, no = node.parts
        return _eval(yes if _truthy(_eval(test, scope)) else no, scope)
    if kind == "not":
        return not _truthy(_eval(node.parts[0], scope))
    if kind == "op":
        return _operator(node.value, node.parts, scope)
    if kind == "get":
        return _member(_eval(node.parts[0], scope), _eval(node.parts[1], scope))
    target, *arguments = node.parts
    function = _eval(target, scope)
    if not callable(function):
        raise JsError("TypeError: not a function")
    return function(*[_eval(argument, scope) for argument in arguments])


def _operator(operator: str, parts: tuple[_Node, ...], scope: Mapping[str, Any]) -> Any:
    left = _eval(parts[0], scope)
    if operator == "??":
        return _eval(parts[1], scope) if left is None or left is UNDEFINED else left
    if operator == "||":
        return left if _truthy(left) else _eval(parts[1], scope)
    if operator == "&&":
        return _eval(parts[1], scope) if _truthy(left) else left
    right = _eval(parts[1], scope)
    if operator in ("===", "!=="):
        same = left is right if isinstance(left, (list, dict)) else _strictly_equal(left, right)
        return same if operator == "===" else not same
    if isinstance(left, (str, list, dict)) or isinstance(right, (str, list, dict)):
        return to_text(left) + to_text(right)
    return _number(left) + _number(right)


def _strictly_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, float) and isinstance(right, float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    return value if isinstance(value, float) else math.nan


def _truthy(value: Any) -> bool:
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return bool(value) if isinstance(value, (str, bool)) else True


def _member(target: Any, key: Any) -> Any:
    """``target[key]``: array and string indexes and methods, object properties."""
    if target is None or target is UNDEFINED:
        raise JsError(f"TypeError: Cannot read property '{to_text(key)}' of {to_text(target)}")
    if isinstance(target, (list, str)):
        if key == "length":
            return float(len(target))
        if isinstance(key, float) and key.is_integer():
            index = int(key)
            return target[index] if 0 <= index < len(target) else UNDEFINED
        return _method(target, to_text(key))
    if isinstance(target, Mapping):
        return target.get(to_text(key), UNDEFINED)
    return UNDEFINED


def _method(target: list[Any] | str, name: str) -> Any:
    if name == "join" and isinstance(target, list):
        return lambda sep=",": _join(target, "," if sep is UNDEFINED else to_text(sep))
    if name == "slice":
        return lambda start=0.0, end=UNDEFINED: target[
            _index(start, len(target), 0) : _index(end, len(target), len(target))
        ]
    if isinstance(target, str) and name in ("trim", "toUpperCase", "toLowerCase"):
        act: dict[str, Callable[[], str]] = {
            "trim": target.strip,
            "toUpperCase": target.upper,
            "toLowerCase": target.lower,
        }
        return act[name]
    return UNDEFINED


def _index(value: Any, size: int, default: int) -> int:
    if value is UNDEFINED:
        return default
    number = _number(value) if not isinstance(value, str) else math.nan
    if math.isnan(number):
        return 0
    whole = int(number)
    return max(0, size + whole) if whole < 0 else min(whole, size)


def _join(items: list[Any], separator: str) -> str:
    return separator.join("" if i is None or i is UNDEFINED else to_text(i) for i in items)


def to_text(value: Any) -> str:
    """JavaScript's ``String(value)``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(float(value))
    if isinstance(value, list):
        return _join(value, ",")
    if callable(value):
        return "function () { [native code] }"
    return "[object Object]"


def _number_text(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    if 1e-6 <= abs(number) < 1e21:
        return format(Decimal(repr(number)), "f")
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(number))


class EnvView(Mapping[str, str]):
    """``env`` in an expression: a variable's value, ``""`` when it is not set."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def __getitem__(self, name: str) -> str:
        return self.env.get(name, "")

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)
