"""Distributions are values: small frozen objects that print, compare and sample.

A numeric scenario field accepts a plain number or one of these YAML forms::

    mass: 1.5                                  # Constant
    mass: {uniform: [0.5, 2.0]}                # Uniform on [low, high)
    mass: {normal: {mean: 1, std: 0.1, min: 0.5, max: 2}}   # Normal, clipped when min/max given
    mass: {choice: [0.5, 1, 2]}                # Choice, equal weights
    mass: {choice: {values: [0.5, 1], weights: [3, 1]}}
    count: {integer: [3, 12]}                  # integers low..high inclusive

``Num(...)`` builds a pydantic field type that parses these with clear messages and checks that
every value the distribution can produce respects the field's bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema


@dataclass(frozen=True)
class Constant:
    """Always ``value``."""

    value: float

    def sample(self, rng: np.random.Generator) -> float:
        """Return the constant (consumes no randomness)."""
        return self.value

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        return (self.value, self.value)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        return self.value


@dataclass(frozen=True)
class Uniform:
    """Uniform on ``[low, high)``."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(rng.uniform(self.low, self.high))

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        return (self.low, self.high)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        return {"uniform": [self.low, self.high]}


@dataclass(frozen=True)
class Normal:
    """Normal(mean, std), clipped to ``[min, max]`` when given."""

    mean: float
    std: float
    min: float | None = None
    max: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        v = float(rng.normal(self.mean, self.std))
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        return float(min(max(v, lo), hi))

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        if self.std == 0:
            return (self.mean, self.mean)
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        return (lo, hi)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        d: dict[str, float] = {"mean": self.mean, "std": self.std}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        return {"normal": d}


@dataclass(frozen=True)
class Choice:
    """One of ``values``, with optional relative ``weights``."""

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        if self.weights is None:
            return self.values[int(rng.integers(len(self.values)))]
        w = np.asarray(self.weights, dtype=float)
        return self.values[int(rng.choice(len(self.values), p=w / w.sum()))]

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        return (min(self.values), max(self.values))

    def to_data(self) -> Any:
        """YAML/JSON form."""
        if self.weights is None:
            return {"choice": list(self.values)}
        return {"choice": {"values": list(self.values), "weights": list(self.weights)}}


@dataclass(frozen=True)
class IntRange:
    """Integers ``low..high`` inclusive, equally likely."""

    low: int
    high: int

    def sample(self, rng: np.random.Generator) -> int:
        """Draw one value."""
        return int(rng.integers(self.low, self.high + 1))

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        return (self.low, self.high)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        return {"integer": [self.low, self.high]}


Distribution = Constant | Uniform | Normal | Choice | IntRange
FORMS = ("uniform", "normal", "choice", "integer")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return v


def _pair(value: Any, form: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"'{form}' takes a list [low, high], got {value!r}")
    lo, hi = _number(value[0], f"{form} low"), _number(value[1], f"{form} high")
    if lo > hi:
        raise ValueError(f"{form} low {lo:g} is greater than high {hi:g}")
    return lo, hi


