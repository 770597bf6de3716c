"""Amodal silhouettes drawn from each object's own geometry: no extra render, same pixels as rendering it alone.

The reference is what the labels stage used to do: each object rendered alone by pybullet in a
second client (``alone.AloneRenderer``), forced here for every object.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import simgen
from simgen.batch.episode import FramePipeline, run_episode
from simgen.labels.instances import decode_mask, label_frame
from simgen.sensors.camera.runtime import Camera
from simgen.sensors.registry import sensor_rng
from simgen.sensors.render import attach, resolve_renderer
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World

from .alone import AloneRenderer, off_edge, placed

CAMERA = "cameras: [{name: cam, width: 160, height: 120, fov_y: 50, position: [1.6, -1.2, 1.0], look_at: [0, 0, 0.1]}]"
# Small and thin objects, some partly behind a post: their edges are a large share of their pixels.
SMALL_AND_THIN = (
    "  - {name: post, type: box, class: a, size: [0.08, 0.08, 0.5], mass: 0, position: [0.45, -0.3, 0.25]}\n"
    "  - {name: rod, type: cylinder, class: a, radius: 0.006, length: 0.7, mass: 0, position: [0, 0, 0.02],"
    " rpy: [90, 0, 20]}\n"
    "  - {name: slat, type: box, class: a, size: [0.5, 0.012, 0.012], mass: 0, position: [0.1, 0.25, 0.3],"
    " rpy: [0, 0, -30]}\n"
    "  - {name: bead, type: sphere, class: a, radius: 0.015, mass: 0, position: [0.1, 0.1, 0.015]}\n"
    "  - {name: pin, type: capsule, class: a, radius: 0.01, length: 0.06, mass: 0, position: [-0.2, -0.25, 0.04]}\n"
    "  - {name: grain, type: box, class: a, size: [0.02, 0.02, 0.02], mass: 0, position: [0.0, -0.05, 0.4]}"
)
SHIPPED = [
    "quickstart",
    "indoor_fall_detection",
    "conveyor_inspection",
    "drone_yard_haze",
    "rural_night_animal_crossing",
    "sensor_faults",
    "sensor_suite",
    "tabletop_6d_pose",
    "urban_dusk_child_runout",
    "warehouse_bin_picking",
]


def _scenario_text(objects: str) -> str:
    return (
        "version: 1\nname: t\nframes: 1\nworld: {settle_time: 0.05}\n"
        f"objects:\n{objects}\n{CAMERA}\nlabels: {{min_visible_pixels: 1}}\n"
    )


def _frame(objects: str, renderer: str = "tiny"):
    spec = simgen.sample(simgen.loads(_scenario_text(objects)), 0)
    with quiet_stdout(), BulletClient() as client:
        (frame,) = list(run_episode(client, spec, renderer))
    return frame


def _egl_or_skip() -> str:
    if resolve_renderer("auto", notify=False) != "egl":
        pytest.skip("EGL unavailable")
    return "egl"


def _drawn_and_rendered(spec, renderer: str = "tiny"):
    """(frame, label, drawn amodal mask, object rendered alone) per labeled object of each camera's first frame.

    The reference renders each object alone with TinyRenderer in a second client, whatever
    ``renderer`` draws the scene's own frame.
    """
    out = []
    with quiet_stdout(), BulletClient() as client:
        attach(client, renderer)
        world = World(client, spec)
        world.step(spec.world.settle_steps)
        post = FramePipeline(world, spec, renderer)
        alone = AloneRenderer(spec)
        try:
            for cam in spec.cameras:
                now = dataclasses.replace(cam, outputs=tuple(o for o in cam.outputs if o != "flow"))  # no delay
                frame = Camera(now, world, sensor_rng(spec.seed, cam.name), renderer=renderer).capture(world.steps)
                frame.truth = post.truth.collect(frame.poses)
                label_frame(frame, post.options)
                c = frame.camera
                for lab in frame.labels:
                    if lab.ignore:  # ignore regions (a camera's own ego body) carry no amodal fields
                        continue
                    t = frame.truth[lab.instance_id]
                    drawn = placed(t.amodal, t.amodal_offset, c.width, c.height)
                    rendered = placed(*alone.mask(world, lab.instance_id, c), c.width, c.height)
                    out.append((frame, lab, drawn, rendered))
        finally:
            alone.close()
    return out


def _assert_drawn_is_rendered(found) -> None:
    pixels, differing = 0, 0
    for frame, lab, drawn, rendered in found:
        name = f"{frame.camera.name}/{lab.object_name}"
        assert off_edge(drawn, rendered) == 0, f"{name} differs off the edge"
        assert np.array_equal(drawn | decode_mask(lab.rle), decode_mask(lab.amodal_rle)), name
        pixels += int(rendered.sum())
        differing += int((drawn ^ rendered).sum())
    assert found
    # measured: 11 of 387,709 pixels, first two episodes of each scenario; a few small objects of
    # some 30 pixels each may differ by an edge pixel each (rasterisation rounding)
    assert differing <= max(0.002 * pixels, len(found))


@pytest.mark.parametrize("name", SHIPPED)
def test_drawn_amodal_masks_match_object_alone_renders_on_shipped_scenarios(name):
    """Every labeled object of the first frame of every camera: the drawn silhouette is the rendered one."""
    _assert_drawn_is_rendered(_drawn_and_rendered(simgen.sample(simgen.load(simgen.resources.scenario_path(name)), 0)))


@pytest.mark.parametrize("renderer", ["tiny", "egl"])
def test_visibility_is_the_plain_ratio_of_its_own_masks_on_small_and_thin_objects(renderer):
    if renderer == "egl":
        _egl_or_skip()
    frame = _frame(SMALL_AND_THIN, renderer)
    assert len(frame.labels) >= 5
    hidden_some = False
    for lab in frame.labels:
        visible, amodal = decode_mask(lab.rle), decode_mask(lab.amodal_rle)
        assert not (visible & ~amodal).any()
        assert lab.area == visible.sum() and lab.amodal_area == amodal.sum()
        assert lab.visibility == round(int(visible.sum()) / int(amodal.sum()), 6), lab.object_name
        hidden_some |= lab.visibility < 0.95
    assert hidden_some  # the post hides part of something


@pytest.mark.parametrize("renderer", ["tiny", "egl"])
def test_unoccluded_objects_have_amodal_equal_to_visible_up_to_edge_pixels(renderer):
    if renderer == "egl":
        _egl_or_skip()
    apart = (
        "  - {name: rod, type: cylinder, class: a, radius: 0.008, length: 0.5, mass: 0, position: [-0.3, 0.3, 0.008],"
        " rpy: [90, 0, 60]}\n"
        "  - {name: bead, type: sphere, class: a, radius: 0.02, mass: 0, position: [0.35, -0.25, 0.02]}\n"
        "  - {name: pin, type: capsule, class: a, radius: 0.012, length: 0.08, mass: 0, position: [0.3, 0.35, 0.05]}\n"
        "  - {name: duck, type: urdf, class: a, path: 'pybullet_data:duck_vhacd.urdf', mass: 0,"
        " position: [-0.1, -0.3, 0], rpy: [90, 0, 0]}"
    )
    frame = _frame(apart, renderer)
    assert len(frame.labels) == 4
    for lab in frame.labels:
        visible, amodal = decode_mask(lab.rle), decode_mask(lab.amodal_rle)
        assert off_edge(amodal, visible) == 0, lab.object_name
        assert lab.amodal_area - lab.area <= max(2, 0.02 * lab.area), lab.object_name


def test_amodal_labels_cost_no_extra_render(monkeypatch):
    """One getCameraImage per camera frame, amodal labels on: the silhouettes are drawn, not rendered."""
    import pybullet

    calls = []
    real = pybullet.getCameraImage

    def counting(*args, **kwargs):
        calls.append(args[:2])
        return real(*args, **kwargs)

    monkeypatch.setattr(pybullet, "getCameraImage", counting)
    frame = _frame(SMALL_AND_THIN)
    assert all(lab.amodal_rle is not None for lab in frame.labels)
    assert any(lab.visibility < 0.95 for lab in frame.labels)
    assert calls == [(160, 120)]


@pytest.mark.parametrize("renderer", ["tiny", "egl"])
def test_copies_of_one_mesh_all_get_their_own_amodal_masks(renderer):
    """pybullet's EGL plugin returns garbage visual data for a second body of an already loaded mesh.

    Each copy's silhouette must still be the one rendered for that copy alone, wherever it stands.
    """
    if renderer == "egl":
        _egl_or_skip()
    copies = (
        "  - {name: ring, type: mesh, class: a, path: 'assets:meshes/torus.obj', count: 2, mass: 0,"
        " position: [{uniform: [-0.4, 0.4]}, {uniform: [-0.4, 0.4]}, 0.05]}\n"
        "  - {name: duck, type: urdf, class: a, path: 'pybullet_data:duck_vhacd.urdf', count: 2, mass: 0,"
        " position: [{uniform: [-0.4, 0.4]}, {uniform: [-0.4, 0.4]}, 0.0], rpy: [90, 0, 0]}"
    )
    found = _drawn_and_rendered(simgen.sample(simgen.loads(_scenario_text(copies)), 0), renderer)
    assert len(found) >= 3
    _assert_drawn_is_rendered(found)
    frame = found[0][0]
    for name in ("ring", "duck"):  # copies carry the same geometry
        shapes = [t.parts for o, t in zip(frame.objects, frame.truth.values(), strict=True) if o.source == name]
        assert len(shapes) == 2 and all(len(parts) == 1 for parts in shapes)
        assert np.array_equal(shapes[0][0].vertices, shapes[1][0].vertices)
