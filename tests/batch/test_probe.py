"""The first-frame probe: visible and amodal pixels without rendering, equal to the rendered labels."""

from __future__ import annotations

import simgen
from simgen.batch.probe import FirstFrameProbe
from simgen.scenario.requirements import Coverage

SCENE = """\
version: 1
name: probe
frames: 1
world: {settle_time: 0.02}
objects:
  - {name: wall, class: wall, type: box, size: [0.2, 1.0, 2.0], mass: 0, position: [3, 0.5, 1.0]}
  - {name: crate, class: crate, type: box, size: [0.6, 1.2, 0.8], mass: 0, position: [5, 0.2, 0.4]}
  - {name: behind_camera, class: crate, type: box, size: [0.5, 0.5, 0.5], mass: 0, position: [-3, 0, 0.25]}
  - {name: later, class: crate, type: box, size: [0.5, 0.5, 0.5], mass: 0, position: [5, -1, 0.25], spawn: false}
cameras:
  - {name: cam, width: 96, height: 72, position: [0, 0, 0.6], look_at: [5, 0, 0.4]}
labels: {min_visible_pixels: 1}
"""


def _rendered(spec) -> dict[str, tuple[int, int]]:
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient
    from simgen.sim.quiet import quiet_stdout

    with quiet_stdout(), BulletClient() as client:
        frame = next(iter(run_episode(client, spec, "tiny")))
    return {lab.object_name: (lab.area, lab.amodal_area) for lab in frame.labels}


def test_probe_counts_equal_the_rendered_labels() -> None:
    spec = simgen.sample(simgen.loads(SCENE), 0)
    by_name = {o.name: o for o in spec.objects}
    probe = FirstFrameProbe(spec)
    cam = spec.cameras[0]
    rendered = _rendered(spec)
    crate = probe.coverage(by_name["crate_0"].instance_id, cam)
    assert 0 < crate.visible < crate.amodal  # partly behind the wall
    assert (crate.visible, crate.amodal) == rendered["crate_0"]
    wall = probe.coverage(by_name["wall_0"].instance_id, cam)
    assert wall.visible == wall.amodal > 0 and wall.fraction == 1.0
    assert (wall.visible, wall.amodal) == rendered["wall_0"]
    assert probe.coverage(by_name["behind_camera_0"].instance_id, cam) == Coverage(0, 0)
    assert probe.coverage(by_name["later_0"].instance_id, cam) == Coverage(0, 0)  # not spawned
    assert Coverage(0, 0).fraction == 0.0
