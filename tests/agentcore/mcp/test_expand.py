"""cagent's expansions, case by case: Go's os.Expand for env values (pkg/environment),
JavaScript template literals for remote URLs and headers (pkg/js/expand_test.go)."""

from __future__ import annotations

import pytest

from agentcore.mcp.expand import expand_env, expand_template, template_problem

ENV = {"WORD": "hello", "EMPTY": "", "USER": "alice", "NAME": "bob", "CODE": "fmt.Println()"}


@pytest.mark.parametrize(
    ("value", "expanded"),
    [
        ("plain", "plain"),
        ("$WORD world", "hello world"),
        ("${WORD}-x", "hello-x"),
        ("$WORD$WORD", "hellohello"),
        ("a$", "a$"),  # a $ at the end stays
        ("cost: $ 5", "cost: $ 5"),  # before something that is not a name, too
        ("${}x", "x"),  # bad syntax is eaten, as Go does
        ("${WORD", "WORD"),  # an unterminated ${ too
        ("$EMPTY.", "."),
        ("100%", "100%"),
    ],
)
def test_env_values_expand_as_gos_os_expand(value: str, expanded: str) -> None:
    assert expand_env({"KEY": value}, ENV) == {"KEY": expanded}


def test_a_variable_that_is_not_set_is_an_error_naming_each() -> None:
    with pytest.raises(KeyError) as caught:
        expand_env({"A": "$NOPE", "B": "${ALSO_NOT} and $NOPE"}, ENV)
    assert caught.value.args == ("NOPE", "ALSO_NOT")


def test_the_name_is_expanded_too_as_cagent_expands_each_line() -> None:
    assert expand_env({"X_$WORD": "1"}, ENV) == {"X_hello": "1"}


@pytest.mark.parametrize(
    ("template", "expanded"),
    [
        ("List all files", "List all files"),
        ("Say hello to ${env.USER}", "Say hello to alice"),
        ("Analyze ${env.USER} in ${env['WORD']}", "Analyze alice in hello"),
        ("Say hello to ${env.MISSING || 'Bob'}", "Say hello to Bob"),
        ("Check ${env.MISSING_VAR} status", "Check  status"),
        ("${env.NAME == 'bob' ? 'Yes' : 'No'}", "Yes"),
        ("${env.NAME === 'alice' ? 'Yes' : 'No'}", "No"),
        ("${env.NAME || 'UNKNOWN'}", "bob"),
        ("${env.EMPTY ?? 'kept'}|", "|"),  # "" is not null
        ("${env.USER && env.NAME}", "bob"),
        ("${(env.EMPTY || env.WORD)}", "hello"),
        ("${env.NAME != 'bob'}", "false"),
        (
            "Here is code:\n```\n${env.CODE}\n```\nEnd.",
            "Here is code:\n```\nfmt.Println()\n```\nEnd.",
        ),
        ("C:\\Users\\${env.USER}", "C:\\Users\\alice"),
        ("Bearer ${TOKEN}", "Bearer ${TOKEN}"),  # a ReferenceError: kept as written
        ("${env.USER} ${", "${env.USER} ${"),  # a syntax error: kept as written
        ("${'}'}", "}"),
    ],
)
def test_templates_expand_as_cagents_javascript(template: str, expanded: str) -> None:
    assert expand_template(template, ENV) == expanded
    assert template_problem(template) is None


@pytest.mark.parametrize(
    "template", ["${env.TOKEN.trim()}", "${env.PORT || 8080}", "${`nested`}", "${env[key]}"]
)
def test_javascript_beyond_what_templates_use_is_named(template: str) -> None:
    problem = template_problem(template)
    assert problem is not None
    assert problem.startswith(f"'{template}' is not supported yet by agentcore")
