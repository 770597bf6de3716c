"""Without embreex: auto falls back to rayTestBatch with one notice; asking for embree is a user error."""

from __future__ import annotations

import importlib.util

import pytest

from simgen.errors import SimgenError
from simgen.scenario.sensor_models import ray_backend
from simgen.sensors import raycast
from simgen.sensors.raycast import BulletCaster, make_raycaster

from .conftest import make_world

SCENE = """
version: 1
name: fallback
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [box]
objects: [{name: box, type: box, class: box, size: [1, 1, 1], position: [3, 0, 0.5], mass: 0}]
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
"""


def test_auto_falls_back_to_bullet_with_one_notice(client, monkeypatch, capsys):
    world, _ = make_world(client, SCENE)
    monkeypatch.setattr(raycast, "embree_available", lambda: False)
    monkeypatch.setattr(raycast, "_NOTICED", set())
    assert isinstance(make_raycaster("auto", world), BulletCaster)
    assert isinstance(make_raycaster("auto", world), BulletCaster)
    err = capsys.readouterr().err
    assert err.count("rayTestBatch") == 1 and "pip install simgen[lidar]" in err
    with pytest.raises(SimgenError, match="needs embreex") as info:
        make_raycaster("embree", world)
    assert "simgen[lidar]" in str(info.value)


def test_sampling_records_the_backend_that_will_run(monkeypatch):
    assert ray_backend("bullet") == "bullet" and ray_backend("embree") == "embree"
    installed = importlib.util.find_spec("embreex") is not None
    assert ray_backend("auto") == ("embree" if installed else "bullet")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert ray_backend("auto") == "bullet"
