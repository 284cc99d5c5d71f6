"""A cassette in use (:mod:`.cassette`) and what it tells a user when a replay cannot go
on (:mod:`.messages`).
"""

from pytest_agentcassette._cassette.cassette import Cassette, opened_paths, use_cassette

__all__ = ["Cassette", "opened_paths", "use_cassette"]
