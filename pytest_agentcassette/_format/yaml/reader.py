"""A cassette file read as fast as its layout allows: its literal blocks cut out of the
bytes (:mod:`.blocks`), the rest read without a node tree (:mod:`.skeleton`) and its plain
words without YAML's resolver (:mod:`.plain`). A file written as this plugin writes needs
no YAML parser at all, so replaying one does not even import it; a file they cannot read
exactly (edited by hand, written by another tool) goes through the parser whole
(:mod:`.codec`), which also words its errors.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeGuard

from pytest_agentcassette._format.yaml.blocks import cut_blocks
from pytest_agentcassette._format.yaml.skeleton import Unreadable, read_skeleton

if TYPE_CHECKING:
    from yaml import YAMLError

__all__ = ["is_yaml_error", "load_with_blocks"]


def load_with_blocks(raw: bytes) -> Any:
    """What YAML's safe loader reads in ``raw`` (a body's literal block stays a
    :class:`~.blocks.BlockText`, read from ``raw`` when first used). A file that is not
    valid YAML raises the parser's error (see :func:`is_yaml_error`).
    """
    cut = cut_blocks(raw)
    if cut is not None:
        try:
            return read_skeleton(cut.skeleton.decode("utf-8"), cut.blocks)
        except (Unreadable, ValueError):
            pass
    from pytest_agentcassette._format.yaml import codec  # the parser, on this need only

    return codec.load_yaml(raw)


def is_yaml_error(error: BaseException) -> TypeGuard[YAMLError]:
    """Whether ``error`` is the YAML parser's (it can only be if the parser was loaded)."""
    yaml = sys.modules.get("yaml")
    return yaml is not None and isinstance(error, yaml.YAMLError)
