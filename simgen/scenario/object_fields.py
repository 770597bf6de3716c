"""The fields every scenario object has, and the small types object kinds declare theirs with.

Object kinds (:mod:`simgen.kinds`) subclass :class:`ObjectBase` with their own fields; this
module imports no kind, so kinds and :mod:`simgen.scenario.models` can both build on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simgen.scenario.distributions import Num
from simgen.scenario.world_models import Behavior, Placement

MAX_OBJECTS = 1000

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
ClassName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/\\][^/\\]*$")]
Unit = Num(ge=0, le=1)
Any3 = tuple[Num(), Num(), Num()]
Positive3 = tuple[Num(gt=0), Num(gt=0), Num(gt=0)]
Color = tuple[Unit, Unit, Unit, Unit] | tuple[Unit, Unit, Unit]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Model(BaseModel):
    """Base for every scenario model: frozen, unknown keys rejected, numbers finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )


class ObjectBase(Model):
    """Fields every object kind shares."""

    if TYPE_CHECKING:
        type: str  # each kind's model declares its own Literal tag (the union's discriminator)

    name: Name = Field(description="unique name; instances are called name_0, name_1, ...")
    class_: ClassName | None = Field(
        None, alias="class", description="label class written to annotations (not needed with instance_ids: none)"
    )
    count: Num(ge=0, le=MAX_OBJECTS, integer=True) = Field(1, description="how many instances")
    position: Any3 = Field((0.0, 0.0, 0.0), description="metres, world frame; each instance draws its own")
    rpy: Any3 = Field((0.0, 0.0, 0.0), description="roll, pitch, yaw in degrees (extrinsic XYZ)")
    mass: Num(ge=0) = Field(1.0, description="kg; 0 makes the object static")
    color: Color | None = Field(None, description="RGBA in 0..1; meshes and URDFs keep their own if omitted")
    friction: Num(ge=0) = 0.6
    restitution: Num(ge=0, le=1) = 0.0
    linear_damping: Num(ge=0) = Field(0.0, description="pybullet's default 0.04 would bend free fall")
    angular_damping: Num(ge=0) = 0.04
    behavior: Behavior | None = Field(None, description="how the actor moves (default: physics)")
    placement: Placement | None = Field(None, description="sample the position in a region instead")
    joints: dict[Name, Num()] = Field(default_factory=dict, max_length=256, description="joint -> initial position")
    metadata: dict[Name, str | bool | int | float] = Field(default_factory=dict, max_length=64)
    instance_ids: Literal["unique", "shared", "none"] = Field(
        "unique", description="label ids: one per instance, one for all instances, or unlabeled (background)"
    )
    spawn: bool = Field(True, description="false: created later by a 'spawn' event")
    reflectivity: Num(ge=0, le=1) | None = Field(
        None, description="LiDAR/radar surface reflectivity in 0..1 (default: mean RGB of color, else 0.8)"
    )

    @model_validator(mode="after")
    def _labelled_needs_class(self) -> ObjectBase:
        if self.class_ is None and self.instance_ids != "none":
            raise ValueError("'class' is required for a labelled object (only instance_ids: none props go without)")
        return self
