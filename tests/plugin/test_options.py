"""Every option declared once: the marker, the fixture, the ini file, ``use_cassette`` and the
documentation name the same options, and ``use_cassette`` takes all of them."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_agentcassette import (
    CassetteError,
    CassetteOptions,
    UnusedInteractionsError,
    UnusedInteractionsWarning,
    use_cassette,
)
from pytest_agentcassette._options import OPTIONS, SESSION_OPTIONS, options_table
from tests.support.provider_server import ProviderServer

OPTIONS_PAGE = Path(__file__).parents[2] / "docs" / "options.md"
OWN_OPTION = ("-p", "no:recording")  # pytest-recording would own --record-mode


def _from_marker(pytester: pytest.Pytester) -> set[str]:
    markers = pytester.runpytest("--markers").stdout.str()
    (signature,) = re.findall(r"@pytest\.mark\.cassette\((.*?)\):", markers)
    return set(re.findall(r"(\w+)=", signature)) - {"name"}


def _from_fixture(pytester: pytest.Pytester) -> set[str]:
    fixtures = pytester.runpytest("--fixtures", "-v", *OWN_OPTION).stdout.str()
    (keys,) = re.findall(r"Keys are those of the ``cassette`` marker: ([\w, ]+)\.", fixtures)
    return set(keys.split(", "))


def _from_ini(pytester: pytest.Pytester) -> set[str]:
    help_text = pytester.runpytest("--help", *OWN_OPTION).stdout.str()
    found = set(re.findall(r"^\s+agentcassette_(\w+) \(", help_text, flags=re.M))
    return found - {"dir", *SESSION_OPTIONS}  # the session's, not a cassette's


def _from_docs() -> set[str]:
    page = OPTIONS_PAGE.read_text()
    table = page.split("<!-- options-table:start -->")[1].split("<!-- options-table:end -->")[0]
    return set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))


def _taken_by_use_cassette(names: set[str], tmp_path: Path) -> set[str]:
    taken = set()
    for name in names:
        try:
            probe: dict[str, Any] = {name: None}
            use_cassette(tmp_path / "probe.yaml", **probe)
        except CassetteError as error:
            if "unknown option" in str(error):
                continue
        taken.add(name)
    return taken


def test_the_marker_fixture_ini_use_cassette_and_docs_name_the_same_options(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    seen = {
        "marker": _from_marker(pytester),
        "fixture": _from_fixture(pytester),
        "ini": _from_ini(pytester),
        "docs": _from_docs(),
    }
    every = set().union(*seen.values())
    seen["use_cassette"] = _taken_by_use_cassette(every | {"record_mod"}, tmp_path)
    assert {place: sorted(names) for place, names in seen.items()} == {
        place: sorted(OPTIONS) for place in seen
    }


def test_the_options_table_of_the_docs_is_the_one_the_code_declares() -> None:
    page = OPTIONS_PAGE.read_text()
    table = page.split("<!-- options-table:start -->\n")[1].split("<!-- options-table:end -->")[0]
    assert table == options_table(), (
        "docs/options.md is out of date: put this table between its options-table markers:\n"
        + options_table()
    )


def test_a_misspelt_use_cassette_keyword_names_the_nearest_option(tmp_path: Path) -> None:
    with pytest.raises(CassetteError) as caught:
        use_cassette(tmp_path / "x.yaml", record_mod="once")  # type: ignore[call-arg]
    assert str(caught.value) == (
        f"use_cassette: unknown option 'record_mod'; the options are {', '.join(OPTIONS)}. "
        "Did you mean 'record_mode'?"
    )


def _two_interactions(tmp_path: Path, server: ProviderServer) -> Path:
    path = tmp_path / "two.yaml"
    with use_cassette(path, record_mode="once"):
        httpx.get(server.url + "/v1/models")
        httpx.get(server.url + "/v1/models?page=2")
    return path


def test_use_cassette_fails_by_default_when_a_replay_leaves_interactions_unplayed(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = _two_interactions(tmp_path, provider_server)
    with pytest.raises(UnusedInteractionsError) as caught, use_cassette(path):
        httpx.get(provider_server.url + "/v1/models")
    assert [interaction.id for interaction in caught.value.unused] == [1]
    assert str(caught.value).startswith(
        "1 recorded interaction was never played: the code sent fewer or other requests than "
        "when the cassette was recorded\n"
    )
    assert f"  unused:      interaction 1: GET {provider_server.url}/v1/models?page=2 " in str(
        caught.value
    )


def test_use_cassette_takes_unused_interactions_warn_and_ignore(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = _two_interactions(tmp_path, provider_server)
    unused = "1 recorded interaction was never played"
    with (
        pytest.warns(UnusedInteractionsWarning, match=unused),
        use_cassette(path, unused_interactions="warn"),
    ):
        httpx.get(provider_server.url + "/v1/models")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette(path, unused_interactions="ignore") as cassette:
            httpx.get(provider_server.url + "/v1/models")
    assert [interaction.id for interaction in cassette.unplayed] == [1]


def test_a_block_that_raised_is_not_also_reported_for_what_it_left_unplayed(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    path = _two_interactions(tmp_path, provider_server)
    with pytest.raises(KeyError), use_cassette(path):
        raise KeyError("the code failed first")


def test_a_fixture_can_say_it_returns_cassette_options(pytester: pytest.Pytester) -> None:
    def agent_cassette_config() -> CassetteOptions:  # what mypy checks in this file
        return {"record_mode": "once", "ignore_json_pointers": ["/metadata/user_id"]}

    assert agent_cassette_config()["record_mode"] == "once"
    pytester.makeconftest(
        """
        import pytest
        from pytest_agentcassette import CassetteOptions

        @pytest.fixture
        def agent_cassette_config() -> CassetteOptions:
            return {"unused_interactions": "ignore", "redact_headers": ["x-team-token"]}
        """
    )
    pytester.makepyfile(
        """
        def test_options(agent_cassette):
            assert agent_cassette.unused_interactions == "ignore"
            assert "x-team-token" in agent_cassette.redacted_headers
        """
    )
    pytester.runpytest(*OWN_OPTION).assert_outcomes(passed=1)


def test_each_session_option_has_an_ini_key_and_a_flag(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help", *OWN_OPTION).stdout.str()
    for option in SESSION_OPTIONS.values():
        assert re.search(rf"^\s+{option.ini_key} \(", help_text, flags=re.M)
        assert f"--{option.name.replace('_', '-')}" in help_text
