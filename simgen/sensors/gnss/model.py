"""GNSS definition: its ``sensors:`` entry, resolved spec and fix record (light: the loader reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from simgen.scenario.sensor_models import SensorBase
from simgen.scenario.sensor_spec import SensorSpec


class Gnss(SensorBase):
    """GNSS-like fixes: antenna position and velocity in the world frame (local ENU, metres)."""

    type: Literal["gnss"]
    rate: float | None = Field(10.0, gt=0, le=1000)
    horizontal_noise: float = Field(0.0, ge=0, description="std per horizontal axis, metres")
    vertical_noise: float = Field(0.0, ge=0, description="std, metres")
    velocity_noise: float = Field(0.0, ge=0, description="std per axis, m/s")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a fix is missing")


@dataclass(frozen=True)
class GnssSpec(SensorSpec):
    """GNSS noise (metres, m/s) and fix dropout probability."""

    horizontal_noise: float = 0.0
    vertical_noise: float = 0.0
    velocity_noise: float = 0.0
    dropout: float = 0.0


@dataclass
class GnssSample:
    """One GNSS fix, world frame (local ENU, metres, m/s); NaN and ``valid=False`` on dropout."""

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    position: np.ndarray
    velocity: np.ndarray
    position_true: np.ndarray
    velocity_true: np.ndarray
    valid: bool


__all__ = ["Gnss", "GnssSample", "GnssSpec"]
