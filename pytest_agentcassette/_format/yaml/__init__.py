"""YAML in and out (:mod:`.codec`): safe loading at libyaml's speed, block-style writing,
the lines of YAML paths and YAML errors worded for a user; and a cassette's literal blocks
read straight from the file's bytes (:mod:`.blocks`).
"""

from pytest_agentcassette._format.yaml.blocks import BlockText, text_of
from pytest_agentcassette._format.yaml.codec import (
    FlowSequence,
    YAMLError,
    dump_yaml,
    line_of,
    load_with_blocks,
    load_yaml,
    yaml_problem,
)

__all__ = [
    "BlockText",
    "FlowSequence",
    "YAMLError",
    "dump_yaml",
    "line_of",
    "load_with_blocks",
    "load_yaml",
    "text_of",
    "yaml_problem",
]
