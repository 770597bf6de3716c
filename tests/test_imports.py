"""The pipeline's one-way dependency rule, checked on what each stage actually imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

STAGES = ["scenario", "sim", "sensors", "labels", "export", "batch"]


def _loaded_after_import(module: str) -> set[str]:
    code = f"import sys, json; import {module}; print(json.dumps(sorted(sys.modules)))"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ["simgen", "simgen.scenario"])
def test_light_imports_load_no_simulator_or_opencv(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "pybullet" not in loaded and "cv2" not in loaded and "trimesh" not in loaded
    assert "torch" not in loaded and "torchvision" not in loaded and "datasets" not in loaded
    assert not {m for m in loaded if m.startswith(("simgen.sim", "simgen.sensors", "simgen.export", "simgen.batch"))}


@pytest.mark.parametrize("module", ["simgen.batch.runner", "simgen.batch.worker", "simgen.export.base"])
def test_runner_and_exporters_never_import_torch(module: str) -> None:
    """Training libraries are optional extras (simgen.torch needs 'study'): rendering never loads them."""
    loaded = _loaded_after_import(module)
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "torchvision", "datasets", "simgen.torch")}
    assert "simgen.torch" not in loaded


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_a_later_one_or_the_cli(stage: str) -> None:
    loaded = _loaded_after_import(f"simgen.{stage}")
    later = STAGES[STAGES.index(stage) + 1 :]
    pulled = {m for m in loaded for s in later if m == f"simgen.{s}" or m.startswith(f"simgen.{s}.")}
    assert not pulled, f"simgen.{stage} pulls in later stages: {sorted(pulled)}"
    assert "simgen.cli" not in loaded


@pytest.mark.parametrize("module", ["simgen.export.coco", "simgen.labels", "simgen.viz.sheet"])
def test_exporters_labels_and_viz_never_touch_the_simulator(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "pybullet" not in loaded
    assert not {m for m in loaded if m.startswith("simgen.sim")}


@pytest.mark.parametrize(
    "module",
    ["simgen.dataset", "simgen.dataset.reader", "simgen.dataset.stats", "simgen.dataset.compare",
     "simgen.dataset.report", "simgen.dataset.rebalance", "simgen.dataset.card",
     "simgen.dataset.mix"],
)  # fmt: skip
def test_dataset_tools_never_import_the_simulator(module: str) -> None:
    """Dataset tools read finished datasets only: no pybullet, simulator, sensors, batch runner or CLI."""
    loaded = _loaded_after_import(module)
    assert "pybullet" not in loaded and "simgen.cli" not in loaded
    pulled = {m for m in loaded if m.startswith(("simgen.sim", "simgen.batch", "simgen.labels"))}
    # The viz helpers bring the plain Frame data type along; no sensor model or renderer.
    pulled |= {m for m in loaded if m.startswith("simgen.sensors")}
    assert not pulled, f"{module} pulls in {sorted(pulled)}"


def _modules_of(package: str) -> list[str]:
    """Every module of a simgen package (files under its folder), so no module escapes the rule."""
    folder = REPO / package.replace(".", "/")
    return sorted(f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")


def _loaded_after_imports(modules: list[str]) -> set[str]:
    return _loaded_after_import(", ".join(modules))


def test_frame_contract_is_neutral() -> None:
    """Frame and its label types depend on no pipeline stage: sensors, labels and exporters share them."""
    loaded = _loaded_after_import("simgen.frame")
    stages = ("simgen.sim", "simgen.sensors", "simgen.labels", "simgen.export", "simgen.batch")
    assert not {m for m in loaded if m.startswith(stages)}
    assert "pybullet" not in loaded and "cv2" not in loaded


def test_exporters_import_neither_sensors_nor_simulator() -> None:
    """Exporters read Frames from simgen.frame; the sensors package and the simulator stay out."""
    loaded = _loaded_after_imports(_modules_of("simgen.export"))
    pulled = {m for m in loaded if m.startswith(("simgen.sensors", "simgen.sim", "simgen.batch"))}
    assert not pulled, f"exporters pull in: {sorted(pulled)}"
    assert "pybullet" not in loaded


def test_no_labels_module_imports_the_simulator() -> None:
    """Labels work on Frames alone (geometry and poses arrive as data), in every labels module."""
    loaded = _loaded_after_imports(_modules_of("simgen.labels"))
    pulled = {m for m in loaded if m == "simgen.sim" or m.startswith("simgen.sim.")}
    assert not pulled, f"simgen.labels pulls in: {sorted(pulled)}"
    assert "pybullet" not in loaded
