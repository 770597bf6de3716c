"""Sensor specs are derived from their models generically: no field is copied by hand."""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pytest

from simgen.scenario.sensor_models import Gnss, Imu, Lidar, Radar, SensorBase
from simgen.scenario.sensor_sampling import SENSOR_SPECS, register_sensor_spec, spec_from_model
from simgen.scenario.sensor_spec import SensorSpec

COMMON = {"name", "type", "rate", "phase", "latency", "mount", "mount_from_sensor"}
MODELS = {"lidar": Lidar, "imu": Imu, "gnss": Gnss, "radar": Radar}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_spec_field_is_common_derived_or_a_model_field(kind: str) -> None:
    spec_type, derive = SENSOR_SPECS[kind]
    model = MODELS[kind].model_validate({"type": kind, "name": "s"})
    derived = set(derive(model))
    for f in dataclasses.fields(spec_type):
        assert f.name in COMMON | derived or f.name in type(model).model_fields, f"{kind}: {f.name}"


def test_spec_copies_model_values_and_keeps_derived_ones() -> None:
    fields = {"type": "radar", "name": "r", "max_range": 42.0, "horizontal_fov": 10, "ray_resolution": 5}
    model = Radar.model_validate(fields)
    spec_type, derive = SENSOR_SPECS["radar"]
    common = {"name": "r", "type": "radar", "rate": 10.0, "phase": 0.0, "latency": 0.0, "mount": None,
              "mount_from_sensor": np.eye(4)}  # fmt: skip
    spec = spec_from_model(spec_type, model, {**common, **derive(model)})
    assert spec.max_range == 42.0 and spec.dropout == model.dropout
    assert spec.azimuths_deg == (-5.0, 0.0, 5.0)


@dataclasses.dataclass(frozen=True)
class ThermometerSpec(SensorSpec):
    """A toy sensor's resolved record."""

    noise: float = 0.0
    readings: tuple[float, ...] = ()
    scale: float = 1.0


class Thermometer(SensorBase):
    """A toy sensor's model."""

    type: Literal["thermometer"]
    noise: float = 0.5
    readings: list[float] = [1.0, 2.0]


def test_a_new_sensor_is_one_registration() -> None:
    register_sensor_spec("thermometer", ThermometerSpec, lambda m: {"scale": 2 * m.noise})
    try:
        model = Thermometer.model_validate({"type": "thermometer", "name": "t", "noise": 0.25})
        spec_type, derive = SENSOR_SPECS["thermometer"]
        common = {"name": "t", "type": "thermometer", "rate": 1.0, "phase": 0.0, "latency": 0.0, "mount": None,
                  "mount_from_sensor": np.eye(4)}  # fmt: skip
        spec = spec_from_model(spec_type, model, {**common, **derive(model)})
        assert (spec.noise, spec.readings, spec.scale) == (0.25, (1.0, 2.0), 0.5)
    finally:
        del SENSOR_SPECS["thermometer"]


def test_a_spec_field_without_a_model_field_is_an_error() -> None:
    @dataclasses.dataclass(frozen=True)
    class Extra(SensorSpec):
        missing: float = 0.0

    model = Gnss.model_validate({"type": "gnss", "name": "g"})
    common = {"name": "g", "type": "gnss", "rate": 1.0, "phase": 0.0, "latency": 0.0, "mount": None,
              "mount_from_sensor": np.eye(4)}  # fmt: skip
    with pytest.raises(AttributeError, match="missing"):
        spec_from_model(Extra, model, common)
