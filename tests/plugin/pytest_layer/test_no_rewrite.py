"""pytest does not rewrite the plugin's own modules (they hold no asserts): a run that cannot
write bytecode then loads them as any module is loaded, not parsed and compiled anew.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_the_engine_is_imported_without_pytest_rewriting_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        from pytest_agentcassette import use_cassette


        def test_loaders(tmp_path):
            with use_cassette(tmp_path / "c.yaml", record_mode="none"):
                pass
            for name in ("pytest_agentcassette._cassette.cassette", "agentcore"):
                __import__(name)
                loader = type(sys.modules[name].__loader__).__name__
                print(f"{name}: {loader}")
        """
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest_agentcassette._cassette.cassette: SourceFileLoader*",
            "*agentcore: SourceFileLoader*",
        ]
    )


def test_the_plugin_named_with_p_is_not_rewritten_either(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where plugins are not autoloaded (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, common in CI),
    ``-p pytest_agentcassette.plugin`` loads the plugin: pytest marks that module for
    rewriting by its name, and the plugin takes that name off too (the modules it imports
    load as any module; itself, pytest has imported already).
    """
    pytester.makepyfile(
        """
        import sys


        def test_loaders():
            for name in ("pytest_agentcassette.plugin._settings", "pytest_agentcassette._options"):
                print(f"{name}: {type(sys.modules[name].__loader__).__name__}")
        """
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-s", "-p", "pytest_agentcassette.plugin")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest_agentcassette.plugin._settings: SourceFileLoader*",
            "*pytest_agentcassette._options: SourceFileLoader*",
        ]
    )
