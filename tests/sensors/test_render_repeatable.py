"""A render depends only on the scene and camera, never on what the client rendered before."""

from __future__ import annotations

import numpy as np

import simgen
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World
from tests.conftest import SMALL_SCENARIO


def _shots(client: BulletClient, spec, renderer: str, n: int) -> list[np.ndarray]:
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    return [render(client, spec.cameras[0], renderer).rgb for _ in range(n)]


def test_regression_first_renders_of_a_client_match_later_ones(renderer: str) -> None:
    # EGL once shaded its first two renders differently, so outputs depended on the worker count.
    scenario = simgen.loads(SMALL_SCENARIO)
    spec0, spec1 = simgen.sample(scenario, 0), simgen.sample(scenario, 1)
    with quiet_stdout(), BulletClient() as fresh, BulletClient() as used:
        attach(fresh, renderer)
        attach(used, renderer)
        _shots(used, spec0, renderer, 3)
        later = _shots(used, spec1, renderer, 1)[0]
        first = _shots(fresh, spec1, renderer, 3)
    for shot in first:
        np.testing.assert_array_equal(shot, later)
