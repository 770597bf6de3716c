"""Scenario stage: safe YAML -> validated :class:`Scenario` -> sampled :class:`EpisodeSpec`.

Pure data and numpy: nothing here imports pybullet or OpenCV.
"""

from simgen.scenario.loader import load, loads
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.scenario.spec import EpisodeSpec, ObjectInstance, WorldSpec
from simgen.sensors.camera.model import CameraSpec

__all__ = ["CameraSpec", "EpisodeSpec", "ObjectInstance", "Scenario", "WorldSpec", "load", "loads", "sample"]
