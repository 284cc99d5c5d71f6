"""YAML in and out: the quick construction gives exactly what the safe loader gives."""

from __future__ import annotations

import pytest
import yaml

from pytest_agentcassette._format.yaml.codec import _Loader, load_yaml

DOCUMENTS = [
    "a: 1\nb: yes\nc: 1.5\nd: ~\ne: '1'\nf: 0x10\ng: 1_000\nh: 2001-01-01\n",
    "i: [1, two, -3, +4, .5, .inf, -.inf, .nan]\nj: Null\nk: ''\nl: |\n  x\nm: >\n  y\n",
    "n: off\no: On\np: 'yes'\nq: \"no\"\nr: 0o17\ns: 1:30\nu: '!x'\n",
    "x: &a {k: v}\ny: *a\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!str 12\nb: !!int '7'\nc: !!float '1'\nd: !!bool 'true'\n",
    "[1, 2]",
    "",
    "just text",
    "body: |+\n  data: 1\n\n  data: 2\n\n",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_quick_load_gives_what_the_safe_loader_gives(text: str) -> None:
    expected = yaml.load(text, Loader=_Loader)
    assert load_yaml(text) == expected
    assert [type(v) for v in _values(load_yaml(text))] == [type(v) for v in _values(expected)]


def _values(data: object) -> list[object]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in _values(v)]
    if isinstance(data, list):
        return [x for v in data for x in _values(v)]
    return [data]


@pytest.mark.parametrize(
    "text",
    ["a: !!python/name:os.system ''\n", "a: {? [1] : 2}", "a: !custom x", "a: [unclosed\n"],
)
def test_what_the_safe_loader_refuses_is_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError) as safe:
        yaml.load(text, Loader=_Loader)
    with pytest.raises(yaml.YAMLError) as quick:
        load_yaml(text)
    assert type(quick.value) is type(safe.value)


def test_a_recursive_anchor_falls_back_to_the_safe_loader() -> None:
    loaded = load_yaml("- &x [*x]")
    assert loaded[0][0] is loaded[0]


def test_aliases_stay_shared_so_a_nested_alias_bomb_loads_at_once() -> None:
    import time

    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        below = f"*a{level - 1}"
        levels.append(f"a{level}: &a{level} [{', '.join([below] * 10)}]")
    started = time.perf_counter()
    loaded = load_yaml("\n".join(levels) + "\n")
    assert time.perf_counter() - started < 0.5  # copying would build 10^9 lists
    assert loaded["a8"][0] is loaded["a7"]
