"""The pytest plugin through real inner pytest runs: outcomes, files, and the lines users see."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from tests.support.inner_runs import line_of, write_tests
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer


@pytest.fixture
def inner(
    pytester: pytest.Pytester, provider_server: ProviderServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A pytester whose tests reach the provider server through $PROVIDER_URL."""
    monkeypatch.setenv("PROVIDER_URL", provider_server.url)
    return pytester


OPTIONS = (
    "record_mode, match_on, allow_playback_repeats, unused_interactions, redact_headers, "
    "redact_query_parameters, ignore_headers, request_headers, ignore_json_pointers, "
    "normalize_text, "
    "null_is_absent, allowed_hosts, replay_retry_after, websocket_pacing, secrets, max_tokens, "
    "record_outages"
)


# With pytest-recording installed (a benchmark extra), --record-mode is its option, shared.
OWN_OPTION = ("-p", "no:recording")


def test_a_marked_test_records_once_then_replays_with_the_server_gone(
    inner: pytest.Pytester, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_answer():
            assert ask("hello").json()["choices"][0]["message"]["content"] == "You said: hello"
        """,
    )
    recorded = inner.runpytest("--record-mode=once")
    recorded.assert_outcomes(passed=1)
    cassette = inner.path / "cassettes" / "test_chat" / "test_answer.yaml"
    recorded.stdout.fnmatch_lines(
        [
            "*- agentcassette -*",
            "cassettes: 1 recorded",
            "written (review and commit):",
            "  cassettes/test_chat/test_answer.yaml (1 interaction)",
        ]
    )
    assert "sk-inner-secret" not in cassette.read_text()
    provider_server.stop()

    with network_cut:
        replayed = inner.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*- agentcassette -*", "cassettes: 1 replayed (1 interaction)"])
    assert "written" not in replayed.stdout.str()
    assert network_cut.attempts == []
    assert len(provider_server.requests) == 1


def test_the_fixture_yields_the_cassette_for_assertions(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        def test_answer(agent_cassette):
            ask("one")
            ask("two")
            sent = [i.request.json()["messages"][0]["content"] for i in agent_cassette.interactions]
            assert sent == ["one", "two"]
            if not agent_cassette.is_recording:
                assert [i.id for i in agent_cassette.played] == [0, 1]
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    inner.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 2


def test_cassette_names_follow_the_test_and_are_safe_for_file_systems(
    inner: pytest.Pytester,
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.cassette
        @pytest.mark.parametrize("text", ["plain", "a/b:c*d?"])
        def test_param(text):
            ask(text)

        class TestGroup:
            @pytest.mark.cassette
            def test_method(self):
                ask("method")

        @pytest.mark.cassette("shared-session")
        def test_named():
            ask("named")

        @pytest.mark.cassette(name="sub/deeper.yaml")
        def test_sub():
            ask("sub")
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=5)
    files = sorted(
        str(p.relative_to(inner.path / "cassettes" / "test_chat"))
        for p in (inner.path / "cassettes").rglob("*.yaml")
    )
    assert files == [
        "TestGroup.test_method.yaml",
        "shared-session.yaml",
        "sub/deeper.yaml",
        "test_param[a-b-c-d-].yaml",
        "test_param[plain].yaml",
    ]


def test_the_cassette_folder_comes_from_the_command_line_or_the_ini_file(
    inner: pytest.Pytester,
) -> None:
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('x')\n")
    inner.runpytest("--record-mode=once", "--cassette-dir=recorded").assert_outcomes(passed=1)
    assert (inner.path / "recorded" / "test_chat" / "test_answer.yaml").is_file()

    inner.makeini("[pytest]\nagentcassette_dir = fixtures/tapes\n")
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    assert (inner.path / "fixtures" / "tapes" / "test_chat" / "test_answer.yaml").is_file()


def test_a_request_with_nothing_recorded_fails_the_test_with_the_command_to_record_it(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    test_file = write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_answer():
            ask("hello")
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    sent_from = line_of(test_file, 'ask("hello")')
    result.stdout.fnmatch_lines(
        [
            "_* test_answer _*",
            f"No cassette to replay POST {provider_server.url}/v1/chat/completions",
            "  cassette:    cassettes/test_chat/test_answer.yaml (not found)",
            "  record mode: none (replay only; nothing was sent to the network)",
            f"  sent from:   test_chat.py:{sent_from}",
            "To record it, run:",
            "  pytest --record-mode=once test_chat.py::test_answer",
            "-* agentcassette -*",
        ],
        consecutive=True,
    )
    assert provider_server.requests == []


def test_a_changed_request_names_the_nearest_interaction_and_how_to_re_record(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('hello')\n")
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    test_file = write_tests(
        inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('hello again')\n"
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    url = f"{provider_server.url}/v1/chat/completions"
    result.stdout.fnmatch_lines(
        [
            "_* test_answer _*",
            f"No recorded interaction matches POST {url}",
            "  cassette:    cassettes/test_chat/test_answer.yaml (1 interaction, 0 played)",
            "  record mode: none (replay only; nothing was sent to the network)",
            f"  nearest:     interaction 0 (POST {url}): same method and URL, but the body differs",
            "  changes from the recording to this request:",
            '    replace /messages/0/content: "hello" → "hello again"',
            f"  sent from:   test_chat.py:{line_of(test_file, 'hello again')}",
            "If the change is intended, re-record the cassette:",
            "  pytest --record-mode=rewrite test_chat.py::test_answer",
            "(or --record-mode=update to replay what still matches and record again from the "
            "first change)",
            "-* agentcassette -*",
        ],
        consecutive=True,
    )
    assert len(provider_server.requests) == 1


def test_a_miss_fails_the_test_even_when_the_code_swallows_the_error(
    inner: pytest.Pytester,
) -> None:
    test_file = write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_answer():
            try:
                ask("hello")  # an SDK would wrap this into its own connection error and retry
            except Exception:
                pass
            ask_again = "the test would pass without the plugin's check"
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "_* test_answer _*",
            "No cassette to replay POST *",
            "*",
            "*",
            f"  sent from:   test_chat.py:{line_of(test_file, 'ask(' + chr(34) + 'hello')}",
        ]
    )


def test_a_request_sent_by_a_thread_of_its_own_names_the_thread_and_the_tests_line(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(
        agent="""
        import os
        import threading

        import httpx


        def run_in_background(prompt):
            def send():
                body = {"model": "gpt-4o", "messages": [{"role": "user", "content": prompt}]}
                httpx.post(os.environ["PROVIDER_URL"] + "/v1/chat/completions", json=body)

            worker = threading.Thread(target=send, name="agent-worker")
            worker.start()
            return worker
        """
    )
    test_file = write_tests(
        inner,
        """
        import time

        from agent import run_in_background


        @pytest.mark.cassette
        def test_answer():
            worker = run_in_background("hello")
            while worker.is_alive():
                time.sleep(0.001)  # the test waits here
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    agent_line = line_of(inner.path / "agent.py", "httpx.post(")
    result.stdout.fnmatch_lines(
        [
            f"  sent from:   test_chat.py:{line_of(test_file, '# the test waits here')} "
            f"(by thread 'agent-worker', agent.py:{agent_line}, meanwhile)",
        ]
    )


def test_several_misses_are_counted(inner: pytest.Pytester) -> None:
    test_file = write_tests(
        inner,
        """
        @pytest.mark.cassette
        def test_answer():
            for text in ("a", "b", "c"):
                try:
                    ask(text)  # sent here
                except Exception:
                    pass
        """,
    )
    result = inner.runpytest()
    result.stdout.fnmatch_lines(
        [
            f"  sent from:   test_chat.py:{line_of(test_file, '# sent here')}",
            "  (2 more unmatched requests)",
        ]
    )


def test_markers_set_the_record_mode_and_the_command_line_overrides_them(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        pytestmark = pytest.mark.cassette(record_mode="once")

        @pytest.mark.cassette(record_mode="none")
        def test_pinned():
            ask("pinned")

        def test_module_level():
            ask("module")
        """,
    )
    result = inner.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_chat.py::test_pinned - Failed: No cassette to *"])
    assert len(provider_server.requests) == 1
    # The command the failure prints does what it says, whatever the marker pins.
    inner.runpytest("--record-mode=once", "test_chat.py::test_pinned").assert_outcomes(passed=1)
    inner.runpytest().assert_outcomes(passed=2)
    assert len(provider_server.requests) == 2


def test_the_ini_record_mode_applies_when_the_command_line_gives_none(
    inner: pytest.Pytester,
) -> None:
    inner.makeini("[pytest]\nagentcassette_record_mode = once\n")
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('x')\n")
    inner.runpytest().assert_outcomes(passed=1)
    assert (inner.path / "cassettes" / "test_chat" / "test_answer.yaml").is_file()


def test_options_from_the_config_fixture_the_ini_file_and_the_marker_add_up(
    inner: pytest.Pytester,
) -> None:
    inner.makeini("[pytest]\nagentcassette_redact_headers =\n    x-ini-secret\n")
    inner.makeconftest(
        """
        import pytest

        @pytest.fixture
        def agent_cassette_config():
            return {"record_mode": "once", "redact_headers": ["x-fixture-secret"]}
        """
    )
    write_tests(
        inner,
        """
        @pytest.mark.cassette(redact_headers=["x-marker-secret"], redact_query_parameters=["sig"])
        def test_answer():
            headers = {"x-ini-secret": "S1", "x-fixture-secret": "S2", "x-marker-secret": "S3"}
            httpx.get(URL.replace("/chat/completions", "/models") + "?sig=S4", headers=headers)
        """,
    )
    inner.runpytest().assert_outcomes(passed=1)
    text = (inner.path / "cassettes" / "test_chat" / "test_answer.yaml").read_text()
    assert [s for s in ("S1", "S2", "S3", "S4") if s in text] == []


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (
            'cassette(record_mod="once")',
            "@pytest.mark.cassette(...) on "
            "test_chat.py::test_answer: unknown option 'record_mod'; the options are name, "
            f"{OPTIONS}. Did you mean 'record_mode'?",
        ),
        (
            'cassette("a", "b")',
            "@pytest.mark.cassette(...) on "
            "test_chat.py::test_answer: takes at most one positional argument, the cassette "
            "name (a string); got ('a', 'b')",
        ),
        (
            'cassette(record_mode="sometimes")',
            "@pytest.mark.cassette(...) on "
            "test_chat.py::test_answer: record_mode: unknown record mode 'sometimes'; choose "
            "one of none, once, new_episodes, update, all, rewrite, verify.",
        ),
        (
            'cassette(redact_headers="x-a", allow_playback_repeat=True)',
            "@pytest.mark.cassette(...) on "
            "test_chat.py::test_answer: unknown option 'allow_playback_repeat'; the options "
            f"are name, {OPTIONS}. Did you mean 'allow_playback_repeats'?",
        ),
    ],
)
def test_a_wrong_marker_is_an_error_that_lists_the_choices(
    inner: pytest.Pytester, marker: str, expected: str
) -> None:
    write_tests(inner, f"@pytest.mark.{marker}\ndef test_answer():\n    pass\n")
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["_* ERROR at setup of test_answer _*", expected])


def test_a_wrong_config_fixture_key_is_an_error(inner: pytest.Pytester) -> None:
    inner.makeconftest(
        """
        import pytest

        @pytest.fixture
        def agent_cassette_config():
            return {"redact_header": ["x"]}
        """
    )
    write_tests(inner, "def test_answer(agent_cassette):\n    pass\n")
    result = inner.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "the agent_cassette_config fixture: unknown option 'redact_header'; the "
            f"options are {OPTIONS}. Did you mean 'redact_headers'?"
        ]
    )


def test_a_wrong_record_mode_in_the_ini_file_stops_the_run(inner: pytest.Pytester) -> None:
    inner.makeini("[pytest]\nagentcassette_record_mode = onse\n")
    write_tests(inner, "def test_answer():\n    pass\n")
    result = inner.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: ini option agentcassette_record_mode in */tox.ini: unknown record mode "
            "'onse'; choose one of none, once, new_episodes, update, all, rewrite, verify. Did you mean 'once'?"
        ]
    )


def test_a_wrong_record_mode_on_the_command_line_lists_the_choices(
    inner: pytest.Pytester,
) -> None:
    result = inner.runpytest("--record-mode=sometimes", *OWN_OPTION)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*argument --record-mode: invalid choice: 'sometimes' (choose from *none*, *once*, "
            "*new_episodes*, *all*, *rewrite*)"
        ]
    )


def test_a_malformed_cassette_errors_the_test_and_is_left_untouched(
    inner: pytest.Pytester,
) -> None:
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('x')\n")
    cassette = inner.path / "cassettes" / "test_chat" / "test_answer.yaml"
    cassette.parent.mkdir(parents=True)
    broken = "version: 2\ninteractions:\n- request: {method: GET, url: 'https://x.test/'}\n"
    cassette.write_text(broken)
    result = inner.runpytest("--record-mode=once")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "_* ERROR at setup of test_answer _*",
            "cassette cassettes/test_chat/test_answer.yaml, line 3 (at interactions[0]): "
            "missing required field 'response'.",
            "The file was left untouched. Fix it by hand, or re-record it from scratch with:",
            "  pytest --record-mode=rewrite test_chat.py::test_answer",
            "=* short test summary info =*",
        ],
        consecutive=True,
    )
    assert cassette.read_text() == broken


def test_an_async_test_runs_inside_its_cassette(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.anyio
        @pytest.mark.cassette
        async def test_answer(anyio_backend):
            async with httpx.AsyncClient() as client:
                messages = [{"role": "user", "content": "hi"}]
                body = {"model": "gpt-4o", "stream": True, "messages": messages}
                async with client.stream("POST", URL, json=body) as response:
                    lines = [line async for line in response.aiter_lines() if line]
            assert lines[-1] == "data: [DONE]"

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=1)
    provider_server.stop()
    inner.runpytest().assert_outcomes(passed=1)


def test_tests_without_the_marker_or_fixture_are_not_intercepted(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(inner, "def test_plain():\n    assert ask('live').status_code == 200\n")
    inner.runpytest().assert_outcomes(passed=1)
    assert len(provider_server.requests) == 1
    assert not (inner.path / "cassettes").exists()


def test_the_options_and_marker_are_documented_in_help(inner: pytest.Pytester) -> None:
    inner.runpytest("--help", *OWN_OPTION).stdout.fnmatch_lines(
        [
            "record and replay LLM traffic (agentcassette):",
            "  --record-mode=*",
            "  --cassette-dir=DIR*",
        ]
    )
    inner.runpytest("--markers").stdout.fnmatch_lines(
        ["@pytest.mark.cassette(name=None, *, record_mode=None, match_on=None, *"]
    )


def test_record_mode_is_shared_with_pytest_recording_when_both_are_installed(
    inner: pytest.Pytester,
) -> None:
    load: tuple[str, ...] = ()  # the real pytest-recording loads itself
    if find_spec("pytest_recording") is None:
        # A stand-in: same package and plugin names, same option.
        package = inner.mkpydir("pytest_recording")
        (package / "plugin.py").write_text(
            "def pytest_addoption(parser):\n"
            "    parser.getgroup('recording').addoption(\n"
            "        '--record-mode', default=None,\n"
            "        choices=('once', 'new_episodes', 'none', 'all', 'rewrite'))\n"
        )
        inner.syspathinsert()
        load = ("-p", "pytest_recording.plugin")
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('x')\n")
    inner.runpytest(*load, "--record-mode=once").assert_outcomes(passed=1)
    assert (inner.path / "cassettes" / "test_chat" / "test_answer.yaml").is_file()
    inner.runpytest(*load).assert_outcomes(passed=1)


def test_record_mode_stays_ours_when_plugins_are_not_loaded_automatically(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    write_tests(inner, "@pytest.mark.cassette\ndef test_answer():\n    ask('x')\n")
    load = ("-p", "pytest_agentcassette.plugin")
    inner.runpytest(*load, "--record-mode=once").assert_outcomes(passed=1)
    assert (inner.path / "cassettes" / "test_chat" / "test_answer.yaml").is_file()


@pytest.mark.skipif(find_spec("pytest_recording") is None, reason="pytest-recording not here")
def test_beside_pytest_recording_each_plugin_keeps_to_its_own_marker(
    inner: pytest.Pytester, provider_server: ProviderServer
) -> None:
    write_tests(
        inner,
        """
        @pytest.mark.vcr
        def test_with_vcr():
            assert ask("for vcrpy").status_code == 200

        @pytest.mark.cassette
        def test_with_agentcassette():
            assert ask("for agentcassette").status_code == 200

        def test_with_neither():
            pass
        """,
    )
    inner.runpytest("--record-mode=once").assert_outcomes(passed=3)
    folder = inner.path / "cassettes" / "test_chat"
    ours = (folder / "test_with_agentcassette.yaml").read_text()
    theirs = (folder / "test_with_vcr.yaml").read_text()
    assert "for agentcassette" in ours
    assert "for vcrpy" not in ours
    assert "for vcrpy" in theirs
    assert "for agentcassette" not in theirs
    provider_server.stop()
    inner.runpytest().assert_outcomes(passed=3)  # one --record-mode (none) for both
