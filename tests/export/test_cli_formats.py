"""``simgen render --formats ... --splits ...`` through the CLI, and ``simgen list`` from the registry."""

from __future__ import annotations

import json

from simgen.cli import main
from simgen.export.base import EXPORTERS, load_builtin

SCENE = """
version: 1
name: cli
episodes: 4
objects:
  - {name: crate, type: box, class: crate, size: [0.2, 0.2, 0.2], mass: 0, position: [0, 0, 0.1]}
cameras:
  - {name: c, width: 48, height: 36, position: [1.0, -0.8, 0.8], look_at: [0, 0, 0.1]}
labels: {amodal: false}
"""


def test_list_names_every_registered_exporter(capsys):
    load_builtin()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in EXPORTERS:
        assert f"  {name} " in out
    assert {"coco", "yolo", "yolo-seg", "kitti", "voc", "bop", "mcap", "raw"} <= set(EXPORTERS)


def test_render_all_formats_with_split_override(tmp_path, capsys):
    scene = tmp_path / "s.yaml"
    scene.write_text(SCENE)
    out = tmp_path / "ds"
    args = ["render", str(scene), "--out", str(out), "--renderer", "tiny", "--no-progress"]
    assert main([*args, "--formats", "coco,yolo,kitti,voc,bop,mcap,raw", "--splits", "train=3,test=1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["split"] for e in manifest["episodes"]] == ["train", "train", "train", "test"]
    assert (out / "kitti/ImageSets/test.txt").read_text().split() == ["000003"]
    assert sorted(p.name for p in (out / "mcap").iterdir()) == ["test", "train"]


def test_bad_split_override_is_a_user_error(tmp_path, capsys):
    scene = tmp_path / "s.yaml"
    scene.write_text(SCENE)
    code = main(["render", str(scene), "--out", str(tmp_path / "o"), "--splits", "train=x"])
    assert code == 2
    assert "--splits" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
