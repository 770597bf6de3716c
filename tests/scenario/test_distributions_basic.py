"""Distributions: parsing errors, field bounds, sampling inside the support, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from simgen.scenario.distributions import (
    Choice,
    Constant,
    IntRange,
    Normal,
    Num,
    Uniform,
    parse_distribution,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (1.5, Constant(1.5)),
        (3, Constant(3.0)),
        ({"uniform": [0.5, 2]}, Uniform(0.5, 2.0)),
        ({"normal": {"mean": 1, "std": 0.1}}, Normal(1.0, 0.1)),
        ({"normal": {"mean": 1, "std": 0.1, "min": 0.5, "max": 2}}, Normal(1.0, 0.1, 0.5, 2.0)),
        ({"choice": [0.5, 1, 2]}, Choice((0.5, 1.0, 2.0))),
        ({"choice": {"values": [1, 2], "weights": [3, 1]}}, Choice((1.0, 2.0), (3.0, 1.0))),
        ({"integer": [3, 12]}, IntRange(3, 12)),
    ],
)
def test_parse_round_trips_through_data(data, expected) -> None:
    dist = parse_distribution(data)
    assert dist == expected
    assert parse_distribution(dist.to_data()) == dist
    assert repr(dist).startswith(type(dist).__name__)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("abc", "must be a number"),
        (True, "must be a number"),
        (float("nan"), "must be finite"),
        ({"uniform": [2, 1]}, "low 2 is greater than high 1"),
        ({"uniform": [1]}, "takes a list [low, high]"),
        ({"uniform": [0, 1], "normal": {}}, "exactly one of"),
        ({"unifrom": [0, 1]}, "did you mean 'uniform'?"),
        ({"normal": {"mean": 1}}, "needs both 'mean' and 'std'"),
        ({"normal": {"mean": 1, "std": -1}}, "std must be >= 0"),
        ({"normal": {"mean": 1, "std": 1, "sigma": 2}}, "unknown keys ['sigma']"),
        ({"normal": {"mean": 1, "std": 1, "min": 3, "max": 2}}, "min 3 is greater than max 2"),
        ({"choice": []}, "non-empty list"),
        ({"choice": {"values": [1, 2], "weights": [1]}}, "weights must be a list of 2"),
        ({"choice": {"values": [1, 2], "weights": [0, 0]}}, "not all zero"),
        ({"integer": [1.5, 3]}, "whole numbers"),
    ],
)
def test_parse_errors_are_clear(data, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_distribution(data)
    assert message in str(err.value)


class Bounded(BaseModel):
    """A model using the field types the scenario models use."""

    model_config = ConfigDict(validate_default=True)

    mass: Num(ge=0) = 1.0
    radius: Num(gt=0) = 1.0
    unit: Num(ge=0, le=1) = 0.5
    count: Num(ge=0, le=10, integer=True) = 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mass", -1, "must be >= 0, got -1"),
        ("mass", {"uniform": [-0.5, 1]}, "this distribution can produce -0.5"),
        ("mass", {"normal": {"mean": 1, "std": 0.2}}, "unbounded; add min/max"),
        ("radius", 0, "must be > 0"),
        ("unit", {"choice": [0.2, 1.5]}, "<= 1, but this distribution can produce 1.5"),
        ("count", 2.5, "whole number"),
        ("count", {"uniform": [1, 3]}, "takes whole numbers"),
        ("count", {"integer": [0, 11]}, "<= 10"),
    ],
)
def test_field_bounds_cover_every_possible_value(field: str, value, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Bounded(**{field: value})
    assert message in str(err.value)


def test_bounded_fields_accept_valid_distributions() -> None:
    m = Bounded(mass={"normal": {"mean": 1, "std": 1, "min": 0, "max": 3}}, count={"integer": [0, 10]}, unit=1)
    assert m.mass == Normal(1.0, 1.0, 0.0, 3.0)
    assert m.count == IntRange(0, 10)
    assert Bounded(count=4).count == IntRange(4, 4)
    assert m.model_dump()["mass"] == {"normal": {"mean": 1.0, "std": 1.0, "min": 0.0, "max": 3.0}}


@given(
    lo=st.floats(-1e6, 1e6),
    width=st.floats(0, 1e6),
    seed=st.integers(0, 2**32 - 1),
)
def test_uniform_samples_inside_support(lo: float, width: float, seed: int) -> None:
    d = Uniform(lo, lo + width)
    v = d.sample(np.random.default_rng(seed))
    assert d.low <= v <= d.high


@pytest.mark.parametrize(
    "dist",
    [
        Uniform(-2.0, 3.0),
        Normal(0.0, 5.0, -1.0, 2.0),
        Choice((1.0, 4.0, 9.0), (1.0, 0.0, 2.0)),
        IntRange(-3, 3),
        Constant(2.5),
    ],
)
def test_samples_stay_in_support_and_repeat_per_seed(dist) -> None:
    lo, hi = dist.support()
    draws = [dist.sample(np.random.default_rng(s)) for s in range(300)]
    assert all(lo <= v <= hi for v in draws)
    assert draws == [dist.sample(np.random.default_rng(s)) for s in range(300)]
    if isinstance(dist, Choice):
        assert set(draws) == {1.0, 9.0}  # weight 0 is never drawn
    if isinstance(dist, IntRange):
        assert set(draws) == set(range(-3, 4)) and all(isinstance(v, int) for v in draws)
    if isinstance(dist, Normal):
        assert min(draws) == -1.0 and max(draws) == 2.0  # clipped, both ends reached


def test_normal_statistics() -> None:
    rng = np.random.default_rng(1)
    draws = np.array([Normal(3.0, 0.5).sample(rng) for _ in range(4000)])
    assert math.isclose(draws.mean(), 3.0, abs_tol=0.05) and math.isclose(draws.std(), 0.5, abs_tol=0.05)
