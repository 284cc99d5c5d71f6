"""A filesystem toolset's ``post_edit``: after ``write_file`` or ``edit_file`` changes a file
whose name matches ``path``, ``cmd`` runs with ``$path`` (the file's absolute path); a
failing command is the tool's error result, in cagent's words. Recorded once, replayed with
the provider gone."""

from __future__ import annotations

from pathlib import Path

from pytest_agentcassette import use_cassette
from tests.support.agents import load, results
from tests.support.network import NetworkCut
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

AGENT = """\
agents:
  root:
    model: main
    instruction: Edit.
    toolsets:
      - type: filesystem
        post_edit:
          - path: "*.txt"
            cmd: echo formatted >> "$path"
          - path: "*.bad"
            cmd: exit 2
"""


def _run(tmp_path: Path, server: ProviderServer) -> list[tuple[str, str]]:
    server.script = [
        Reply(tool=("write_file", {"path": "notes.txt", "content": "one\n"})),
        Reply(
            tool=(
                "edit_file",
                {"path": "notes.txt", "edits": [{"oldText": "one", "newText": "two"}]},
            )
        ),
        Reply(tool=("write_file", {"path": "main.py", "content": "x = 1\n"})),
        Reply(tool=("write_file", {"path": "x.bad", "content": "?"})),
        Reply("Done."),
    ]
    with load(tmp_path, server, AGENT) as team:
        return results(team.run("Edit", yolo=True))


def test_post_edit_commands_run_after_matching_edits(
    tmp_path: Path, provider_server: ProviderServer, network_cut: NetworkCut
) -> None:
    work = tmp_path / "work"
    cassette = tmp_path / "post_edit.yaml"
    with use_cassette(cassette, record_mode="once"):
        recorded = _run(tmp_path, provider_server)
    assert (work / "notes.txt").read_text() == "two\nformatted\nformatted\n"
    assert (work / "main.py").read_text() == "x = 1\n"  # no pattern matches main.py
    failed = (
        "File written successfully but post-edit command failed: post-edit command failed "
        f"for {work.resolve() / 'x.bad'}: exit status 2"
    )
    assert recorded == [
        ("write_file", "Successfully wrote 4 bytes to notes.txt"),
        ("edit_file", "Successfully applied 1 edit(s) to notes.txt"),
        ("write_file", "Successfully wrote 6 bytes to main.py"),
        ("write_file", failed),
    ]
    provider_server.stop()
    (work / "notes.txt").unlink()

    with network_cut, use_cassette(cassette):
        assert _run(tmp_path, provider_server) == recorded
    assert (work / "notes.txt").read_text() == "two\nformatted\nformatted\n"
    assert network_cut.attempts == []
