"""Models of the language's composition blocks: ``params``, ``variants``, ``sweep``, ``extends``.

They sit at the top level of a scenario file next to the world description. ``extends`` is
resolved before validation (:mod:`simgen.scenario.compose`); variant overlays and sweep values
stay raw data here and are validated as whole scenarios when the loader checks them and when an
episode picks them (:func:`simgen.scenario.loader.effective_scenario`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from simgen.scenario.distributions import Num
from simgen.scenario.references import parse_key_path

MAX_PARAMS = 256
MAX_VARIANTS = 64
MAX_SWEEP_AXES = 8
MAX_SWEEP_VALUES = 100
MAX_SWEEP_CELLS = 1000

VariantName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
ParamName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Param = Num()
MAX_CONDITIONS = 64
Condition = Annotated[
    str,
    Field(
        min_length=1,
        max_length=400,
        description="a condition every episode must satisfy, e.g. 'visible_fraction(child, dashcam) <= 0.4 and "
        "distance(ego, child) > 10'; see docs/scenario-language.md",
    ),
]
Requirements = Annotated[list[Condition], Field(max_length=MAX_CONDITIONS)]
KEY_PATH_DESCRIPTION = "key path into the scenario: world.ground.friction, objects.part.class, objects[0].mass"


COMPOSITION_KEYS = ("extends", "variants", "sweep")


def _check_paths(keys: Any) -> Any:
    for key in keys:
        if parse_key_path(key)[0] in COMPOSITION_KEYS:
            raise ValueError(f"'{key}': variants and sweeps change the world, not extends/variants/sweep")
    return keys


class Variant(BaseModel):
    """One alternative version of the scenario, chosen per episode with probability weight / total."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: VariantName = Field(description="recorded per episode in the manifest (episodes[].variant)")
    weight: float = Field(1.0, ge=0, allow_inf_nan=False, description="relative weight (1 vs 99 = 1 %)")
    overlay: dict[str, Any] = Field(
        default_factory=dict, description="deep-merged onto the scenario: mappings merge, lists replace, null deletes"
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="key path -> value, applied after overlay; " + KEY_PATH_DESCRIPTION
    )
    require: Requirements = Field(
        default_factory=list, description="conditions this variant's episodes satisfy, besides the top-level ones"
    )

    @field_validator("set")
    @classmethod
    def _paths(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_paths(value)

    @field_validator("overlay")
    @classmethod
    def _plain(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_paths(value)


def _grid(value: dict[str, list[Any]]) -> dict[str, list[Any]]:
    _check_paths(value)
    cells = sweep_cells(value)
    if cells > MAX_SWEEP_CELLS:
        raise ValueError(f"the sweep has {cells} cells, more than the limit of {MAX_SWEEP_CELLS}")
    return value


Sweep = Annotated[
    dict[str, Annotated[list[Any], Field(min_length=1, max_length=MAX_SWEEP_VALUES)]],
    Field(min_length=1, max_length=MAX_SWEEP_AXES, description="key path -> list of values; " + KEY_PATH_DESCRIPTION),
    AfterValidator(_grid),
]
"""A grid study: every combination of the listed values is one cell (an episode group).

Episode ``i`` belongs to cell ``i mod cells`` (cells in row-major order of the axes as written,
the last axis varying fastest), so with ``episodes`` a multiple of the number of cells every cell
gets ``episodes / cells`` episodes, spread over all splits.
"""


def sweep_cells(axes: dict[str, list[Any]] | None) -> int:
    """Number of cells in the grid (1 without a sweep)."""
    return math.prod(len(v) for v in axes.values()) if axes else 1


def sweep_cell(axes: dict[str, list[Any]], k: int) -> tuple[tuple[int, ...], dict[str, Any]]:
    """(per-axis value index, key path -> value) of cell ``k``."""
    idx: list[int] = []
    for values in reversed(list(axes.values())):
        k, r = divmod(k, len(values))
        idx.append(r)
    idx.reverse()
    return tuple(idx), {key: values[i] for (key, values), i in zip(axes.items(), idx, strict=True)}
