"""libyaml's parser and PyYAML's read a scenario into the same tree (sim/scenario/yamlload.py).

The loader takes libyaml's parser, about twenty times faster, for text it reads whole, and
PyYAML's for the rest, so that every refusal keeps PyYAML's message. Here every shipped
scenario, every test scenario and every file of the bad corpus, and texts made to differ
from them, are composed both ways: where libyaml's way gives nodes, PyYAML's must give the
same tags, values and positions; where PyYAML refuses, libyaml's way must give nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario import yamlload
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(yamlload._C_LOADER is None,  # noqa: SLF001
                                reason="PyYAML was built without libyaml")

TEXTS = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/examples/*.yaml"),
                *ROOT.glob("tests/data/*.yaml"), *ROOT.glob("tests/bad/*.yaml")])


def tree(node: yaml.Node, seen: dict[int, int] | None = None) -> Any:
    """A node as comparable data: its kind, tag, start line and column, and value; a node met
    again (an alias) as the order in which it was first met (an alias bomb stays small)."""
    seen = {} if seen is None else seen
    if id(node) in seen:
        return ("again", seen[id(node)])
    seen[id(node)] = len(seen)
    mark = (node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, mark, node.value, node.style or None)  # plain: "" or None
    if isinstance(node, yaml.SequenceNode):
        return ("sequence", node.tag, mark, [tree(n, seen) for n in node.value])
    return ("mapping", node.tag, mark, [(tree(k, seen), tree(v, seen)) for k, v in node.value])


def pyyaml(text: str) -> list[Any] | None:
    """PyYAML's trees of ``text``'s documents, or None where it refuses the text."""
    try:
        yamlload._check_depth(text, "t", yamlload._Loader)  # noqa: SLF001
        return [tree(n) for n in yaml.compose_all(text, Loader=yamlload._Loader)]  # noqa: SLF001
    except (yaml.YAMLError, ValueError, RecursionError, ScenarioError):  # ScenarioError: depth
        return None


def libyaml(text: str) -> list[Any] | None:
    """libyaml's way's trees, or None where the text takes PyYAML's way or is too deep."""
    try:
        nodes = yamlload._fast(text, "t")  # noqa: SLF001
    except ScenarioError:  # the depth check
        return None
    return None if nodes is None else [tree(n) for n in nodes]


def agree(text: str) -> bool:
    """libyaml's way gave the trees PyYAML gives, or nothing; True when it gave them."""
    fast = libyaml(text)
    if fast is not None:
        assert fast == pyyaml(text)
    return fast is not None


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_scenario_file_composes_the_same_both_ways(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    took = agree(text)
    if path.parent.name != "bad":  # the good files take libyaml's way (this is the speed)
        assert took, path


def test_the_shipped_scenarios_load_the_same_both_ways(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    from sim.scenario import load

    shipped = [p for p in TEXTS if p.parent.name in ("scenarios", "examples")]
    fast = [load(p).model_dump() for p in shipped]
    monkeypatch.setattr(yamlload, "_C_LOADER", None)
    assert fast == [load(p).model_dump() for p in shipped]


@pytest.mark.parametrize("text", [
    "a: 1\r\nb: 2\n", "a: 1\x85b: 2\n", "a: x\u2028y\n", "\ufeffa: 1\n", "a: \x07\n",
    "a: [1, 2\n", "a:\n\tb: 1\n", "a: 1\na: 2\n", "a: &x [1]\nb: *x\n", "a: !!python/name:os\n",
    "[" * 200 + "]" * 200, "a: 'it''s'\nb: \"\\u00e9\"\n", "- 010\n- 1e3\n- 0x1F\n- .inf\n",
    "a: |\n  line\n  é ü 😀\nb: >-\n  folded\n", "? complex\n: key\n", "a: b: c\n",
    "--- 1\n--- 2\n", "a: 1 # comment\n#only\n", "", "   \n", "a:\n  - b\n  -\n  - c: d\n"])
def test_edge_texts_compose_the_same_or_take_pyyamls_way(text: str) -> None:
    agree(text)


# A shipped file with mappings, block and flow sequences, a folded text and comments; a fifth
# of the flagship's size, so each example's PyYAML parse is quick.
SAMPLE = (ROOT / "scenarios/examples/labour_strike.yaml").read_text()


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(at=st.integers(0, len(SAMPLE)), cut=st.integers(0, 40),
       insert=st.text(alphabet=st.sampled_from(list(" \t\n\r:-#'\"[]{},&*!|>?%@`\\~<=ab1.é😀")),
                      max_size=6))
def test_mutated_scenario_texts_compose_the_same_or_take_pyyamls_way(
        at: int, cut: int, insert: str) -> None:
    agree(SAMPLE[:at] + insert + SAMPLE[at + cut:])


@pytest.mark.parametrize("text", [
    "[" * 200 + "]" * 200, "{a: " * 150 + "1" + "}" * 150,
    "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 120)) + "  " * 120 + "c: 1\n"])
def test_deep_nesting_is_refused_at_the_same_place_both_ways(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ScenarioError) as fast:
        yamlload.parse_text(text, "t")
    monkeypatch.setattr(yamlload, "_C_LOADER", None)
    with pytest.raises(ScenarioError) as slow:
        yamlload.parse_text(text, "t")
    assert str(fast.value) == str(slow.value)
    assert "nested more than" in str(fast.value)
