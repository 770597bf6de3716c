"""Helpers for sensor tests: build a small world from scenario YAML text."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import simgen
from simgen.scenario.sampling import sample
from simgen.sim.client import BulletClient
from simgen.sim.world import World


@pytest.fixture(scope="module")
def client() -> Iterator[BulletClient]:
    with BulletClient() as c:
        yield c


def make_world(client: BulletClient, text: str) -> tuple[World, Any]:
    """Scenario YAML -> (built World, EpisodeSpec)."""
    sc = simgen.loads(textwrap.dedent(text))
    spec = sample(sc, 0)
    return World(client, spec), spec


def set_velocity(world: World, name: str, linear: Any = (0, 0, 0), angular: Any = (0, 0, 0)) -> None:
    """Give object instance ``name`` a base velocity (world frame)."""
    iid = next(o.instance_id for o in world.spec.objects if o.name == name)
    world.client.p.resetBaseVelocity(
        int(world.uid_of[iid]), list(linear), list(angular), physicsClientId=world.client.id
    )


def rng() -> np.random.Generator:
    return np.random.default_rng(0)
