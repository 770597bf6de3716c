"""Distributions as values: parsing, bounds, sampling statistics, arithmetic, word choices."""

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
    LogUniform,
    Normal,
    Num,
    Pick,
    Ref,
    Uniform,
    parse_distribution,
)
from simgen.scenario.references import format_ref, parse_key_path
from simgen.scenario.sampling import Sampler


@pytest.mark.parametrize(
    "data, expected",
    [
        (1.5, Constant(1.5)),
        ({"uniform": [0.5, 2.0]}, Uniform(0.5, 2.0)),
        ({"loguniform": [0.01, 10]}, LogUniform(0.01, 10.0)),
        ({"normal": {"mean": 1, "std": 0.1, "min": 0.5, "max": 2}}, Normal(1.0, 0.1, 0.5, 2.0)),
        ({"choice": [1, 2]}, Choice((1.0, 2.0))),
        ({"choice": {"values": [1, 2], "weights": [3, 1]}}, Choice((1.0, 2.0), (3.0, 1.0))),
        ({"integer": [3, 12]}, IntRange(3, 12)),
    ],
)
def test_yaml_forms_parse_and_round_trip(data: object, expected: object) -> None:
    dist = parse_distribution(data)
    assert dist == expected
    assert parse_distribution(dist.to_data()) == dist
    assert repr(dist).startswith(type(expected).__name__ + "(")


@pytest.mark.parametrize(
    "data, message",
    [
        ({"loguniform": [0, 1]}, "loguniform low must be > 0"),
        ({"loguniform": [-1, 1]}, "loguniform low must be > 0"),
        ({"loguniform": [5, 1]}, "low 5 is greater than high 1"),
        ({"uniform": [1, float("nan")]}, "must be finite"),
        ({"normal": {"mean": 0, "std": -1}}, "std must be >= 0"),
        ({"choice": []}, "non-empty list"),
        ({"integer": [1.5, 3]}, "whole numbers"),
        ({"unifrom": [0, 1]}, "did you mean 'uniform'"),
        ("fast", "got the text 'fast'"),
    ],
)
def test_bad_forms_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_distribution(data)
    assert message in str(err.value)


def test_loguniform_is_uniform_in_log_space() -> None:
    rng = np.random.default_rng(1)
    d = LogUniform(0.01, 100.0)
    x = np.array([d.sample(rng) for _ in range(4000)])
    assert x.min() >= 0.01 and x.max() <= 100.0
    # Each of the four decades holds a quarter of the draws (a plain uniform would put 90 % in the last).
    counts = np.histogram(np.log10(x), bins=[-2, -1, 0, 1, 2])[0] / len(x)
    assert np.allclose(counts, 0.25, atol=0.03), counts


def test_weighted_choice_follows_its_weights() -> None:
    rng = np.random.default_rng(2)
    d = Choice((0.0, 1.0), (1.0, 3.0))
    share = np.mean([d.sample(rng) for _ in range(4000)])
    assert abs(share - 0.75) < 0.03


def test_normal_is_clipped_and_integer_range_inclusive() -> None:
    rng = np.random.default_rng(3)
    n = Normal(0.0, 10.0, -1.0, 1.0)
    x = [n.sample(rng) for _ in range(500)]
    assert min(x) == -1.0 and max(x) == 1.0
    assert {IntRange(3, 5).sample(rng) for _ in range(300)} == {3, 4, 5}


def test_nominal_plus_distribution_arithmetic() -> None:
    assert Constant(2.0) + Uniform(-0.1, 0.1) == Uniform(1.9, 2.1)
    assert Uniform(-0.1, 0.1) + 2.0 == Uniform(1.9, 2.1)
    assert 1 + Normal(0.0, 1.0, -2.0, 2.0) == Normal(1.0, 1.0, -1.0, 3.0)
    assert Choice((1.0, 2.0)) - 1 == Choice((0.0, 1.0))
    assert IntRange(1, 3) + 2 == IntRange(3, 5)
    assert Constant(1.0) + 2 == Constant(3.0)
    with pytest.raises(TypeError):
        _ = LogUniform(1.0, 2.0) + 1.0


class _Thing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    size: Num(gt=0) = 1.0
    count: Num(ge=0, le=10, integer=True) = 1
    mode: Pick("fast", "slow") = "fast"


