from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator

import pytest

import simgen
from simgen.sim.client import BulletClient
from simgen.sim.world import World

CAMERA = """
cameras:
  - {name: cam, width: 32, height: 24, position: [4, -4, 3], look_at: [0, 0, 0]}
"""


def scenario_from(body: str) -> simgen.Scenario:
    """A scenario from a YAML body (world/objects/events); a tiny camera is added unless given."""
    text = textwrap.dedent(body)
    text = "name: t\n" + text
    if "cameras:" not in text:
        text += CAMERA
    return simgen.loads(text)


@pytest.fixture(scope="module")
def client() -> Iterator[BulletClient]:
    with BulletClient() as c:
        yield c


@pytest.fixture
def build(client: BulletClient) -> Callable[..., World]:
    """``build(yaml_body, index=0)`` -> a built World of that scenario's episode ``index``."""

    def make(body: str, index: int = 0) -> World:
        return World(client, simgen.sample(scenario_from(body), index))

    return make
