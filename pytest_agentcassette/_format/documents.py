"""A JSON document rebuilt patch by patch, and its compact JSON at each step.

A replayed agent session compares each live request with the recorded one, byte for byte,
so it needs each recorded request's exact JSON. Serializing the whole history for every
request would cost as much again as the client's own serializing. So the JSON of each
element of a list (a message, a tool) is kept while the element is unchanged, and so is
the JSON of each list while nothing but appends changed it: a request that adds two
messages to fifty serializes two messages and adds them to the text of the fifty.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_agentcassette._format.patches import PatchError, apply_patch, pointer_steps

__all__ = ["Document"]

_SIMPLE = ("add", "remove", "replace")


class Document:
    """``value`` (a JSON document) and the JSON text of its list elements."""

    __slots__ = ("_form", "_lists", "_names", "_parts", "value")

    def __init__(self, value: Any):
        self.value = value
        self._parts: dict[int, tuple[Any, str]] = {}  # id(element) -> (element, its JSON)
        self._lists: dict[int, tuple[list[Any], int, str]] = {}  # id -> (list, length, JSON)
        self._names: dict[str, str] = {}  # a member's name -> its JSON and the separator
        self._form: tuple[str, str, bool] | None = None

    def patch(self, operations: list[Any]) -> None:
        """Apply ``operations`` (RFC 6902) in place; raises :class:`PatchError`.

        Each operation forgets the kept JSON along its own path just before it applies: an
        earlier one may have moved elements (``add /m/0``) that a later one reaches.
        """
        for operation in operations:
            self._forget(operation)
            self.value = apply_patch(self.value, [operation])

    def _forget(self, operation: Any) -> None:
        """Drop the kept JSON of everything the operation changes in place."""
        if not (
            isinstance(operation, dict)
            and operation.get("op") in _SIMPLE
            and isinstance(operation.get("path"), str)
            and operation["path"]
        ):
            self._parts.clear()  # moves, copies, the whole document: start afresh
            self._lists.clear()
            return
        try:
            steps = pointer_steps(operation["path"])
        except PatchError:
            return  # the patch fails, and the document is not kept
        node, last = self.value, len(steps) - 1
        for at, step in enumerate(steps):
            self._parts.pop(id(node), None)
            appended = isinstance(node, list) and step in ("-", str(len(node)))
            if not (appended and operation["op"] == "add" and at == last):
                self._lists.pop(id(node), None)  # an append keeps the list's text
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                return
        self._parts.pop(id(node), None)
        self._lists.pop(id(node), None)

    def dumps(self, item_separator: str, key_separator: str, ascii_only: bool) -> str:
        """``json.dumps(value, separators=..., ensure_ascii=...)``, reusing kept parts."""
        form = (item_separator, key_separator, ascii_only)
        if form != self._form:
            self._parts.clear()
            self._lists.clear()
            self._names.clear()
            self._form = form
        return self._dump(self.value)

    def _dump(self, value: Any) -> str:
        if isinstance(value, list):
            return self._dump_list(value, self._form[0])  # type: ignore[index]
        if not (isinstance(value, dict) and all(type(name) is str for name in value)):
            return self._element(value)  # a scalar: the same object, the same JSON
        kept = self._parts.get(id(value))
        if kept is not None and kept[0] is value:
            return kept[1]
        names, members = self._names, []
        for name, member in value.items():
            named = names.get(name)
            if named is None:
                _, key, ascii_only = self._form  # type: ignore[misc]
                named = names[name] = json.dumps(name, ensure_ascii=ascii_only) + key
            members.append(named + self._dump(member))
        text = "{" + self._form[0].join(members) + "}"  # type: ignore[index]
        self._parts[id(value)] = (value, text)
        return text

    def _dump_list(self, value: list[Any], item: str) -> str:
        kept = self._lists.get(id(value))
        if kept is not None and kept[0] is value and len(value) >= kept[1]:
            known, text = kept[1], kept[2]  # elements past ``known`` were appended since
            if len(value) > known:
                added = item.join(self._element(element) for element in value[known:])
                text = text[:-1] + item + added + "]" if known else "[" + added + "]"
        else:
            text = "[" + item.join(self._element(element) for element in value) + "]"
        self._lists[id(value)] = (value, len(value), text)
        return text

    def _element(self, element: Any) -> str:
        kept = self._parts.get(id(element))
        if kept is not None and kept[0] is element:
            return kept[1]
        item, key, ascii_only = self._form  # type: ignore[misc]
        text = json.dumps(element, separators=(item, key), ensure_ascii=ascii_only)
        self._parts[id(element)] = (element, text)
        return text
