"""Records the code-review example's cassette against the scripted provider server.

The committed ``examples/cassettes/test_code_review/code-review.yaml`` was made this way,
not by Claude: the scripted server plays the model (its answers are :data:`SCRIPT`), and the
URLs are then written as the real Anthropic endpoint so that the unchanged
``examples/code-reviewer.yaml`` replays it. To make it again::

    python -m tests.support.record_example

With a real key, record it from Claude instead (see the README).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

import agentcore
from pytest_agentcassette import use_cassette
from tests.support.provider_server import ProviderServer
from tests.support.wire_formats import Reply

EXAMPLES = Path(__file__).parents[2] / "examples"
AGENT = EXAMPLES / "code-reviewer.yaml"
CASSETTE = EXAMPLES / "cassettes" / "test_code_review" / "code-review.yaml"
PROMPT = "Review examples/pkg/auth/handler.go for security issues"
ANTHROPIC = "https://api.anthropic.com"

REVIEW = """\
## Security review of `examples/pkg/auth/handler.go`

**1. SQL injection (critical).** The query is built with `fmt.Sprintf` from the `user` form \
value, so `' OR '1'='1` or a stacked statement runs as SQL. Use a placeholder: \
`h.DB.QueryRow("SELECT password_hash FROM users WHERE name = $1", user)`.

**2. Passwords hashed with MD5 (critical).** MD5 is fast and unsalted: a leaked table is \
cracked in minutes. Store `bcrypt` (or argon2id) hashes and check them with \
`bcrypt.CompareHashAndPassword`, which also compares in constant time.

**3. Hard-coded signing key (high).** `signingKey` is in the source, so anyone with the \
repository can mint sessions. Load it from the environment or a secret store, and rotate it.

**4. Forgeable session cookie (high).** `sign` is `md5(user + key)`, which is open to \
length-extension attacks. Use `crypto/hmac` with SHA-256 and `hmac.Equal`, and set \
`HttpOnly`, `Secure` and `SameSite` on the cookie.

**5. Information leaks (medium).** The 500 response echoes the database error, and the \
two failure messages tell an attacker which user names exist. Log the error, and answer \
every failure with the same generic message.

**6. Reflected XSS (medium).** `fmt.Fprintf(w, "welcome %s", user)` writes user input \
into a response the browser may sniff as HTML. Escape it with `html.EscapeString`, or \
render a template.

Fix 1 to 4 before this ships; 5 and 6 are quick wins."""

SCRIPT = [
    Reply(
        "I'll look at the auth package first.",
        tool=("list_directory", {"path": "examples/pkg/auth"}),
    ),
    Reply("", tool=("read_file", {"path": "examples/pkg/auth/handler.go"})),
    Reply(REVIEW),
]


def record_code_review(path: Path, server: ProviderServer, scratch: Path) -> None:
    """Record the example's session into ``path``, with ``server`` playing Claude."""
    config = yaml.safe_load(AGENT.read_text())
    provider, model = config["agents"]["root"]["model"].split("/", 1)
    config["models"] = {"claude": {"provider": provider, "model": model, "base_url": server.url}}
    config["agents"]["root"]["model"] = "claude"
    agent = scratch / "code-reviewer.yaml"
    agent.write_text(yaml.safe_dump(config, sort_keys=False))
    server.script = list(SCRIPT)
    with (
        use_cassette(path, record_mode="all"),
        agentcore.load(
            agent, working_dir=EXAMPLES.parent, env={"ANTHROPIC_API_KEY": "sk-ant-x"}
        ) as team,
    ):
        team.run(PROMPT, yolo=True)
    host = server.url.removeprefix("http://")
    text = path.read_text().replace(server.url, ANTHROPIC)
    path.write_text(text.replace(f"Host: {host}", f"Host: {ANTHROPIC.removeprefix('https://')}"))


def main() -> int:
    import tempfile

    server = ProviderServer(event_pause=0).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            record_code_review(CASSETTE, server, Path(scratch))
    finally:
        server.stop()
    print(f"wrote {CASSETTE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
