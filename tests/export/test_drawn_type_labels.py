"""Labels of objects whose type is drawn: each format sees the drawn type's class, extents and model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import simgen
from simgen.kinds.registry import kind_of

# A level camera: KITTI's camera-frame boxes are then exact (no pitch to enclose).
SCENE = """
name: drawn_labels
episodes: 3
frames: 1
world: {settle_time: 0.2}
objects:
  - name: car
    type: {choice: [sedan, suv, van]}
    class: vehicle
    count: 2
    wheel_radius: 0.33
    per_type:
      sedan: {length: 4.5, width: 1.8, height: 1.45}
      suv: {length: 4.7, width: 1.9, height: 1.7, class: suv}
      van: {length: 5.2, width: 2.0, height: 2.4, class: van}
    placement: {region: box, min: [9, -5, 0], max: [22, 5, 0]}
  - name: part
    type: {choice: [box, cylinder]}
    class: part
    count: 3
    placement: {region: box, min: [5, -3, 0], max: [7, 3, 0]}
    per_type: {box: {size: [0.6, 0.5, 0.8]}, cylinder: {radius: 0.3, length: 0.8}}
  - name: clutter
    type: {choice: [sphere, capsule]}
    instance_ids: none
    count: 2
    placement: {region: box, min: [4, -4, 0], max: [5, 4, 0]}
    per_type: {sphere: {radius: 0.2}, capsule: {radius: 0.15, length: 0.3}}
cameras:
  - {name: cam, width: 200, height: 150, fov_y: 70, position: [0, 0, 1.2], look_at: [12, 0, 1.2]}
"""
FORMATS = ["coco", "kitti", "bop"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("drawn")
    one, two = root / "one", root / "two"
    simgen.render(simgen.loads(SCENE), one, renderer="tiny", formats=FORMATS, workers=1, progress=False)
    simgen.render(simgen.loads(SCENE), two, renderer="tiny", formats=FORMATS, workers=2, progress=False)
    return one, two


def _specs() -> dict[str, simgen.EpisodeSpec]:
    sc = simgen.loads(SCENE)
    return {f"{e:06d}": simgen.sample(sc, e) for e in range(sc.episodes)}


def _mesh_size(obj: simgen.EpisodeSpec) -> np.ndarray:
    """Full extents of the drawn type's geometry (the exact box the kind reports)."""
    return 2 * kind_of(obj.type).half_extents(obj.shape, Path("."))


def test_coco_box3d_is_the_drawn_types_box_standing_on_the_ground(rendered):
    coco = json.loads((rendered[0] / "coco" / "annotations" / "instances_train.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert list(names.values()) == ["vehicle", "suv", "van", "part"]
    episode_of = {im["id"]: f"{im['episode']:06d}" for im in coco["images"]}
    specs = _specs()
    types = set()
    for ann in coco["annotations"]:
        obj = next(o for o in specs[episode_of[ann["image_id"]]].objects if o.name == ann["object"])
        types.add(obj.type)
        want = {"sedan": "vehicle", "box": "part", "cylinder": "part"}.get(obj.type, obj.type)
        assert names[ann["category_id"]] == want == obj.class_name
        size = np.array(ann["box3d"]["size"])
        assert np.allclose(size, _mesh_size(obj), atol=2e-3), (obj.type, size)
        bottom = ann["box3d"]["center_world"][2] - size[2] / 2
        assert bottom == pytest.approx(0.0, abs=0.01)  # standing on the ground, not sunk or floating
    assert {"sedan", "suv", "van"} & types and {"box", "cylinder"} <= types


def test_kitti_rows_carry_the_drawn_class_and_dimensions(rendered):
    specs = _specs()
    rows = 0
    for episode, spec in specs.items():
        text = (rendered[0] / "kitti" / "training" / "label_2" / f"{episode}.txt").read_text()  # one image each
        want = sorted(
            (o.class_name, *np.round(_mesh_size(o)[[2, 1, 0]], 2))
            for o in spec.objects
            if o.type in ("sedan", "suv", "van")
        )
        got = sorted(
            (line.split()[0], *np.round([float(v) for v in line.split()[8:11]], 2))
            for line in text.splitlines()
            if line.split()[0] in ("vehicle", "suv", "van")
        )
        assert all(line.split()[0] in ("vehicle", "suv", "van", "part") for line in text.splitlines())
        assert set(got) <= set(want)  # every visible vehicle row: its drawn type's class, h w l of its mesh
        rows += len(got)
    assert rows >= 3


def test_bop_has_one_model_per_drawn_rigid_type(rendered):
    models = json.loads((rendered[0] / "bop" / "models" / "models_info.json").read_text())
    parts = {o.type for spec in _specs().values() for o in spec.objects if o.source == "part"}  # clutter: unlabelled
    assert len(models) == len(parts) >= 1
    sizes = sorted(round(m["size_z"], 1) for m in models.values())
    assert sizes == [800.0] * len(parts)  # millimetres: both candidate parts are 0.8 m tall


def test_annotations_are_byte_identical_for_one_or_two_workers(rendered):
    one, two = rendered
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file() and ".simgen" not in p.parts)
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file() and ".simgen" not in p.parts)
    for rel in files:
        if rel.as_posix() != "manifest.json":  # creation time
            assert (one / rel).read_bytes() == (two / rel).read_bytes(), rel
