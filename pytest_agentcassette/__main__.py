"""``python -m pytest_agentcassette scan PATH...``: report credentials in YAML files
(cassettes included), for CI and pre-commit hooks. Exit status: 0 when there are none,
1 when there are, 2 when a path cannot be read or the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys

from pytest_agentcassette._secrets.scan import ScanError, scan_paths

_DESCRIPTION = (
    "Report credentials (API keys, bearer tokens, private keys, the values of key "
    "variables set here) in YAML files; folders are searched for *.yaml and *.yml. "
    "Secrets are never printed, only their kind and place."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytest_agentcassette")
    commands = parser.add_subparsers(dest="command", required=True, metavar="scan")
    scan = commands.add_parser("scan", help="report credentials in YAML files",
                               description=_DESCRIPTION)  # fmt: skip
    scan.add_argument("paths", nargs="+", metavar="PATH", help="a YAML file or a folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    options = _parser().parse_args(argv)
    try:
        result = scan_paths(options.paths)
    except ScanError as error:
        print(f"agentcassette scan: {error}", file=sys.stderr)
        return 2
    for finding in result.findings:
        print(finding)
    for problem in result.errors:
        print(f"agentcassette scan: {problem}", file=sys.stderr)
    files = f"{result.files} file{'' if result.files == 1 else 's'}"
    cassettes = f"{result.cassettes} cassette{'' if result.cassettes == 1 else 's'}"
    if result.findings:
        count = len(result.findings)
        print(
            f"{count} credential{'' if count == 1 else 's'} found in {files} ({cassettes}): "
            f"remove them, or re-record with the plugin, which writes REDACTED in their place"
        )
    elif not result.errors:
        print(f"no credentials in {files} ({cassettes})")
    return 2 if result.errors else 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
