"""Untrusted input: alias bombs fail after a bounded amount of work, sizes and tags are capped."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simgen.errors import ScenarioError
from simgen.scenario import yamlio
from simgen.scenario.loader import loads
from tests.scenario.hostile import NESTING, hostile_nesting

CORPUS = Path(__file__).parent / "malformed"


@pytest.fixture
def count_nodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every node the loader builds (alias expansion included)."""
    calls = [0]
    build = yamlio._Builder.build

    def counted(self: yamlio._Builder, node: yaml.Node, path: yamlio.KeyPath = ()) -> object:
        calls[0] += 1
        return build(self, node, path)

    monkeypatch.setattr(yamlio._Builder, "build", counted)
    monkeypatch.setattr(yaml.SafeLoader, "flatten_mapping", _never)  # PyYAML's unbounded '<<' expansion
    return calls


def _never(*args: object) -> None:
    raise AssertionError("PyYAML's flatten_mapping expands merge keys without a budget")


@pytest.mark.parametrize("name", ["billion_laughs", "merge_key_bomb"])
def test_alias_bombs_stop_after_the_node_budget(name: str, count_nodes: list[int]) -> None:
    text = (CORPUS / f"{name}.yaml").read_text()
    with pytest.raises(ScenarioError, match="expands to more than 200000 nodes") as err:
        yamlio.load_text(text, file=f"{name}.yaml")
    # 9**8 (43 million) nodes if expanded; the loader stops right after its budget.
    assert yamlio.MAX_NODES < count_nodes[0] <= yamlio.MAX_NODES + 1
    assert "aliases" in (err.value.issues[0].hint or "")


def test_long_text_repeated_by_aliases_stops_at_the_text_budget(count_nodes: list[int]) -> None:
    with pytest.raises(ScenarioError, match="more than 8 MiB of text"):
        yamlio.load_text((CORPUS / "text_bomb.yaml").read_text())
    assert count_nodes[0] < 300  # 140 x 60 kB before the budget is spent, not 10**6 copies


def test_merge_keys_still_work_within_budget() -> None:
    data = yamlio.load_text("base: &b {x: 1, y: 2}\nthing: {<<: *b, y: 3}\n").data
    assert data["thing"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: !!python/object/apply:os.system [ls]\n", "custom YAML tags are not allowed"),
        ("a: !!python/name:os.system ''\n", "custom YAML tags are not allowed"),
        ("a: !!set {x, y}\n", "custom YAML tags are not allowed"),
        ("a: !custom 1\n", "custom YAML tags are not allowed"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a: [" * 40 + "]" * 40 + "\n", "nesting deeper than 32 levels"),
    ],
)
def test_unsafe_or_ambiguous_yaml_is_refused(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        yamlio.load_text(text)


def test_file_size_is_capped(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * yamlio.MAX_FILE_BYTES + "\n")
    with pytest.raises(ScenarioError, match="limit"):
        yamlio.load_file(big)


CAMERA = "cameras:\n  - {position: [2, 0, 1], look_at: [0, 0, 0]}\n"


@pytest.mark.parametrize(
    "body, path, message",
    [
        (
            "objects:\n  - {name: a, type: sphere, class: a, radius: 0.1, count: {integer: [0, 1001]}}\n",
            "objects[0].count",
            "must be <= 1000",
        ),
        (
            "objects:\n"
            + "".join(f"  - {{name: a{i}, type: sphere, class: a, radius: 0.1, count: 300}}\n" for i in range(4)),
            "objects",
            "up to 1200 objects",
        ),
        (
            "cameras:\n  - {width: 5000, height: 5000, position: [2, 0, 1], look_at: [0, 0, 0]}\n",
            "cameras[0].width",
            "more than the limit of 16777216",
        ),
        ("episodes: 200000\nframes: 100\n" + CAMERA, "episodes", "more than the limit of 10000000"),
        ("cameras:\n  - {width: 0, position: [2, 0, 1], look_at: [0, 0, 0]}\n", "cameras[0].width", ">= 1"),
        (
            "cameras:\n  - {near: 1, far: 0.5, position: [2, 0, 1], look_at: [0, 0, 0]}\n",
            "cameras[0].far",
            "far (0.5) must be greater than near (1)",
        ),
        ("world: {gravity: [0, 0, .nan]}\n" + CAMERA, "world.gravity[2]", "finite"),
        ("world: {time_step: -0.1}\n" + CAMERA, "world.time_step", "must be > 0"),
    ],
)
def test_sizes_and_impossible_values_are_rejected_with_their_key_path(body: str, path: str, message: str) -> None:
    text = "name: lim\n" + body + ("" if "cameras:" in body else CAMERA)
    with pytest.raises(ScenarioError) as err:
        loads(text, file="lim.yaml")
    assert any(i.path == path and message in i.message for i in err.value.issues), [
        i.format() for i in err.value.issues
    ]


@pytest.mark.parametrize("size", [10_000, 1_000_000])
@pytest.mark.parametrize("kind", sorted(NESTING))
def test_hostile_nesting_is_refused_before_the_recursive_composer(kind: str, size: int) -> None:
    """Regression: 10 KB of ``x: [[[[...`` ended in RecursionError inside PyYAML's composer."""
    text = hostile_nesting(kind, size)
    assert len(text) == size
    with pytest.raises(ScenarioError) as err:
        yamlio.load_text(text, file="deep.yaml")
    line, path = NESTING[kind]
    (issue,) = err.value.issues
    assert issue.message == "nesting deeper than 32 levels"
    assert (issue.file, issue.line, issue.path) == ("deep.yaml", line, path)


def test_nesting_up_to_the_limit_still_loads() -> None:
    depth = yamlio.MAX_DEPTH  # the scalar sits at key path length MAX_DEPTH: allowed
    text = "x: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"
    data = yamlio.load_text(text).data
    for _ in range(depth - 1):
        (data,) = data if isinstance(data, list) else [data["x"]]
    assert data == [1]
