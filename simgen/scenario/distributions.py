"""Distributions are values: small frozen objects that print, compare and sample.

A numeric scenario field accepts a plain number or one of these YAML forms::

    mass: 1.5                                  # Constant
    mass: {uniform: [0.5, 2.0]}                # Uniform on [low, high)
    mass: {normal: {mean: 1, std: 0.1, min: 0.5, max: 2}}   # Normal, clipped when min/max given
    mass: {choice: [0.5, 1, 2]}                # Choice, equal weights
    mass: {choice: {values: [0.5, 1], weights: [3, 1]}}
    count: {integer: [3, 12]}                  # integers low..high inclusive
    scale: {loguniform: [0.1, 10]}             # LogUniform: log(value) uniform, low > 0
    speed: ${params.speed * 1.5}               # Ref: computed from other sampled values

``Num(...)`` builds a pydantic field type that parses these with clear messages and checks that
every value the distribution can produce respects the field's bounds (references are checked
when they are resolved, see :mod:`simgen.scenario.references`). ``Pick(...)`` does the same for
fields that take one of a few words: a word, or ``{choice: [...]}`` over allowed words.

Distributions are values: they print, compare, and shift by a constant
(``Constant(2) + Uniform(-0.1, 0.1) == Uniform(1.9, 2.1)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from simgen.scenario.references import Expression, parse_reference


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

    def shifted(self, offset: float) -> Constant:
        """The same distribution moved by ``offset``."""
        return Constant(self.value + offset)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, int | float) and not isinstance(other, bool):
            return self.shifted(other)
        if isinstance(other, _SHIFTABLE):
            return other.shifted(self.value)
        return NotImplemented

    __radd__ = __add__


class _Shift:
    """``distribution + number`` (either order) moves the distribution; see ``shifted``."""

    def __add__(self, other: Any) -> Any:
        if isinstance(other, int | float) and not isinstance(other, bool):
            return self.shifted(other)  # type: ignore[attr-defined]
        if isinstance(other, Constant):
            return self.shifted(other.value)  # type: ignore[attr-defined]
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, int | float) and not isinstance(other, bool):
            return self.shifted(-other)  # type: ignore[attr-defined]
        return NotImplemented


@dataclass(frozen=True)
class Uniform(_Shift):
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

    def shifted(self, offset: float) -> Uniform:
        """The same distribution moved by ``offset``."""
        return Uniform(self.low + offset, self.high + offset)


@dataclass(frozen=True)
class LogUniform:
    """``exp(Uniform(log low, log high))``: every decade between low and high equally likely; low > 0."""

    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def support(self) -> tuple[float, float]:
        """Smallest and largest value this can produce."""
        return (self.low, self.high)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        return {"loguniform": [self.low, self.high]}


@dataclass(frozen=True)
class Normal(_Shift):
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
        lo = -math.inf if self.min is None else self.min
        hi = math.inf if self.max is None else self.max
        if self.std == 0:
            v = min(max(self.mean, lo), hi)  # sample() clips even a constant
            return (v, v)
        return (lo, hi)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        d: dict[str, float] = {"mean": self.mean, "std": self.std}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        return {"normal": d}

    def shifted(self, offset: float) -> Normal:
        """The same distribution moved by ``offset`` (clip bounds move with it)."""
        return Normal(
            self.mean + offset,
            self.std,
            None if self.min is None else self.min + offset,
            None if self.max is None else self.max + offset,
        )


@dataclass(frozen=True)
class Choice(_Shift):
    """One of ``values`` (numbers, or words for ``Pick`` fields), with optional relative ``weights``."""

    values: tuple[Any, ...]
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

    def shifted(self, offset: float) -> Choice:
        """The same distribution moved by ``offset``."""
        return Choice(tuple(v + offset for v in self.values), self.weights)


@dataclass(frozen=True)
class IntRange(_Shift):
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

    def shifted(self, offset: float) -> IntRange | Uniform:
        """Moved by ``offset``; stays integer when ``offset`` is whole."""
        if float(offset) == int(offset):
            return IntRange(self.low + int(offset), self.high + int(offset))
        raise TypeError("an integer range can only be shifted by a whole number")


@dataclass(frozen=True)
class Ref:
    """A value computed from other sampled values: ``${params.speed * 2}``.

    ``expression`` holds the parsed text; the bounds are those of the field it sits in and are
    checked when the :class:`~simgen.scenario.sampling.Sampler` resolves it (the referenced values
    are only known then).
    """

    expression: Expression
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    integer: bool = False

    @property
    def text(self) -> str:
        """The expression as written, without ``${`` ``}``."""
        return self.expression.text

    def sample(self, rng: np.random.Generator) -> float:
        """References have no distribution of their own; the Sampler resolves them."""
        raise TypeError("a reference is resolved by the Sampler, not sampled directly")

    def support(self) -> tuple[float, float]:
        """Unknown until resolved."""
        return (-math.inf, math.inf)

    def to_data(self) -> Any:
        """YAML/JSON form."""
        return "${" + self.text + "}"

    def check(self, value: float) -> str | None:
        """Why ``value`` is not allowed in this field, or None."""
        if not math.isfinite(value):
            return f"evaluates to {value}, which is not a finite number"
        if self.integer and float(value) != int(value):
            return f"evaluates to {value:g}, but this field takes whole numbers"
        if self.gt is not None and value <= self.gt:
            return f"evaluates to {value:g}, but this field must be > {self.gt:g}"
        if self.ge is not None and value < self.ge:
            return f"evaluates to {value:g}, but this field must be >= {self.ge:g}"
        if self.le is not None and value > self.le:
            return f"evaluates to {value:g}, but this field must be <= {self.le:g}"
        return None


Distribution = Constant | Uniform | LogUniform | Normal | Choice | IntRange | Ref
FORMS = ("uniform", "loguniform", "normal", "choice", "integer")
_SHIFTABLE = (Uniform, Normal, Choice, IntRange)


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return v


def choice_weights(weights: Any, n: int) -> tuple[float, ...]:
    """``weights`` of a ``choice`` over ``n`` values, checked: n numbers >= 0, not all zero."""
    if not isinstance(weights, list) or len(weights) != n:
        raise ValueError(f"'choice' weights must be a list of {n} numbers")
    w = tuple(_number(x, "choice weight") for x in weights)
    if any(x < 0 for x in w) or sum(w) <= 0:
        raise ValueError("'choice' weights must be >= 0 and not all zero")
    return w


def _pair(value: Any, form: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"'{form}' takes a list [low, high], got {value!r}")
    lo, hi = _number(value[0], f"{form} low"), _number(value[1], f"{form} high")
    if lo > hi:
        raise ValueError(f"{form} low {lo:g} is greater than high {hi:g}")
    return lo, hi


def parse_distribution(value: Any) -> Distribution:
    """Parse a number, a ``${...}`` reference or a one-key distribution mapping.

    Raises ValueError with a message meant for the scenario's author.
    """
    if isinstance(value, Constant | Uniform | LogUniform | Normal | Choice | IntRange | Ref):
        return value
    if isinstance(value, str) and value.strip().startswith("${"):
        return Ref(parse_reference(value))
    if isinstance(value, str):
        raise ValueError(f"must be a number, a distribution or a ${{...}} reference, got the text {value!r}")
    if not isinstance(value, dict):
        return Constant(_number(value, "value"))
    if len(value) != 1:
        raise ValueError(
            f"a distribution is a mapping with exactly one of {', '.join(FORMS)}; got keys {sorted(value)}"
        )
    ((form, arg),) = value.items()
    if form == "uniform":
        return Uniform(*_pair(arg, form))
    if form == "loguniform":
        lo, hi = _pair(arg, form)
        if lo <= 0:
            raise ValueError(f"loguniform low must be > 0, got {lo:g}")
        return LogUniform(lo, hi)
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
        low = _number(arg["min"], "normal min") if "min" in arg else None
        high = _number(arg["max"], "normal max") if "max" in arg else None
        if low is not None and high is not None and low > high:
            raise ValueError(f"normal min {low:g} is greater than max {high:g}")
        return Normal(mean, std, low, high)
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
            weights = choice_weights(weights, len(vals))
        return Choice(vals, weights)
    from simgen.errors import did_you_mean

    hint = did_you_mean(str(form), FORMS)
    raise ValueError(
        f"unknown distribution '{form}'; expected one of {', '.join(FORMS)}" + (f" ({hint})" if hint else "")
    )


def _checked(ge: float | None, gt: float | None, le: float | None, integer: bool) -> Any:
    def validate(value: Any) -> Distribution:
        dist = parse_distribution(value)
        if isinstance(dist, Ref):
            return Ref(dist.expression, ge=ge, gt=gt, le=le, integer=integer)
        lo, hi = dist.support()
        if integer:
            if isinstance(dist, Uniform | LogUniform | Normal):
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


def _pair_schema(item: str, minimum: float | None = None) -> dict[str, Any]:
    items: dict[str, Any] = {"type": item}
    if minimum is not None:
        items["exclusiveMinimum"] = minimum
    return {"type": "array", "items": items, "minItems": 2, "maxItems": 2}


def _one_key(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {key: value}, "required": [key], "additionalProperties": False}


def _choice_schema(item: dict[str, Any]) -> dict[str, Any]:
    return _one_key(
        "choice",
        {
            "anyOf": [
                {"type": "array", "items": item, "minItems": 1},
                {
                    "type": "object",
                    "properties": {
                        "values": {"type": "array", "items": item, "minItems": 1},
                        "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
                    },
                    "required": ["values"],
                    "additionalProperties": False,
                },
            ]
        },
    )


REFERENCE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*\$\{.*\}\s*$",
    "description": "a reference to other sampled values, e.g. ${params.speed} or ${objects.van.position[0] + 2}",
}

_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        REFERENCE_SCHEMA,
        _one_key("uniform", _pair_schema("number")),
        _one_key("loguniform", _pair_schema("number", 0)),
        _one_key(
            "normal",
            {
                "type": "object",
                "properties": {k: {"type": "number"} for k in ("mean", "std", "min", "max")},
                "required": ["mean", "std"],
                "additionalProperties": False,
            },
        ),
        _choice_schema({"type": "number"}),
        _one_key("integer", _pair_schema("integer")),
    ],
    "description": "A number, a ${...} reference, or a distribution: {uniform: [lo, hi]}, "
    "{loguniform: [lo, hi]}, {normal: {mean, std, min?, max?}}, {choice: [...]}, {integer: [lo, hi]}",
}


def _to_data(value: Any) -> Any:
    """YAML/JSON form of a field value (defaults that were never validated pass through)."""
    return value.to_data() if hasattr(value, "to_data") else value


def Num(  # noqa: N802 - reads like a type in model definitions
    *, ge: float | None = None, gt: float | None = None, le: float | None = None, integer: bool = False
) -> Any:
    """A pydantic field type: a number, reference or distribution whose every value is in bounds."""
    schema = dict(_SCHEMA)
    return Annotated[
        Distribution,
        PlainValidator(_checked(ge, gt, le, integer)),
        PlainSerializer(_to_data, return_type=Any),
        WithJsonSchema(schema),
    ]


def _picked(words: tuple[str, ...]) -> Any:
    from simgen.errors import did_you_mean

    def one(value: Any) -> str:
        if not isinstance(value, str) or value not in words:
            hint = did_you_mean(value, words) if isinstance(value, str) else None
            raise ValueError(
                f"must be one of {', '.join(repr(w) for w in words)}, got {value!r}" + (f" ({hint})" if hint else "")
            )
        return value

    def validate(value: Any) -> Constant | Choice:
        if isinstance(value, Constant | Choice):
            value = value.to_data()
        if isinstance(value, dict):
            if set(value) != {"choice"}:
                raise ValueError(f"takes one of {', '.join(words)}, or {{choice: [...]}} over them")
            arg = value["choice"]
            weights = None
            if isinstance(arg, dict):
                if set(arg) - {"values", "weights"} or "values" not in arg:
                    raise ValueError("'choice' takes a list, or {values: [...], weights: [...]}")
                arg, weights = arg["values"], arg.get("weights")
            if not isinstance(arg, list) or not arg:
                raise ValueError(f"'choice' needs a non-empty list of values, got {arg!r}")
            vals = tuple(one(v) for v in arg)
            if weights is not None:
                return Choice(vals, choice_weights(weights, len(vals)))
            return Choice(vals)
        return Constant(one(value))  # type: ignore[arg-type]

    return validate


def Pick(*words: str) -> Any:  # noqa: N802 - reads like a type in model definitions
    """A pydantic field type for one of a few words, fixed or drawn: ``'a'`` or ``{choice: [a, b]}``.

    The field holds a :class:`Constant` or :class:`Choice` over words; resolve it per episode with
    ``Sampler.draw`` like any number.
    """
    item = {"enum": list(words)}
    schema = {"anyOf": [item, _choice_schema(item)], "description": f"one of {', '.join(words)}, or a choice of them"}
    return Annotated[
        Constant | Choice,
        PlainValidator(_picked(tuple(words))),
        PlainSerializer(_to_data, return_type=Any),
        WithJsonSchema(schema),
    ]
