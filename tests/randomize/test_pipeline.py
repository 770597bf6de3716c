"""Image effects read the bodies' true velocities from the frame, as captured, never from the simulator."""

from __future__ import annotations

import numpy as np

import simgen
from simgen.randomize.pipeline import body_velocities
from simgen.sensors.camera.runtime import Camera
from simgen.sensors.registry import sensor_rng
from simgen.sensors.render import attach
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World

SCENE = """
version: 1
name: velocities
frames: 1
world: {gravity: [0, 0, 0], settle_time: 0.05}
objects:
  - {name: cart, type: box, class: a, size: [0.4, 0.3, 0.2], position: [0, 0, 0.5], mass: 1,
     behavior: {type: physics, velocity: [1.5, -0.5, 0.0], angular_velocity: [0.0, 0.0, 0.8]}}
  - {name: crate, type: box, class: a, size: [0.3, 0.3, 0.3], position: [2.0, 0.5, 0.15], mass: 0}
cameras:
  - {name: cam, width: 48, height: 32, fov_y: 60, position: [0, 0, 0],
     mount: {actor: cart, offset: [0, 0, 0.3], rpy: [0, 0, 0]}}
"""


def test_frame_carries_capture_time_velocities_and_effects_read_them_there() -> None:
    spec = simgen.sample(simgen.loads(SCENE), 0)
    with quiet_stdout(), BulletClient() as client:
        attach(client, "tiny")
        world = World(client, spec)
        world.step(spec.world.settle_steps + 3)
        frame = Camera(spec.cameras[0], world, sensor_rng(spec.seed, "cam")).capture(world.steps)
        truth = {}
        for iid, uid in world.uid_of.items():
            v, w = client.p.getBaseVelocity(uid, physicsClientId=client.id)
            truth[iid] = (tuple(v), tuple(w))
        cart = world.iid_by_name("cart")
        world.apply_force(cart, [500.0, 0.0, 0.0])
        world.step(20)  # the simulator moves on; the frame keeps what was true at capture
        later = client.p.getBaseVelocity(world.uid_of[cart], physicsClientId=client.id)[0]
    assert frame.velocities == truth
    assert np.allclose(truth[cart][0], (1.5, -0.5, 0.0), atol=1e-6) and np.allclose(
        truth[cart][1], (0, 0, 0.8), atol=0.01
    )  # angular damping
    assert not np.allclose(later, truth[cart][0])
    bodies, camera = body_velocities(frame)
    label = next(o.label for o in frame.objects if o.instance_id == cart)
    v, w, com = bodies[label]
    assert np.array_equal(v, truth[cart][0]) and np.array_equal(w, truth[cart][1])
    assert np.array_equal(com, frame.poses[cart][0])
    assert (
        camera is not None and np.array_equal(camera[0], truth[cart][0]) and np.array_equal(camera[1], truth[cart][1])
    )
    crate = world.iid_by_name("crate")
    assert np.array_equal(bodies[next(o.label for o in frame.objects if o.instance_id == crate)][0], (0.0, 0.0, 0.0))
