"""The pipeline's one-way dependency rules, checked on every import statement of every module.

The rule test reads the source (``ast``) rather than importing: it sees imports made inside
functions and under ``TYPE_CHECKING`` as well as the ones at the top of a module. The lighter
tests at the end import modules in a fresh interpreter and check what actually gets loaded.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from simgen.sensors.registry import BUILTIN_SENSORS
from tests.conftest import REPO

# Units of simgen (a top-level package or module) by layer, lowest first. A unit may import
# units of its own layer or of lower layers, never a higher one. ``core`` is the leaf layer.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("errors", "resources"),
    ("materials",),
    ("assets",),
    ("scenario",),
    ("frame", "viz"),
    ("sim",),
    ("sensors",),
    ("labels",),
    ("randomize",),
    ("export",),
    ("batch",),
    ("dataset", "interop"),
    ("study", "torch"),
    ("cli",),
    ("__init__", "__main__"),
]
RANK = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}
# Extension registries whose modules serve several stages: an object kind module holds one
# type's fields and sampling (scenario), its mesh and its pybullet build (sim). Any stage may
# import them and they may import stages up to the one named here, but a stage later than
# ``scenario`` only inside functions or under TYPE_CHECKING: loading a kind loads no simulator.
PLUGINS: dict[str, str] = {"kinds": "sim", "sensor_types": "sensors"}
# Sensor definitions are such a registry inside ``sensors``: the registry module, each built-in
# sensor package's registration (``simgen.sensors.<name>``) and its ``model`` module hold the
# scenario model, spec, record and export encodings of one sensor type. The scenario loader
# builds the ``sensors:`` union from them, so they form the plugin unit ``sensor_types``: light
# (up to ``scenario`` at load time), their runtime (``simgen.sensors.<name>.runtime``) imported
# only where a sensor is built. Every other ``simgen.sensors`` module is the ``sensors`` stage.
SENSOR_PACKAGES = BUILTIN_SENSORS
# The modules of a sensor package that belong to ``sensor_types``: the registration, the model
# (scenario entry, spec, record) and, for the camera, the sampling of its ``cameras:`` section,
# which scenario sampling calls. The camera's spec is a field type of EpisodeSpec, so
# ``scenario`` imports ``simgen.sensors.camera.model`` at load time (allowed: a plugin unit).
DEFINITION_MODULES = ([], ["model"], ["sampling"])
# Stages that must not reach these units even indirectly (through another stage's module):
# dataset tools read finished datasets; labels, image effects and exporters work on Frames.
NEVER_REACHES: dict[str, tuple[str, ...]] = {
    "dataset": ("sim", "sensors", "batch", "labels", "cli"),
    "labels": ("sim", "batch", "cli"),
    "randomize": ("sim", "sensors", "batch", "cli"),
    "export": ("sim", "sensors", "batch", "cli"),
    "frame": ("sim", "sensors", "labels", "export", "batch", "cli"),
}
ROOT_NAMES = {"__version__"}  # metadata of the root package, importable from anywhere


def module_name(path: Path, root: Path) -> str:
    """Dotted module name of a source file under ``root`` (the folder that holds ``simgen/``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """``simgen.sensors.raycast`` -> ``sensors``; sensor definitions -> ``sensor_types``; the root is ``__init__``."""
    parts = module.split(".")
    if parts[1:2] == ["sensors"]:  # the package itself is a docstring: the definitions load it
        definition = parts[2:] in ([], ["registry"]) or (
            parts[2] in SENSOR_PACKAGES and parts[3:] in DEFINITION_MODULES
        )
        return "sensor_types" if definition else "sensors"
    return parts[1] if len(parts) > 1 else "__init__"


def _import_nodes(tree: ast.AST) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, at any depth, and whether it runs when the module is loaded.

    Imports inside functions or under ``if TYPE_CHECKING:`` do not run at load time.
    """

    def visit(node: ast.AST, at_load: bool) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, at_load
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, False)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from visit(child, False)
            else:
                yield from visit(child, at_load)

    yield from visit(tree, True)


def imported_modules(source: str, module: str, is_package: bool) -> Iterable[tuple[int, str, bool]]:
    """(line, absolute module name, runs at load time) of every import in ``source``, at any depth."""
    for node, at_load in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, at_load
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base == "simgen":  # from simgen import X: X is a unit, or root metadata
                for alias in node.names:
                    yield node.lineno, "simgen" if alias.name in ROOT_NAMES else f"simgen.{alias.name}", at_load
            else:
                yield node.lineno, base, at_load


def rule_violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in ``source`` (module ``module``) that breaks the layer order."""
    src = unit_of(module)
    out = []
    for line, target, at_load in imported_modules(source, module, is_package):
        if target != "simgen" and not target.startswith("simgen."):
            continue
        if target == "simgen":
            continue  # root metadata (__version__)
        dst = unit_of(target)
        if dst == src:
            continue
        if dst == "cli" and src != "__main__":
            out.append(f"{module}:{line}: imports the command line ({target})")
        elif src == "core":
            out.append(f"{module}:{line}: the leaf layer imports {target}")
        elif dst in PLUGINS:
            continue  # an extension registry: every stage asks it
        elif dst not in RANK:
            out.append(f"{module}:{line}: {target} belongs to no layer (add it to LAYERS)")
        elif src in PLUGINS:
            if RANK[dst] > RANK[PLUGINS[src]]:
                out.append(f"{module}:{line}: the plugin {src} imports the later stage {target}")
            elif RANK[dst] > RANK["scenario"] and at_load:
                out.append(f"{module}:{line}: the plugin {src} loads {target} at import time")
        elif RANK[dst] > RANK[src]:
            out.append(f"{module}:{line}: {src} imports the later stage {target}")
    return out


def _sources(root: Path = REPO) -> dict[str, tuple[str, bool]]:
    """Module name -> (source, is_package) for every module of simgen/."""
    return {
        module_name(p, root): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
        for p in sorted((root / "simgen").rglob("*.py"))
    }


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Module -> the simgen modules it imports (a name that is a package's attribute maps to the package)."""
    graph: dict[str, set[str]] = {}
    for module, (source, is_package) in sources.items():
        targets = set()
        for _, target, at_load in imported_modules(source, module, is_package):
            if unit_of(module) in PLUGINS and not at_load:
                continue  # runs only where the plugin's stage-specific part is called
            while target and target not in sources:
                target = target.rpartition(".")[0]  # from simgen.x import name -> simgen.x
            if target:
                targets.add(target)
                parts = target.split(".")
                targets |= {".".join(parts[:i]) for i in range(2, len(parts))} & set(sources)  # parent packages run
        graph[module] = targets - {module}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module that importing ``start`` can load, through imports at any depth."""
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    return seen


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(m) for m in _sources()}
    assert units <= set(RANK) | set(PLUGINS), f"units with no layer: {sorted(units - set(RANK) - set(PLUGINS))}"


def test_no_import_runs_against_the_stage_order() -> None:
    problems = [v for module, (src, pkg) in _sources().items() for v in rule_violations(src, module, pkg)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("unit", sorted(NEVER_REACHES))
def test_frame_consumers_never_reach_the_simulator(unit: str) -> None:
    """Through imports at any depth, e.g. dataset tools never reach sim/sensors/batch/labels."""
    sources = _sources()
    graph = import_graph(sources)
    for module in (m for m in sources if unit_of(m) == unit):
        bad = sorted(m for m in reachable(graph, module) if unit_of(m) in NEVER_REACHES[unit])
        assert not bad, f"{module} reaches {bad}"


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("simgen.sensors.x", "def f():\n    if True:\n        from simgen.batch.runner import run\n", "later stage"),
        ("simgen.scenario.x", "import simgen.sim.world as w\n", "later stage"),
        ("simgen.core.x", "from simgen.errors import SimgenError\n", "leaf layer"),
        ("simgen.export.x", "class A:\n    def m(self):\n        import simgen.cli\n", "command line"),
        ("simgen.labels.x", "from simgen import cli\n", "command line"),
        ("simgen.sim.x", "from ..batch import runner\n", "later stage"),
        ("simgen.sim.x", "from simgen.nowhere import y\n", "no layer"),
        ("simgen.kinds.x", "from simgen.sim.world import World\n", "at import time"),
        ("simgen.kinds.x", "def build():\n    from simgen.sensors.truth import T\n", "later stage"),
        ("simgen.sensors.radar.model", "from simgen.sensors.raycast import cast_rays\n", "at import time"),
        ("simgen.sensors.lidar", "def f():\n    from simgen.labels.ego import e\n", "later stage"),
        ("simgen.scenario.x", "from simgen.sensors.radar.runtime import Radar\n", "later stage"),
        ("simgen.scenario.x", "from simgen.sensors.camera.runtime import Camera\n", "later stage"),
    ],
)
def test_the_rule_flags_a_violating_source(module: str, source: str, expected: str) -> None:
    (problem,) = rule_violations(source, module)
    assert expected in problem and problem.startswith(f"{module}:")


def test_the_rule_passes_allowed_imports() -> None:
    source = "from simgen.core.fileio import write_json\nfrom simgen import __version__\nimport numpy\n"
    assert rule_violations(source, "simgen.export.x") == []
    assert rule_violations("from . import y\n", "simgen.sensors.x") == []
    plugin = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from simgen.sim.client import C\n"
    plugin += "def build():\n    from simgen.sim.materials import m\n"
    assert rule_violations(plugin, "simgen.kinds.x") == []
    assert rule_violations("from simgen.kinds.registry import kind_of\n", "simgen.scenario.x") == []
    sensor_types = "from simgen.sensors.registry import entry_types\nfrom simgen.sensors.radar import model\n"
    assert rule_violations(sensor_types, "simgen.scenario.x") == []
    assert rule_violations("def f():\n    from simgen.sensors.raycast import c\n", "simgen.sensors.radar.model") == []
    camera = "from simgen.sensors.camera.model import CameraSpec\n"
    camera += "from simgen.sensors.camera.sampling import sample_cameras\n"
    assert rule_violations(camera, "simgen.scenario.x") == []
    assert rule_violations(camera, "simgen.export.x") == []


def test_dataset_reachability_sees_a_chain_through_another_stage() -> None:
    sources = {
        "simgen.dataset.a": ("def f():\n    from simgen.export.b import g\n", False),
        "simgen.export.b": ("from simgen.labels.c import h\n", False),
        "simgen.labels.c": ("", False),
        "simgen.dataset": ("", True),
        "simgen.export": ("", True),
        "simgen.labels": ("", True),
    }
    assert "simgen.labels.c" in reachable(import_graph(sources), "simgen.dataset.a")


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
    stages = {m for m in loaded if m.startswith(("simgen.sim", "simgen.sensors", "simgen.export", "simgen.batch"))}
    # The scenario models read the sensor definitions (registry, registrations, model modules), no runtime.
    assert {m for m in stages if unit_of(m) != "sensor_types"} == set()


@pytest.mark.parametrize("module", ["simgen.batch.runner", "simgen.batch.worker", "simgen.export.base"])
def test_runner_and_exporters_never_import_torch(module: str) -> None:
    """Training libraries are optional extras (simgen.torch needs 'study'): rendering never loads them."""
    loaded = _loaded_after_import(module)
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "torchvision", "datasets", "simgen.torch")}
    assert "simgen.torch" not in loaded


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
    pulled |= {m for m in loaded if m.startswith("simgen.sensors") and unit_of(m) != "sensor_types"}
    assert not pulled, f"{module} pulls in {sorted(pulled)}"


def _stage_modules(loaded: set[str], prefixes: tuple[str, ...]) -> set[str]:
    """Loaded modules of the stages ``prefixes`` name; sensor definitions (light, read by the scenario) aside."""
    return {m for m in loaded if m.startswith(prefixes) and unit_of(m) != "sensor_types"}


def _modules_of(package: str) -> list[str]:
    """Every module of a simgen package (files under its folder), so no module escapes the rule."""
    folder = REPO / package.replace(".", "/")
    return sorted(f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__")


def _loaded_after_imports(modules: list[str]) -> set[str]:
    return _loaded_after_import(", ".join(modules))


def test_leaf_layer_loads_no_stage_and_no_simulator() -> None:
    """Beyond what the root package loads anyway, the leaf modules bring only themselves."""
    loaded = _loaded_after_import("simgen.core.transforms, simgen.core.lens, simgen.core.fileio")
    extra = loaded - _loaded_after_import("simgen")
    assert not {m for m in extra if m.startswith("simgen.") and not m.startswith("simgen.core")}
    assert "pybullet" not in loaded and "cv2" not in loaded and "trimesh" not in loaded


def test_image_effects_never_load_the_simulator() -> None:
    """Effects read frames (velocities included) only; every randomize module, loaded at once."""
    loaded = _loaded_after_imports(_modules_of("simgen.randomize"))
    assert "pybullet" not in loaded
    assert not {m for m in _stage_modules(loaded, ("simgen.sim", "simgen.sensors", "simgen.batch"))}


def test_frame_contract_is_neutral() -> None:
    """Frame and its label types depend on no pipeline stage: sensors, labels and exporters share them."""
    loaded = _loaded_after_import("simgen.frame")
    stages = ("simgen.sim", "simgen.sensors", "simgen.labels", "simgen.export", "simgen.batch")
    assert not _stage_modules(loaded, stages)
    assert "pybullet" not in loaded and "cv2" not in loaded


def test_exporters_import_neither_sensors_nor_simulator() -> None:
    """Exporters read Frames from simgen.frame; the sensors package and the simulator stay out."""
    loaded = _loaded_after_imports(_modules_of("simgen.export"))
    pulled = _stage_modules(loaded, ("simgen.sensors", "simgen.sim", "simgen.batch"))
    assert not pulled, f"exporters pull in: {sorted(pulled)}"
    assert "pybullet" not in loaded


def test_no_labels_module_imports_the_simulator() -> None:
    """Labels work on Frames alone (geometry and poses arrive as data), in every labels module."""
    loaded = _loaded_after_imports(_modules_of("simgen.labels"))
    pulled = {m for m in loaded if m == "simgen.sim" or m.startswith("simgen.sim.")}
    assert not pulled, f"simgen.labels pulls in: {sorted(pulled)}"
    assert "pybullet" not in loaded
