"""A JSON document rebuilt patch by patch, and its compact JSON at each step.

A replayed agent session compares each live request with the recorded one, byte for byte,
so it needs each recorded request's exact JSON. Serializing the whole history for every
request would cost as much again as the client's own serializing. So the JSON of each
element of a list (a message, a tool) is kept while the element is unchanged: a request
that adds two messages to fifty serializes two messages and joins the rest.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_agentcassette._format.patches import PatchError, apply_patch, pointer_steps

__all__ = ["Document"]

_SIMPLE = ("add", "remove", "replace")


class Document:
    """``value`` (a JSON document) and the JSON text of its list elements."""

    __slots__ = ("_form", "_parts", "value")

    def __init__(self, value: Any):
        self.value = value
        self._parts: dict[int, tuple[Any, str]] = {}  # id(element) -> (element, its JSON)
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
            return
        try:
            steps = pointer_steps(operation["path"])
        except PatchError:
            return  # the patch fails, and the document is not kept
        node = self.value
        for step in steps:
            self._parts.pop(id(node), None)
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
                node = node[int(step)]
            else:
                return
        self._parts.pop(id(node), None)

    def dumps(self, item_separator: str, key_separator: str, ascii_only: bool) -> str:
        """``json.dumps(value, separators=..., ensure_ascii=...)``, reusing kept parts."""
        form = (item_separator, key_separator, ascii_only)
        if form != self._form:
            self._parts.clear()
            self._form = form
        return self._dump(self.value)

    def _dump(self, value: Any) -> str:
        item, key, ascii_only = self._form  # type: ignore[misc]
        if isinstance(value, dict) and all(isinstance(name, str) for name in value):
            members = (
                json.dumps(name, ensure_ascii=ascii_only) + key + self._dump(member)
                for name, member in value.items()
            )
            return "{" + item.join(members) + "}"
        if isinstance(value, list):
            texts = []
            for element in value:
                kept = self._parts.get(id(element))
                if kept is not None and kept[0] is element:
                    texts.append(kept[1])
                    continue
                text = json.dumps(element, separators=(item, key), ensure_ascii=ascii_only)
                if isinstance(element, (dict, list)):
                    self._parts[id(element)] = (element, text)
                texts.append(text)
            return "[" + item.join(texts) + "]"
        return json.dumps(value, separators=(item, key), ensure_ascii=ascii_only)
