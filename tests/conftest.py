"""Shared fixtures: small scenarios written to tmp_path, renderer availability, a rendered dataset."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: the machines running the suite are shared, and timing is not what
# these property tests check.
settings.register_profile("simgen", deadline=None, max_examples=50)
settings.load_profile("simgen")

REPO = Path(__file__).resolve().parent.parent

# A small, fast scene: 160x120 camera, a few primitives dropped on a floor, 2 episodes x 2 frames.
SMALL_SCENARIO = """\
version: 1
name: small
description: a few primitives on a floor, for tests
seed: 7
episodes: 2
frames: 2
classes: [crate, ball, can]
world:
  settle_time: 0.2
  frame_rate: 10
objects:
  - name: crate
    type: box
    class: crate
    count: {integer: [1, 2]}
    size: [{uniform: [0.15, 0.3]}, {uniform: [0.15, 0.3]}, 0.15]
    position: [{uniform: [-0.3, 0.3]}, {uniform: [-0.3, 0.3]}, {uniform: [0.1, 0.3]}]
    rpy: [0, 0, {uniform: [0, 360]}]
    color: [{uniform: [0.5, 0.9]}, 0.4, 0.2]
  - name: ball
    type: sphere
    class: ball
    radius: {uniform: [0.06, 0.1]}
    position: [{uniform: [-0.3, 0.3]}, {uniform: [-0.3, 0.3]}, 0.4]
    color: [0.2, 0.3, 0.9]
  - name: can
    type: cylinder
    class: can
    radius: 0.05
    length: 0.15
    position: [{uniform: [-0.3, 0.3]}, {uniform: [-0.3, 0.3]}, 0.3]
    color: [0.2, 0.8, 0.3]
cameras:
  - name: cam
    width: 160
    height: 120
    fov_y: 55
    near: 0.05
    far: 10
    position: [1.1, -0.8, 0.9]
    look_at: [0, 0, 0.05]
labels:
  min_visible_pixels: 4
output:
  splits: {train: 0.5, val: 0.5}
"""


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text (dedented) to ``tmp_path/name`` and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def small_scenario_path(write_scenario: Callable[..., Path]) -> Path:
    """The small test scenario as a file in tmp_path."""
    return write_scenario(SMALL_SCENARIO, "small.yaml")


def _egl_problem() -> str | None:
    """Why the EGL renderer cannot run here, or None when it loads."""
    from simgen.errors import SimgenError
    from simgen.sensors.render import attach
    from simgen.sim.client import BulletClient

    try:
        with BulletClient() as client:
            attach(client, "egl")
    except SimgenError as err:
        return f"pybullet's EGL plugin cannot load on this machine: {err}"
    return None


@pytest.fixture(scope="session")
def egl_problem() -> str | None:
    """Checked once per test process."""
    return _egl_problem()


@pytest.fixture(params=["tiny", "egl"])
def renderer(request: pytest.FixtureRequest, egl_problem: str | None) -> str:
    """Each concrete renderer; 'egl' is skipped (with the reason) only when its plugin cannot load."""
    if request.param == "egl" and egl_problem:
        pytest.skip(egl_problem)
    return request.param


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small scenario rendered once (tiny renderer, 2 episodes x 2 frames) into a dataset folder."""
    import simgen

    folder = tmp_path_factory.mktemp("small_dataset")
    scenario_file = folder / "small.yaml"
    scenario_file.write_text(SMALL_SCENARIO, encoding="utf-8")
    out = folder / "out"
    simgen.render(simgen.load(scenario_file), out, renderer="tiny", progress=False)
    return out


def _run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> tuple[int, str, str]:
    """Run ``python -m simgen ARGS`` in a subprocess with this checkout first on the path."""
    import subprocess

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CI", None)
    proc = subprocess.run(
        [sys.executable, "-m", "simgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def run_cli() -> Callable[..., tuple[int, str, str]]:
    """``run_cli(*args, cwd=None) -> (exit code, stdout, stderr)`` of ``python -m simgen``."""
    return _run_cli


def fake_objects(classes: tuple[str, ...] = ("crate", "ball")) -> tuple:
    """Three ObjectInstance records (ids 1..3) cycling through ``classes``; no simulator involved."""
    from simgen.scenario.spec import ObjectInstance

    out = []
    for i in range(3):
        cls = classes[i % len(classes)]
        out.append(
            ObjectInstance(
                instance_id=i + 1,
                name=f"{cls}_{i}",
                source=cls,
                class_name=cls,
                category_id=classes.index(cls) + 1,
                type="box",
                shape={"size": [0.1, 0.1, 0.1]},
                position=(0.0, 0.0, 0.0),
                orientation=(0.0, 0.0, 0.0, 1.0),
                rpy_deg=(0.0, 0.0, 0.0),
                mass=1.0,
                color=None,
                friction=0.6,
                restitution=0.0,
                linear_damping=0.0,
                angular_damping=0.04,
            )
        )
    return tuple(out)


@pytest.fixture
def make_frame() -> Callable[..., object]:
    """Build a labeled :class:`Frame` from a synthetic (H, W) instance map, as a renderer would deliver it."""
    import numpy as np

    from simgen.frame import Frame
    from simgen.labels.instances import label_frame, semantic_map
    from simgen.sensors.camera.model import CameraSpec

    def make(instance, *, episode: int = 0, index: int = 0, split: str = "train", min_pixels: int = 1):
        instance = np.asarray(instance, dtype=np.int32)
        h, w = instance.shape
        objects = fake_objects()
        cam = CameraSpec(
            name="cam",
            width=w,
            height=h,
            K=np.array([[w, 0, (w - 1) / 2], [0, w, (h - 1) / 2], [0, 0, 1.0]]),
            near=0.1,
            far=10.0,
            world_from_camera=np.eye(4),
        )
        rgb = np.zeros((h, w, 3), np.uint8)
        rgb[..., 0] = (np.arange(w) * 255 // max(w - 1, 1)).astype(np.uint8)
        rgb[..., 1] = (instance * 60).clip(0, 255).astype(np.uint8)
        frame = Frame(
            episode=episode,
            index=index,
            time=0.1 * index,
            split=split,
            camera=cam,
            rgb=rgb,
            depth=np.ones((h, w), np.float32),
            instance=instance,
            semantic=semantic_map(instance, objects),
            objects=objects,
            poses={o.instance_id: ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0)) for o in objects},
            class_names=("crate", "ball"),
        )
        return label_frame(frame, min_pixels)

    return make
