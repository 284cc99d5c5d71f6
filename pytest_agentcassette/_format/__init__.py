"""The cassette file: loading it (:mod:`.loading`), saving it (:mod:`.saving`), alone or
while other processes may save it too (:mod:`.shared_save`), and the error a user reads
for a problem in it (:mod:`.public_errors`); nothing else at this surface.

Inside: YAML in and out, bodies read straight from the file's bytes (:mod:`.yaml`), each
field checked (:mod:`.fields`), bodies in their stored forms (:mod:`.stored_body`,
:mod:`.body_forms`), request bodies as JSON patches of earlier ones (:mod:`.history`,
:mod:`.documents`, :mod:`.patches`) and atomic writes (:mod:`.atomic`).
"""

from pytest_agentcassette._format.fields import FORMAT_VERSION
from pytest_agentcassette._format.loading import load_cassette
from pytest_agentcassette._format.public_errors import cassette_error
from pytest_agentcassette._format.saving import save_cassette
from pytest_agentcassette._format.shared_save import (
    FileState,
    SharedParts,
    file_state,
    merged,
    save_turn,
    split_shared,
)

__all__ = [
    "FORMAT_VERSION",
    "FileState",
    "SharedParts",
    "cassette_error",
    "file_state",
    "load_cassette",
    "merged",
    "save_cassette",
    "save_turn",
    "split_shared",
]
