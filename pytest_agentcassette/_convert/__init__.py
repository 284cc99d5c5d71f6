"""Cassettes of other recorders, converted to this plugin's format: vcrpy's version 1
(pytest-recording's, custom serializers' ``parsed_body`` included) read into interactions
(:mod:`.vcrpy`), their compressed bodies decoded (:mod:`.decoding`), and the files found,
sorted and written (:mod:`.files`) for ``python -m pytest_agentcassette convert``.
"""

from pytest_agentcassette._convert.files import (
    MATCHING_ADVICE,
    ConvertError,
    ConvertReport,
    FileResult,
    convert_paths,
)

__all__ = ["MATCHING_ADVICE", "ConvertError", "ConvertReport", "FileResult", "convert_paths"]
