"""Applying a JSON Patch (RFC 6902) in place, quickly.

A replayed agent session rebuilds each request body from the previous one with a patch
that mostly appends messages (``add /messages/12``). Those common operations (``add``,
``remove``, ``replace`` on plain pointers) are applied here directly; anything else goes to
``jsonpatch``, which implements the whole RFC.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PatchError", "apply_patch", "pointer_steps"]


class PatchError(ValueError):
    """The patch does not apply to the document."""


def pointer_steps(pointer: str) -> list[str]:
    """The reference tokens of a JSON pointer (``/a~1b/0`` -> ``["a/b", "0"]``)."""
    if not pointer.startswith("/"):
        raise PatchError(f"{pointer!r} is not a JSON pointer")
    return [step.replace("~1", "/").replace("~0", "~") for step in pointer[1:].split("/")]


def _index(container: list[Any], step: str, *, append: bool) -> int:
    if step == "-" and append:
        return len(container)
    if not step.isdigit() or (step != "0" and step.startswith("0")):
        raise PatchError(f"{step!r} is not an array index")
    index = int(step)
    if index > len(container) or (index == len(container) and not append):
        raise PatchError(f"index {index} is out of range (the array has {len(container)})")
    return index


def _parent(document: Any, steps: list[str]) -> Any:
    node = document
    for step in steps[:-1]:
        if isinstance(node, dict):
            if step not in node:
                raise PatchError(f"no member {step!r}")
            node = node[step]
        elif isinstance(node, list):
            node = node[_index(node, step, append=False)]
        else:
            raise PatchError(f"{step!r} leads into a {type(node).__name__}")
    return node


def _simple(document: Any, operation: dict[str, Any]) -> Any:
    kind = operation["op"]
    steps = pointer_steps(operation["path"])
    parent = _parent(document, steps)
    last = steps[-1]
    if isinstance(parent, dict):
        if kind != "add" and last not in parent:
            raise PatchError(f"no member {last!r} to {kind}")
        if kind == "remove":
            del parent[last]
        else:
            parent[last] = operation["value"]
    elif isinstance(parent, list):
        index = _index(parent, last, append=kind == "add")
        if kind == "add":
            parent.insert(index, operation["value"])
        elif kind == "remove":
            del parent[index]
        else:
            parent[index] = operation["value"]
    else:
        raise PatchError(f"{last!r} leads into a {type(parent).__name__}")
    return document


def apply_patch(document: Any, operations: list[Any]) -> Any:
    """``document`` with ``operations`` applied (in place where possible); raises
    :class:`PatchError` when one does not apply.
    """
    try:
        for operation in operations:
            if (
                isinstance(operation, dict)
                and operation.get("op") in ("add", "remove", "replace")
                and operation.get("path")  # "" is the whole document: left to jsonpatch
                and ("value" in operation or operation["op"] == "remove")
            ):
                document = _simple(document, operation)
            else:
                document = _by_jsonpatch(document, operation)
    except (LookupError, TypeError, AttributeError) as error:
        raise PatchError(f"{type(error).__name__}: {error}") from None
    return document


def _by_jsonpatch(document: Any, operation: Any) -> Any:
    """An operation the quick path leaves to ``jsonpatch`` (imported on this need only)."""
    import jsonpatch
    import jsonpointer

    try:
        return jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
        raise PatchError(str(error)) from None
