"""The dataset card's facts, class balance, bias flags, sampled ranges and asset licences."""

from __future__ import annotations

from pathlib import Path

from simgen.export.manifest import bias_flags, card_details, sampled_ranges, write_dataset_card


def _manifest(per_class: dict[str, int], targets: dict | None = None, variants: list | None = None) -> dict:
    config = {"targets": targets} if targets else {}
    episodes = [
        {
            "index": i,
            "variant": v,
            "sampled": {"objects[0][0].mass": 1.0 + i, "objects[0][1].mass": 5.0, "light": 0.5, "on": True},
            "objects": [
                {"shape": {"path": "assets:meshes/torus.obj"}},
                {"shape": {"path": "pybullet_data:duck_vhacd.urdf"}},
                {"shape": {"path": "my_part.obj"}},
                {"shape": {"size": [1, 1, 1]}},
            ],
        }
        for i, v in enumerate(variants or [None, None])
    ]
    return {
        "simgen_version": "9.9.9",
        "synthetic": True,
        "scenario": {
            "name": "t",
            "description": "find defects on brackets",
            "path": "t.yaml",
            "sha256": "ab" * 32,
            "extends": [{"path": "base.yaml", "sha256": "cd" * 32}],
            "config": config,
        },
        "run": {"seed": 1, "episodes": 2, "frames": 1, "renderer": "tiny", "formats": ["coco"]},
        "classes": [{"id": i + 1, "name": n} for i, n in enumerate(per_class)],
        "counts": {
            "images": 2,
            "annotations": sum(per_class.values()),
            "images_per_split": {"train": 2},
            "annotations_per_class": per_class,
        },
        "episodes": episodes,
    }


def test_card_states_facts_hashes_ranges_and_licences(tmp_path: Path) -> None:
    m = _manifest({"part": 97, "defect": 3})
    write_dataset_card(tmp_path, m)
    card = (tmp_path / "DATASET_CARD.md").read_text()
    assert "**This dataset is synthetic.**" in card
    assert "synthetic: true\ngenerator: simgen 9.9.9\nscenario: t\n" in card
    assert "## Purpose\nfind defects on brackets" in card
    assert f"| `t.yaml` | `{'ab' * 32}` |" in card and f"| `base.yaml` (extended) | `{'cd' * 32}` |" in card
    assert "| part | 97 | 97.0 % |" in card and "| defect | 3 | 3.0 % |" in card
    assert "- class 'defect': 3.0 % of annotations, under 5 %" in card
    assert "| `objects[0].mass` | 4 | 1 | 5 |" in card and "| `light` | 2 | 0.5 | 0.5 |" in card
    assert "`assets:meshes/torus.obj`: Apache-2.0" in card
    assert "`pybullet_data:duck_vhacd.urdf`: zlib" in card
    assert "`my_part.obj`: supplied with the scenario; licence unknown to simgen" in card


def test_bias_flags_against_targets() -> None:
    targets = {"classes": {"defect": 0.2, "part": 0.5}, "variants": {"night": 0.5}, "tolerance": 0.05}
    m = _manifest({"part": 85, "defect": 15}, targets, variants=["night", None, None, None])
    flags = bias_flags(m)
    assert flags == [
        "class 'defect': 15.0 % of annotations, under its target 20.0 %",
        "variant 'night': 25.0 % of episodes, under its target 50.0 %",
    ]
    m = _manifest({"part": 82, "defect": 18}, targets, variants=["night", "night", None, None])
    assert bias_flags(m) == []  # within tolerance; 'part' is over its target, not under
    assert "- none" in card_details(m)


def test_sampled_ranges_fold_instances_and_skip_non_numbers() -> None:
    ranges = sampled_ranges(_manifest({"a": 1}))
    assert ranges == {"light": [0.5, 0.5], "objects[0].mass": [1.0, 5.0, 2.0, 5.0]}
