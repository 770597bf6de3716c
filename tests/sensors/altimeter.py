"""A toy sensor in one module: an altimeter reading its height above z = 0 with Gaussian noise.

Everything the pipeline needs is here (scenario model, spec, record, runtime, its own fault
event ``altimeter_stuck``, registration), to show that a sensor is one module plus one
``register_sensor_type`` call. It has no MCAP encoding
on purpose: the MCAP exporter must say so. Importing this module registers it (spawned worker
processes import it when they unpickle its spec); tests remove it with ``unregister_sensor_type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from simgen.scenario.sensor_models import Problem, SensorBase
from simgen.scenario.sensor_spec import SensorSpec
from simgen.scenario.world_models import Duration, Model
from simgen.sensors.registry import Sensor, SensorType, register_sensor_type


class Altimeter(SensorBase):
    """Scenario entry: ``{name: alt, type: altimeter, noise: 0.01, ceiling: 50}``."""

    type: Literal["altimeter"]
    rate: float | None = Field(5.0, gt=0, le=1000)
    noise: float = Field(0.0, ge=0, le=10, description="std of the reading, metres")
    ceiling: float = Field(100.0, gt=0, description="readings above this saturate, metres")

    def problems(self) -> list[Problem]:
        return [("noise", "noise must be below the ceiling", None)] if self.noise >= self.ceiling else []


class AltimeterStuck(Model):
    """Fault event action: the altimeter repeats ``value`` (or its last reading) for ``duration`` seconds."""

    type: Literal["altimeter_stuck"]
    sensor: str | None = Field(None, max_length=64, description="altimeter name; all altimeters when omitted")
    duration: Duration = 1.0
    value: float | None = Field(None, ge=-1e4, le=1e4, description="reading while stuck; omitted: the last one")


@dataclass(frozen=True)
class AltimeterSpec(SensorSpec):
    """Resolved altimeter: its noise and ceiling, and the noise variance derived from them."""

    noise: float = 0.0
    ceiling: float = 100.0
    variance: float = 0.0  # derived: noise squared


@dataclass
class AltimeterSample:
    """One reading: ``altitude`` (noisy, saturated) and ``altitude_true`` in metres."""

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    altitude: float
    altitude_true: float


class AltimeterSensor(Sensor[AltimeterSpec, AltimeterSample]):
    """Height of the sensor origin above z = 0, read through the world view only."""

    last: float | None = None  # the previous reading (what a stuck altimeter repeats)

    def capture(self, tick: int) -> AltimeterSample:
        s = self.spec
        wm = np.eye(4) if s.mount is None else self.world.mount_pose(s.mount)
        true = float((wm @ s.mount_from_sensor)[2, 3])
        reading = min(true + float(self.rng.normal(0.0, s.noise)), s.ceiling) if s.noise else min(true, s.ceiling)
        for fault in self.world.active_faults(s.name, "altimeter_stuck"):
            value = fault.params.get("value")
            reading = (reading if self.last is None else self.last) if value is None else float(value)
        self.last = reading
        t = self.world.time
        self.count += 1
        return AltimeterSample(s.name, self.count - 1, t, t + s.latency, reading, true)


def _derive(model: Any) -> dict[str, Any]:
    return {"variance": model.noise**2}


ALTIMETER = SensorType(
    name="altimeter",
    summary="toy: height above z = 0 with Gaussian noise",
    runtime=f"{__name__}:AltimeterSensor",
    model=Altimeter,
    spec=AltimeterSpec,
    record=AltimeterSample,
    derive=_derive,
    faults=(AltimeterStuck,),
)
register_sensor_type(ALTIMETER)
