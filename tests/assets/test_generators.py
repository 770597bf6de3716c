"""Every registered generator: deterministic from its parameters, valid watertight parts, in budget."""

from __future__ import annotations

import numpy as np
import pytest

import simgen
from simgen.assets.cache import asset_links, asset_mesh, half_extents, recentre, triangle_count
from simgen.assets.registry import ASSETS, load_builtin

TYPES = sorted(load_builtin())
CAMERA = "cameras: [{name: cam, width: 32, height: 24, position: [30, 0, 5], look_at: [0, 0, 0]}]"


def sampled_params(count: int = 2) -> dict[str, list[dict]]:
    """Parameters of ``count`` instances of every asset type, drawn by the scenario sampler."""
    objects = "\n".join(
        f"  - {{name: o{i}, class: c, type: {t}, count: {count}, position: [{60 * i}, 0, 5], "
        "behavior: {type: static}}"
        for i, t in enumerate(TYPES)
    )
    sc = simgen.loads(f"version: 1\nname: all_assets\nobjects:\n{objects}\n{CAMERA}\n")
    spec = simgen.sample(sc, 0)
    out: dict[str, list[dict]] = {}
    for o in spec.objects:
        out.setdefault(o.type, []).append(o.shape["params"])
    return out


PARAMS = sampled_params()


def test_every_generator_is_an_object_type_with_a_class_and_a_summary():
    from simgen.scenario.models import OBJECT_TYPES

    assert len(TYPES) >= 30
    for name in TYPES:
        gen = ASSETS[name]
        assert name in OBJECT_TYPES and gen.class_name and gen.doc and gen.version >= 1


@pytest.mark.parametrize("kind", TYPES)
def test_generate_is_deterministic_from_its_parameters(kind):
    params = PARAMS[kind][0]
    a = recentre(ASSETS[kind].generate(dict(params)))
    b = recentre(ASSETS[kind].generate(dict(params)))
    assert [p.name for p in a.parts] == [p.name for p in b.parts]
    for pa, pb in zip(a.parts, b.parts, strict=True):
        assert np.array_equal(pa.mesh.vertices, pb.mesh.vertices) and np.array_equal(pa.mesh.faces, pb.mesh.faces)
        assert pa.material == pb.material
    assert a.keypoints == b.keypoints


@pytest.mark.parametrize("kind", TYPES)
def test_instances_differ_by_their_seed(kind):
    first, second = PARAMS[kind]
    assert first["seed"] != second["seed"]


@pytest.mark.parametrize("kind", TYPES)
def test_parts_are_watertight_finite_and_within_the_triangle_budget(kind):
    mesh = asset_mesh(kind, PARAMS[kind][0])
    gen = ASSETS[kind]
    assert 0 < triangle_count(mesh) <= gen.max_triangles
    names = [p.name for p in mesh.parts]
    assert len(set(names)) == len(names)
    for part in mesh.parts:
        v = np.asarray(part.mesh.vertices)
        assert np.isfinite(v).all() and len(part.mesh.faces) > 0
        assert part.mesh.is_watertight, f"{kind}.{part.name}"  # every part is built of closed pieces
        assert part.collision in ("hull", "none")
    assert mesh.parts[0].collision == "hull" or any(p.collision == "hull" for p in mesh.parts)


@pytest.mark.parametrize("kind", TYPES)
def test_recentred_bounding_box_is_symmetric_about_the_origin(kind):
    mesh = asset_mesh(kind, PARAMS[kind][0])
    lo = np.min([p.mesh.bounds[0] for p in mesh.parts], axis=0)
    hi = np.max([p.mesh.bounds[1] for p in mesh.parts], axis=0)
    assert np.allclose(lo, -hi, atol=1e-9)
    assert np.allclose(half_extents(mesh), hi, atol=1e-9)


def test_vehicle_has_rolling_wheels_lamps_and_keypoints():
    mesh = asset_mesh("sedan", PARAMS["sedan"][0])
    wheels = [p for p in mesh.parts if p.joint is not None]
    assert sorted(p.name for p in wheels) == ["wheel_fl", "wheel_fr", "wheel_rl", "wheel_rr"]
    r = PARAMS["sedan"][0]["wheel_radius"]
    lo_z = min(p.mesh.bounds[0][2] for p in mesh.parts)
    for w in wheels:
        assert w.joint.role == "wheel" and w.joint.radius == r and w.joint.axis == (0.0, 1.0, 0.0)
        # the tyres stand on the bottom of the box (a 14-gon tyre reaches cos(pi/14) r below its axle)
        assert w.joint.pivot[2] == pytest.approx(lo_z + r * np.cos(np.pi / 14), abs=1e-6)
        assert np.allclose(w.joint.pivot, mesh.keypoints[w.name])
    assert {"headlights", "taillights", "glass", "body"} <= {p.name for p in mesh.parts}
    lamp = next(p for p in mesh.parts if p.name == "headlights")
    assert any(lamp.material.emission)


def test_quadruped_legs_reach_the_ground_and_species_differ_in_proportion():
    deer = asset_mesh("deer", {"height": 1.0, "build": 1.0, "color": None, "seed": 1})
    cow = asset_mesh("cow", {"height": 1.0, "build": 1.0, "color": None, "seed": 1})
    legs = [p for p in deer.parts if p.joint is not None]
    assert sorted(p.joint.role for p in legs) == ["leg_fl", "leg_fr", "leg_hl", "leg_hr"]
    bottom = -half_extents(deer)[2]
    for leg in legs:
        assert leg.mesh.bounds[0][2] == pytest.approx(bottom, abs=1e-9)
    assert half_extents(cow)[0] > half_extents(deer)[0]  # a cow's barrel is longer for its height


@pytest.mark.parametrize("defect", ["none", "scratch", "dent", "crack", "missing_hole", "burr"])
def test_machine_part_defects_change_the_geometry_and_are_labelled(defect):
    base = {"size": 0.1, "thickness": 0.006, "seed": 3}
    clean = asset_mesh("bracket", {**base, "defect": "none"})
    mesh = asset_mesh("bracket", {**base, "defect": defect})
    assert mesh.attributes == {"defect": defect}
    assert triangle_count(mesh) <= ASSETS["bracket"].max_triangles
    if defect == "none":
        return
    names = {p.name for p in mesh.parts}
    if defect in ("scratch", "crack", "burr"):
        assert defect in names
    elif defect == "dent":
        assert mesh.parts[0].mesh.volume < clean.parts[0].mesh.volume - 1e-9
    else:
        holes = next(p for p in mesh.parts if p.name == "holes").mesh
        clean_holes = next(p for p in clean.parts if p.name == "holes").mesh
        assert len(holes.split()) == len(clean_holes.split()) - 1


def test_links_put_moving_parts_on_their_joints():
    mesh = asset_mesh("van", PARAMS["van"][0])
    links = asset_links(mesh)
    assert links[0].index == -1 and links[0].parent == -1
    by_name = {link.part.name: link for link in links}
    hub = by_name["hub_fl"]
    wheel = by_name["wheel_fl"]
    assert hub.parent == wheel.index and np.allclose(hub.origin, wheel.origin)
    # vertices in the link frame + the link's origin give back the asset-frame mesh
    assert np.allclose(wheel.vertices + wheel.origin, wheel.part.mesh.vertices)