def test_bounds_hold_for_every_value_a_distribution_can_produce() -> None:
    assert _Thing(size={"loguniform": [0.1, 1]}).size == LogUniform(0.1, 1.0)
    with pytest.raises(ValidationError, match="can produce -1"):
        _Thing(size={"uniform": [-1, 1]})
    with pytest.raises(ValidationError, match="whole numbers"):
        _Thing(count={"loguniform": [1, 5]})
    with pytest.raises(ValidationError, match="<= 10"):
        _Thing(count={"integer": [0, 11]})


def test_references_keep_the_field_bounds_for_later() -> None:
    t = _Thing(size="${params.s * 2}", count="${params.n}")
    assert isinstance(t.size, Ref) and t.size.gt == 0 and t.size.text == "params.s * 2"
    assert t.count.integer and t.count.le == 10
    assert t.size.check(-1.0) == "evaluates to -1, but this field must be > 0"
    assert t.count.check(2.5) == "evaluates to 2.5, but this field takes whole numbers"
    assert t.size.check(math.inf) is not None
    assert t.model_dump()["size"] == "${params.s * 2}"


def test_pick_takes_a_word_or_a_choice_of_words() -> None:
    assert _Thing(mode="slow").mode == Constant("slow")
    picked = _Thing(mode={"choice": {"values": ["fast", "slow"], "weights": [1, 3]}}).mode
    assert picked == Choice(("fast", "slow"), (1.0, 3.0))
    assert _Thing(mode=picked.to_data()).mode == picked
    with pytest.raises(ValidationError, match="did you mean 'slow'"):
        _Thing(mode="slwo")
    with pytest.raises(ValidationError, match="must be one of 'fast', 'slow'"):
        _Thing(mode={"choice": ["fast", "medium"]})
    draws = [Sampler(0, i).draw(picked, "mode") for i in range(400)]
    assert set(draws) == {"fast", "slow"}
    assert 0.65 < draws.count("slow") / len(draws) < 0.85
    assert Sampler(0, 7).draw(picked, "mode") == Sampler(0, 7).draw(picked, "mode")


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def distributions(draw: st.DrawFn) -> object:
    kind = draw(st.sampled_from(["constant", "uniform", "loguniform", "normal", "choice", "integer"]))
    if kind == "constant":
        return Constant(draw(finite))
    if kind == "uniform":
        a, b = sorted((draw(finite), draw(finite)))
        return Uniform(a, b)
    if kind == "loguniform":
        a, b = sorted((draw(st.floats(1e-6, 1e6)), draw(st.floats(1e-6, 1e6))))
        return LogUniform(a, b)
    if kind == "normal":
        lo, hi = sorted((draw(finite), draw(finite)))
        return Normal(draw(finite), draw(st.floats(0, 1e3)), lo, hi)
    if kind == "choice":
        values = tuple(draw(st.lists(finite, min_size=1, max_size=5)))
        weights = draw(st.none() | st.lists(st.floats(0.1, 10), min_size=len(values), max_size=len(values)))
        return Choice(values, None if weights is None else tuple(weights))
    a, b = sorted((draw(st.integers(-1000, 1000)), draw(st.integers(-1000, 1000))))
    return IntRange(a, b)


@given(distributions(), st.integers(0, 2**32))
def test_every_distribution_round_trips_and_samples_inside_its_support(dist: object, seed: int) -> None:
    assert parse_distribution(dist.to_data()) == dist
    lo, hi = dist.support()
    x = dist.sample(np.random.default_rng(seed))
    assert lo - 1e-9 * max(1.0, abs(lo)) <= x <= hi + 1e-9 * max(1.0, abs(hi))


@given(
    st.lists(st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), st.integers(0, 99)), min_size=1)
)
def test_key_paths_round_trip(parts: list[str | int]) -> None:
    if isinstance(parts[0], int):
        parts = ["root", *parts]
    assert parse_key_path(format_ref(parts)) == tuple(parts)


def test_regression_zero_std_normal_support_is_clipped_like_its_samples() -> None:
    n = Normal(1.0, 0.0, 0.0, 0.0)
    assert n.support() == (0.0, 0.0)
    assert n.sample(np.random.default_rng(0)) == 0.0
