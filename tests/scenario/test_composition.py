"""extends (deep merge, confinement), variants (weighted, per episode) and sweeps (grid cells)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario import sample

BASE = """\
name: base
description: a base scene
episodes: 2
classes: [part, defect]
world:
  ground: {color: [0.1, 0.2, 0.3], friction: 0.5}
objects:
  - {name: part, type: box, class: part, size: [0.1, 0.1, 0.1], position: [0, 0, 0.05]}
  - {name: ball, type: sphere, class: part, radius: 0.05, position: [0.3, 0, 0.05]}
cameras:
  - {name: cam, width: 64, height: 48, fov_y: 50, position: [1, 0, 1], look_at: [0, 0, 0]}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_extends_deep_merges_mappings_replaces_lists_and_null_deletes(tmp_path: Path) -> None:
    write(tmp_path / "bases" / "base.yaml", BASE)
    child = write(
        tmp_path / "child.yaml",
        "extends: bases/base.yaml\n"
        "name: child\n"
        "description: null\n"
        "world: {ground: {friction: 0.9}}\n"
        "objects:\n  - {name: only, type: sphere, class: part, radius: 0.02}\n",
    )
    sc = simgen.load(child)
    assert sc.name == "child"
    assert sc.description == ""  # null deleted the base's value: the default applies
    assert sc.world.ground.friction.value == 0.9
    assert tuple(c.value for c in sc.world.ground.color) == (0.1, 0.2, 0.3)  # kept from the base
    assert [o.name for o in sc.objects] == ["only"]  # lists replace
    assert sc.cameras[0].width == 64 and sc.episodes == 2


