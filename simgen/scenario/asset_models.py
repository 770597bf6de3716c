"""Object models of the procedural asset types: one pydantic model per registered generator.

Each generator's parameters (:class:`simgen.assets.registry.Param`) become fields of its object
type, next to the fields every object has (name, class, count, position, behaviour...), so
unknown parameters and out-of-range values are located errors like any other field, and
``simgen schema`` describes them. Built from the registry at import; no trimesh, no pybullet.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from simgen.assets.registry import AssetType, Param
from simgen.scenario.distributions import Num, Pick

MAX_ASSET_SEED = 2**31 - 1


def _field(param: Param) -> tuple[Any, Any]:
    if param.kind == "word":
        return Pick(*param.choices), Field(param.default, description=param.doc)
    if param.kind == "bool":
        return bool, Field(param.default, description=param.doc)
    if param.kind == "color":
        unit = Num(ge=0, le=1)
        return tuple[unit, unit, unit] | None, Field(param.default, description=param.doc)
    typ = Num(ge=param.ge, le=param.le, integer=param.kind == "int")
    return typ, Field(param.default, description=param.doc)


def asset_object_model(gen: AssetType, base: type) -> type:
    """The object model of asset type ``gen`` (fields: ``base``'s plus the generator's parameters)."""
    fields: dict[str, Any] = {name: _field(p) for name, p in gen.params.items()}
    fields["type"] = (Literal[gen.name], Field(description=gen.doc))
    fields["seed"] = (
        int | None,
        Field(
            None,
            ge=0,
            le=MAX_ASSET_SEED,
            description="factory seed: instance k's looks come from (seed, k); default: drawn per episode",
        ),
    )
    name = "".join(w.capitalize() for w in gen.name.split("_")) + "Asset"
    model: type = create_model(
        name, __base__=base, __doc__=f"{gen.doc} (procedural asset, class '{gen.class_name}')", **fields
    )
    # A module attribute, so scenarios pickle to worker processes like the hand-written models.
    model.__module__ = __name__
    model.__qualname__ = name
    globals()[name] = model
    return model


def __getattr__(name: str) -> Any:
    """Models are built when :mod:`simgen.scenario.models` loads the kinds; unpickling may ask first."""
    import simgen.scenario.models  # noqa: F401 - builds and registers every asset model

    if name in globals():
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
