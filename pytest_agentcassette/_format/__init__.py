"""The cassette file: loading and saving, and nothing else at this surface.

Inside: YAML in and out (:mod:`.yaml_io`), each field checked (:mod:`.fields`), bodies in
their stored forms (:mod:`.stored_body`, :mod:`.body_forms`), request bodies as JSON
patches of earlier ones (:mod:`.history`, :mod:`.documents`, :mod:`.patches`), atomic
writes (:mod:`.atomic`) and saves that other processes may share (:mod:`.shared_save`).
"""

from pytest_agentcassette._format.fields import FORMAT_VERSION
from pytest_agentcassette._format.loading import load_cassette
from pytest_agentcassette._format.public_errors import cassette_error
from pytest_agentcassette._format.saving import save_cassette
from pytest_agentcassette._format.shared_save import FileState, file_state, merged, save_turn

__all__ = [
    "FORMAT_VERSION",
    "FileState",
    "cassette_error",
    "file_state",
    "load_cassette",
    "merged",
    "save_cassette",
    "save_turn",
]
