"""The object-kind registry: one kind per ``objects[].type``, each answering for its own geometry."""

from __future__ import annotations

import typing

import numpy as np
import pytest

import simgen
from simgen.kinds.registry import KINDS, load_kinds
from simgen.scenario.models import OBJECT_TYPES

load_kinds()
PRIMITIVES = """
  - {name: b, type: box, class: t, size: [0.2, 0.3, 0.4]}
  - {name: s, type: sphere, class: t, radius: 0.1}
  - {name: c, type: cylinder, class: t, radius: 0.1, length: 0.3}
  - {name: k, type: capsule, class: t, radius: 0.05, length: 0.2}
  - {name: u, type: urdf, class: t, path: "pybullet_data:duck_vhacd.urdf"}
  - {name: r, type: urdf, class: t, path: "pybullet_data:r2d2.urdf"}
  - {name: m, type: mesh, class: t, path: "assets:meshes/torus.obj", scale: 0.5}
  - {name: h, type: humanoid, class: t}
"""


def every_kind_spec():
    procedural = "\n".join(f"  - {{name: a{i}, type: {n}, class: t}}" for i, n in enumerate(OBJECT_TYPES[7:]))
    camera = "cameras: [{width: 8, height: 8, position: [9, 0, 1], look_at: [0, 0, 0]}]"
    text = f"version: 1\nname: kinds\nobjects:{PRIMITIVES}{procedural}\n{camera}\n"
    return simgen.sample(simgen.loads(text), 0)


SPEC = every_kind_spec()


def test_the_schema_union_is_the_registry_in_order():
    assert OBJECT_TYPES == tuple(KINDS)
    assert OBJECT_TYPES[:7] == ("box", "sphere", "cylinder", "capsule", "urdf", "mesh", "humanoid")
    for name, kind in KINDS.items():
        assert typing.get_args(kind.model.model_fields["type"].annotation) == (name,)
        assert kind.doc


def test_every_kind_is_sampled_by_the_test_scene():
    assert {o.type for o in SPEC.objects} == set(KINDS)


@pytest.mark.parametrize("obj", SPEC.objects, ids=lambda o: f"{o.type}-{o.name}")
def test_rigid_model_fits_the_kind_extents_in_the_body_frame(obj):
    kind = KINDS[obj.type]
    half = kind.half_extents(obj.shape, SPEC.base_dir)
    assert half.shape == (3,) and (half > 0).all()
    reason = kind.no_model_reason(obj.shape, SPEC.base_dir)
    mesh = kind.rigid_mesh(obj.shape, SPEC.base_dir)
    assert (mesh is None) == (reason is not None), reason
    if mesh is None:
        return
    lo, hi = mesh.bounds
    assert (np.abs(lo) <= half + 1e-6).all() and (np.abs(hi) <= half + 1e-6).all()
    if obj.type in ("box", "cylinder", "capsule") or obj.type not in OBJECT_TYPES[:7]:
        # Primitives and procedural assets are centred on their box: the model touches every side.
        assert np.allclose(np.maximum(np.abs(lo), np.abs(hi)), half, atol=1e-6)
    points = kind.exact_box_points(obj.shape, SPEC.base_dir)
    if points is not None:
        assert np.allclose(points.min(axis=0), lo, atol=2e-3) and np.allclose(points.max(axis=0), hi, atol=2e-3)


def test_articulated_kinds_say_why():
    reasons = {
        o.type: KINDS[o.type].no_model_reason(o.shape, SPEC.base_dir)
        for o in SPEC.objects
        if KINDS[o.type].no_model_reason(o.shape, SPEC.base_dir)
    }
    assert "joints" in reasons["urdf"]  # r2d2 (the duck is rigid)
    assert "ragdoll" in reasons["humanoid"]
    assert "wheels" in reasons["sedan"] and "legs" in reasons["deer"]
    assert {"bracket", "traffic_barrel", "cardboard_box", "shipping_container"}.isdisjoint(reasons)