def test_extended_files_and_their_hashes_reach_the_manifest(tmp_path: Path) -> None:
    import hashlib

    base = write(tmp_path / "bases" / "base.yaml", BASE)
    middle = write(tmp_path / "bases" / "middle.yaml", "extends: base.yaml\nname: middle\nframes: 1\n")
    child = write(tmp_path / "child.yaml", "extends: bases/middle.yaml\nname: child\nepisodes: 1\n")
    sc = simgen.load(child)
    want = [{"path": str(p.resolve()), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in (middle, base)]
    assert sc.extends_files == want
    assert simgen.load(base).extends_files == []
    out = tmp_path / "out"
    simgen.render(sc, out, renderer="tiny", progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["extends"] == want
    assert manifest["scenario"]["sha256"] == hashlib.sha256(child.read_bytes()).hexdigest()


def test_extends_a_shipped_scenario(tmp_path: Path) -> None:
    child = write(tmp_path / "mine.yaml", "extends: scenarios:quickstart.yaml\nname: mine\nepisodes: 1\n")
    sc = simgen.load(child)
    assert (sc.name, sc.episodes) == ("mine", 1)
    shipped = simgen.load(simgen.resources.scenario_path("quickstart"))
    assert [o.name for o in sc.objects] == [o.name for o in shipped.objects]


def test_extends_cannot_escape_through_a_symlink(tmp_path: Path) -> None:
    write(tmp_path / "outside.yaml", BASE)
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    child = write(tmp_path / "proj" / "child.yaml", "extends: link.yaml\nname: child\n")
    with pytest.raises(ScenarioError) as err:
        simgen.load(child)
    assert err.value.issues[0].format().startswith(f"{child}:1:1: extends: 'extends: link.yaml' leaves")


def test_extends_chain_depth_is_limited(tmp_path: Path) -> None:
    write(tmp_path / "f0.yaml", BASE)
    for i in range(1, 11):
        write(tmp_path / f"f{i}.yaml", f"extends: f{i - 1}.yaml\nname: f{i}\n")
    assert simgen.load(tmp_path / "f7.yaml").name == "f7"
    with pytest.raises(ScenarioError, match="chains more than 8 files deep"):
        simgen.load(tmp_path / "f10.yaml")


DEFECTS = BASE.replace("episodes: 2", "episodes: 2000") + (
    "variants:\n"
    "  - {name: normal, weight: 99}\n"
    "  - name: defect\n"
    "    weight: 1\n"
    "    set: {objects.part.class: defect, 'objects.part.size': [0.2, 0.1, 0.1]}\n"
    "    overlay: {world: {ground: {friction: 0.1}}}\n"
)


def test_variants_are_drawn_at_their_rate_and_recorded(tmp_path: Path) -> None:
    sc = simgen.load(write(tmp_path / "defects.yaml", DEFECTS))
    names = Counter()
    for i in range(2000):
        spec = sample(sc, i)
        names[spec.variant] += 1
        record = spec.to_json()
        assert record["variant"] == spec.variant
        part = spec.objects[0]
        if spec.variant == "defect":
            assert part.class_name == "defect" and part.category_id == 2 and part.shape["size"][0] == 0.2
            assert spec.world.ground["friction"] == 0.1
            assert tuple(spec.world.ground["color"][:3]) == (0.1, 0.2, 0.3)  # overlay merged, not replaced
        else:
            assert part.class_name == "part" and spec.world.ground["friction"] == 0.5
    assert set(names) == {"normal", "defect"}
    assert 5 <= names["defect"] <= 45  # 1 % of 2000 = 20; binomial sd 4.4
    again = simgen.load(tmp_path / "defects.yaml")
    assert [sample(again, i).variant for i in range(300)] == [sample(sc, i).variant for i in range(300)]


SWEEP = BASE.replace("episodes: 2", "episodes: 12") + (
    "sweep:\n  world.ground.friction: [0.2, 0.8]\n  cameras.cam.fov_y: [30, 50, 70]\n"
)


def test_sweep_cells_are_round_robin_and_recorded(tmp_path: Path) -> None:
    sc = simgen.load(write(tmp_path / "sweep.yaml", SWEEP))
    seen: Counter[tuple[float, float]] = Counter()
    for i in range(12):
        spec = sample(sc, i)
        record = spec.to_json()["sweep"]
        assert record["cell"] == i % 6 and record["cells"] == 6
        friction, fov = record["values"]["world.ground.friction"], record["values"]["cameras.cam.fov_y"]
        assert record["index"] == [(i % 6) // 3, i % 3]
        assert spec.world.ground["friction"] == friction
        k = spec.cameras[0].K
        assert k[1, 1] == pytest.approx(24 / math.tan(math.radians(fov) / 2))
        seen[(friction, fov)] += 1
    assert seen == {(f, v): 2 for f in (0.2, 0.8) for v in (30, 50, 70)}
    assert json.dumps(sample(sc, 0).to_json())  # JSON-safe for the manifest


def test_run_overrides_reach_variant_episodes(tmp_path: Path) -> None:
    sc = simgen.load(write(tmp_path / "defects.yaml", DEFECTS))
    copy = sc.model_copy(update={"frames": 7})  # what the runner does for --frames
    assert {sample(copy, i).frames for i in range(50)} == {7}
    assert {sample(sc, i).frames for i in range(50)} == {1}


def test_variants_and_sweep_values_are_all_validated_at_load(tmp_path: Path) -> None:
    text = SWEEP.replace("[30, 50, 70]", "[30, 500, 70]") + (
        "variants:\n  - {name: a, overlay: {cameras: [{position: [1, 0, 1], look_at: [0, 0, 0], near: 2, far: 1}]}}\n"
    )
    with pytest.raises(ScenarioError) as err:
        simgen.load(write(tmp_path / "bad.yaml", text))
    lines = [i.format() for i in err.value.issues]
    sweep_error = "cameras[0].fov_y: in sweep cameras.cam.fov_y = 500: must be <= 179"
    assert any(ln.startswith(f"{tmp_path / 'bad.yaml'}:14:") and sweep_error in ln for ln in lines), lines
    variant_error = "cameras[0].far: in variant 'a': far (1) must be greater than near (2)"
    assert any(":16:" in ln and variant_error in ln for ln in lines), lines
    assert len(lines) == 2, lines


def test_manifest_records_variant_and_sweep_cell(tmp_path: Path) -> None:
    text = SWEEP.replace("episodes: 12", "episodes: 6") + "variants:\n  - {name: only}\n"
    sc = simgen.load(write(tmp_path / "s.yaml", text))
    simgen.render(sc, tmp_path / "out", episodes=6, frames=1, renderer="tiny", progress=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [e["sweep"]["cell"] for e in manifest["episodes"]] == list(range(6))
    assert {e["variant"] for e in manifest["episodes"]} == {"only"}


def test_the_documented_example_loads_and_samples(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenario-language.md").read_text(encoding="utf-8")
    block = doc.split("<!-- example: full -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    sc = simgen.load(write(tmp_path / "example.yaml", block))
    for i in range(4):
        spec = sample(sc, i)
        van, child = spec.objects[0], spec.objects[1]
        gap = spec.sampled["params.gap"]
        assert child.position[0] == pytest.approx(van.position[0] + 2.25 + gap)
        assert child.position[2] == pytest.approx(child.shape["length"] / 2 + 0.15)
        assert spec.variant in ("normal", "two_children")
