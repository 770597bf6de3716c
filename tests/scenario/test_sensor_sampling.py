"""Sensor specs are derived from their models generically: no field is copied by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.scenario.sensor_spec import SensorSpec
from simgen.sensors.gnss.model import Gnss
from simgen.sensors.radar.model import Radar
from simgen.sensors.registry import entry_types, sensor_type, spec_from_model

COMMON = {"name", "type", "rate", "phase", "latency", "mount", "mount_from_sensor"}


@pytest.mark.parametrize("kind", sorted(entry_types()))
def test_every_spec_field_is_common_derived_or_a_model_field(kind: str) -> None:
    t = sensor_type(kind)
    assert t.model is not None and t.spec is not None
    model = t.model.model_validate({"type": kind, "name": "s"})
    derived = set(t.derive(model))
    for f in dataclasses.fields(t.spec):
        assert f.name in COMMON | derived or f.name in type(model).model_fields, f"{kind}: {f.name}"


def test_spec_copies_model_values_and_keeps_derived_ones() -> None:
    fields = {"type": "radar", "name": "r", "max_range": 42.0, "horizontal_fov": 10, "ray_resolution": 5}
    model = Radar.model_validate(fields)
    common = {"name": "r", "type": "radar", "rate": 10.0, "phase": 0.0, "latency": 0.0, "mount": None,
              "mount_from_sensor": np.eye(4)}  # fmt: skip
    spec = sensor_type("radar").from_model(model, common)
    assert spec.max_range == 42.0 and spec.dropout == model.dropout
    assert spec.azimuths_deg == (-5.0, 0.0, 5.0)


def test_a_spec_field_without_a_model_field_is_an_error() -> None:
    @dataclasses.dataclass(frozen=True)
    class Extra(SensorSpec):
        missing: float = 0.0

    model = Gnss.model_validate({"type": "gnss", "name": "g"})
    common = {"name": "g", "type": "gnss", "rate": 1.0, "phase": 0.0, "latency": 0.0, "mount": None,
              "mount_from_sensor": np.eye(4)}  # fmt: skip
    with pytest.raises(AttributeError, match="missing"):
        spec_from_model(Extra, model, common)
