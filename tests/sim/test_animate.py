"""Wheels roll and gaits step with the distance a body travels: contact phases follow the speed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simgen
from simgen.sim.animate import STRIDE_PER_LEG, BipedGait, QuadrupedGait, Wheels
from simgen.sim.client import BulletClient
from simgen.sim.world import World

CAMERA = "cameras: [{name: cam, width: 32, height: 24, position: [-5, -5, 3], look_at: [0, 0, 0]}]"


def _world(obj: str) -> World:
    text = f"version: 1\nname: t\nworld: {{settle_time: 0, time_step: 0.01}}\nobjects:\n  - {obj}\n{CAMERA}\n"
    spec = simgen.sample(simgen.loads(text), 0)
    return World(BulletClient(), spec)


def _onsets(world: World, seconds: float) -> dict[str, int]:
    """Number of times each leg goes from swing into stance while stepping ``seconds``."""
    (anim,) = world.animators.values()
    before = anim.contacts()
    counts = dict.fromkeys(before, 0)
    for _ in range(int(round(seconds / world.spec.world.time_step))):
        world.step()
        now = anim.contacts()
        for leg, stance in now.items():
            counts[leg] += int(stance and not before[leg])
        before = now
    return counts


def _walker(kind: str, speed: float) -> str:
    z = 0.9 if kind == "humanoid" else 0.6
    extra = "height: 1.8" if kind == "humanoid" else "height: 0.6, build: 1.0"
    return (
        f"{{name: a, class: a, type: {kind}, {extra}, "
        f"behavior: {{type: waypoints, points: [[0, 0, {z}], [100, 0, {z}]], speed: {speed}}}}}"
    )


@pytest.mark.parametrize("kind", ["dog", "humanoid"])
def test_stance_onsets_per_leg_follow_the_distance_walked(kind):
    results = {}
    for speed in (1.0, 2.0):
        w = _world(_walker(kind, speed))
        (anim,) = w.animators.values()
        assert isinstance(anim, QuadrupedGait if kind == "dog" else BipedGait)
        counts = _onsets(w, 4.0)
        distance = speed * 4.0
        for n in counts.values():  # one stance per stride of distance, give or take the phase at the ends
            assert abs(n - distance / anim.stride) <= 1.0
        results[speed] = sum(counts.values())
        w.client.close()
    assert results[2.0] >= 1.8 * results[1.0]  # twice the speed, twice the cadence


def test_quadruped_walk_is_four_beat_and_a_standing_animal_keeps_still():
    w = _world(_walker("dog", 1.0))
    (anim,) = w.animators.values()
    from simgen.assets.cache import asset_mesh

    mesh = asset_mesh("dog", w.spec.objects[0].shape["params"])
    hip = max(p.joint.radius for p in mesh.parts if p.joint is not None)
    assert anim.stride == pytest.approx(STRIDE_PER_LEG * hip)  # one stride per 1.6 leg lengths
    phases = sorted((anim.leg_phase(leg) - anim.leg_phase("leg_hl")) % (2 * math.pi) for leg in anim.offsets)
    assert np.allclose(np.diff(phases), math.pi / 2)  # legs a quarter cycle apart
    w.client.close()
    still = _world(_walker("dog", 1.0).replace("speed: 1.0", "speeds: [0]"))
    _onsets(still, 1.0)
    uid = still.uid_of[1]
    p, cid = still.client.p, still.client.id  # every call names the world's client: others may be open
    angles = [p.getJointState(uid, j, physicsClientId=cid)[0] for j in range(p.getNumJoints(uid, physicsClientId=cid))]
    assert len(angles) >= 4
    assert np.allclose(angles, 0.0, atol=1e-9)
    still.client.close()


def test_running_swings_further_than_walking():
    amps = {}
    for speed in (1.2, 3.5):
        w = _world(_walker("humanoid", speed))
        _onsets(w, 2.0)
        amps[speed] = next(iter(w.animators.values())).amplitude
        w.client.close()
    assert amps[3.5] > amps[1.2] > 0.1


def test_wheels_roll_by_distance_over_radius():
    w = _world(
        "{name: car, class: car, type: sedan, wheel_radius: 0.3, height: 1.45, "
        "behavior: {type: waypoints, points: [[0, 0, 0.72], [100, 0, 0.72]], speed: 5}}"
    )
    (anim,) = w.animators.values()
    assert isinstance(anim, Wheels) and len(anim.wheels) == 4
    w.step(37)
    uid = w.uid_of[1]
    x = w.body_pose(uid)[0][0]
    p = w.client.p
    for j, r in anim.wheels:
        assert r == 0.3
        angle = p.getJointState(uid, j, physicsClientId=w.client.id)[0]
        assert angle == pytest.approx(x / r % (2 * math.pi), abs=1e-6)
    w.client.close()