def parse_distribution(value: Any) -> Distribution:
    """Parse a number or a one-key distribution mapping; raise ValueError with a clear message."""
    if isinstance(value, Constant | Uniform | Normal | Choice | IntRange):
        return value
    if not isinstance(value, dict):
        return Constant(_number(value, "value"))
    if len(value) != 1:
        raise ValueError(
            f"a distribution is a mapping with exactly one of {', '.join(FORMS)}; got keys {sorted(value)}"
        )
    ((form, arg),) = value.items()
    if form == "uniform":
        return Uniform(*_pair(arg, form))
    if form == "integer":
        lo, hi = _pair(arg, form)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"integer bounds must be whole numbers, got {arg!r}")
        return IntRange(int(lo), int(hi))
    if form == "normal":
        if not isinstance(arg, dict):
            raise ValueError(f"'normal' takes {{mean, std, min?, max?}}, got {arg!r}")
        unknown = set(arg) - {"mean", "std", "min", "max"}
        if unknown:
            raise ValueError(f"'normal' has unknown keys {sorted(unknown)}; allowed: mean, std, min, max")
        if "mean" not in arg or "std" not in arg:
            raise ValueError("'normal' needs both 'mean' and 'std'")
        mean, std = _number(arg["mean"], "normal mean"), _number(arg["std"], "normal std")
        if std < 0:
            raise ValueError(f"normal std must be >= 0, got {std:g}")
        lo = _number(arg["min"], "normal min") if "min" in arg else None
        hi = _number(arg["max"], "normal max") if "max" in arg else None
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"normal min {lo:g} is greater than max {hi:g}")
        return Normal(mean, std, lo, hi)
    if form == "choice":
        weights = None
        if isinstance(arg, dict):
            unknown = set(arg) - {"values", "weights"}
            if unknown or "values" not in arg:
                raise ValueError("'choice' takes a list, or {values: [...], weights: [...]}")
            values, weights = arg["values"], arg.get("weights")
        else:
            values = arg
        if not isinstance(values, list) or not values:
            raise ValueError(f"'choice' needs a non-empty list of values, got {values!r}")
        vals = tuple(_number(v, "choice value") for v in values)
        if weights is not None:
            if not isinstance(weights, list) or len(weights) != len(vals):
                raise ValueError(f"'choice' weights must be a list of {len(vals)} numbers")
            w = tuple(_number(x, "choice weight") for x in weights)
            if any(x < 0 for x in w) or sum(w) <= 0:
                raise ValueError("'choice' weights must be >= 0 and not all zero")
            weights = w
        return Choice(vals, weights)
    from simgen.errors import did_you_mean

    hint = did_you_mean(str(form), FORMS)
    raise ValueError(
        f"unknown distribution '{form}'; expected one of {', '.join(FORMS)}" + (f" ({hint})" if hint else "")
    )


def _checked(ge: float | None, gt: float | None, le: float | None, integer: bool) -> Any:
    def validate(value: Any) -> Distribution:
        dist = parse_distribution(value)
        lo, hi = dist.support()
        if integer:
            if isinstance(dist, Uniform | Normal):
                raise ValueError("this field takes whole numbers: use a number or {integer: [lo, hi]}")
            vals = dist.values if isinstance(dist, Choice) else (lo, hi)
            if any(float(v) != int(v) for v in vals):
                raise ValueError(f"must be a whole number, got {value!r}")
        if gt is not None and lo <= gt:
            raise ValueError(_bound_msg(dist, f"> {gt:g}", lo))
        if ge is not None and lo < ge:
            raise ValueError(_bound_msg(dist, f">= {ge:g}", lo))
        if le is not None and hi > le:
            raise ValueError(_bound_msg(dist, f"<= {le:g}", hi))
        if integer and isinstance(dist, Constant):
            return IntRange(int(dist.value), int(dist.value))
        return dist

    return validate


def _bound_msg(dist: Distribution, bound: str, worst: float) -> str:
    if isinstance(dist, Constant):
        return f"must be {bound}, got {worst:g}"
    if isinstance(dist, Normal) and math.isinf(worst):
        return f"must be {bound}, but this normal distribution is unbounded; add min/max to clip it"
    return f"must be {bound}, but this distribution can produce {worst:g}"


_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        {
            "type": "object",
            "properties": {"uniform": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
            "required": ["uniform"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "normal": {
                    "type": "object",
                    "properties": {k: {"type": "number"} for k in ("mean", "std", "min", "max")},
                    "required": ["mean", "std"],
                    "additionalProperties": False,
                }
            },
            "required": ["normal"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "choice": {
                    "anyOf": [
                        {"type": "array", "items": {"type": "number"}, "minItems": 1},
                        {
                            "type": "object",
                            "properties": {
                                "values": {"type": "array", "items": {"type": "number"}, "minItems": 1},
                                "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
                            },
                            "required": ["values"],
                            "additionalProperties": False,
                        },
                    ]
                }
            },
            "required": ["choice"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"integer": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}},
            "required": ["integer"],
            "additionalProperties": False,
        },
    ],
    "description": "A number, or a distribution: {uniform: [lo, hi]}, {normal: {mean, std, min?, max?}}, "
    "{choice: [...]}, {integer: [lo, hi]}",
}


def Num(  # noqa: N802 - reads like a type in model definitions
    *, ge: float | None = None, gt: float | None = None, le: float | None = None, integer: bool = False
) -> Any:
    """A pydantic field type: a number or distribution whose every possible value is in bounds."""
    schema = dict(_SCHEMA)
    return Annotated[
        Distribution,
        PlainValidator(_checked(ge, gt, le, integer)),
        PlainSerializer(lambda d: d.to_data(), return_type=Any),
        WithJsonSchema(schema),
    ]
