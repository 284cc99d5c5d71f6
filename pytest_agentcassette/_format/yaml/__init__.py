"""YAML in and out. A cassette the plugin wrote is read without a YAML parser
(:mod:`.reader`: literal blocks straight from the file's bytes, the rest line by line);
the parser (:mod:`.codec`: safe loading at libyaml's speed, block-style writing, the
lines of YAML paths and YAML errors worded for a user) is imported when first needed:
to write, to read a file edited by hand, to word an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_agentcassette._format.yaml.blocks import BlockText, text_of
from pytest_agentcassette._format.yaml.flow import FlowSequence
from pytest_agentcassette._format.yaml.reader import is_yaml_error, load_with_blocks
from pytest_agentcassette._lazy import lazy_attributes

if TYPE_CHECKING:
    from pytest_agentcassette._format.yaml.codec import (
        YAMLError,
        dump_yaml,
        line_of,
        load_yaml,
        yaml_problem,
    )

__all__ = [
    "BlockText",
    "FlowSequence",
    "YAMLError",
    "dump_yaml",
    "is_yaml_error",
    "line_of",
    "load_with_blocks",
    "load_yaml",
    "text_of",
    "yaml_problem",
]

__getattr__ = lazy_attributes(
    __name__,
    dict.fromkeys(("YAMLError", "dump_yaml", "line_of", "load_yaml", "yaml_problem"), "codec"),
)
