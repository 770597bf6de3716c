"""simgen: labeled synthetic sensor data from physics simulation.

    >>> import simgen
    >>> scenario = simgen.load(simgen.resources.scenario_path("quickstart"))
    >>> scenario.cameras[0].width
    640

Importing simgen or validating a scenario does not import pybullet or OpenCV.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from simgen import resources
from simgen.errors import SimgenError
from simgen.scenario import EpisodeSpec, Scenario, load, loads, requirements, sample

if TYPE_CHECKING:
    from simgen.batch.runner import RunSummary

__version__ = "0.1.0"


def _first_frame_probe(spec: EpisodeSpec) -> Any:
    """The ground truth ``require:`` conditions read (it builds a world: loaded on first use)."""
    from simgen.batch.probe import FirstFrameProbe

    return FirstFrameProbe(spec)


requirements.register_probe(_first_frame_probe)


def render(scenario: Scenario | str | Path, out: str | Path, **options: Any) -> RunSummary:
    """Render a scenario (object or path) into dataset folder ``out``; see ``render_dataset``."""
    from simgen.batch.runner import render_dataset

    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    return render_dataset(scenario, out, **options)


__all__ = ["EpisodeSpec", "Scenario", "SimgenError", "__version__", "load", "loads", "render", "resources", "sample"]
