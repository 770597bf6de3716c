"""Typed, frozen scenario models: what a scenario file may say, with distributions unresolved.

Unknown keys are errors (``extra='forbid'``): a typo must never be silently ignored. The same
models produce the JSON Schema printed by ``simgen schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, Union

from pydantic import Discriminator, Field, PrivateAttr, Tag

from simgen.assets.registry import ASSETS
from simgen.kinds.registry import load_kinds
from simgen.scenario import language
from simgen.scenario.distributions import Distribution, Num
from simgen.scenario.drawn_type import DRAWN_TAG, DrawnTypeObject, each_type
from simgen.scenario.layouts import SceneLayout
from simgen.scenario.object_fields import (
    MAX_OBJECTS,
    ClassName,
    Color,
    Finite,
    Model,
    Name,
    ObjectBase,
)
from simgen.scenario.randomize_models import MAX_ENTRIES, EffectModel, RandomizerModel
from simgen.scenario.sensor_models import MAX_SENSORS, SensorBase
from simgen.scenario.world_models import Checker, Event, Haze, Heightfield, Light
from simgen.sensors.camera.model import Camera
from simgen.sensors.registry import entry_types, on_change

MAX_CAMERAS = 16


class Ground(Model):
    """The ground the scene stands on."""

    type: Literal["plane", "checker", "heightfield", "none"] = Field(
        "plane", description="'plane'/'checker': infinite plane at z=0; 'heightfield': terrain"
    )
    checker: Checker = Field(default_factory=Checker, description="texture of type: checker")
    heightfield: Heightfield = Field(default_factory=Heightfield, description="terrain of type: heightfield")
    color: Color = Field((0.55, 0.55, 0.55, 1.0), description="RGBA in 0..1")
    friction: Num(ge=0) = Field(0.8, description="lateral friction coefficient")


class World(Model):
    """Physics settings and frame timing."""

    gravity: tuple[Finite, Finite, Finite] = Field((0.0, 0.0, -9.81), description="m/s^2, world frame (z up)")
    time_step: float = Field(1 / 240, gt=0, le=0.1, description="physics step in seconds")
    solver_iterations: int = Field(50, ge=1, le=1000)
    settle_time: float = Field(
        1.0, ge=0, le=600, description="seconds simulated before the first frame so objects come to rest"
    )
    frame_rate: float = Field(
        10.0, gt=0, le=10000, description="frames per second of simulated time (physics steps between frames)"
    )
    ground: Ground = Field(default_factory=Ground)
    time_of_day: Num(ge=0, le=24) | None = Field(None, description="hours; drives sun direction, intensity, sky")
    light: Light = Field(default_factory=Light)
    sky: Color | None = Field(None, description="background colour (default: from time_of_day, else the renderer's)")
    haze: Haze | None = Field(None, description="depth-based fog blended into camera images")


# Every object kind (simgen/kinds: primitives, files, actors, procedural assets), in schema order.
_KINDS = load_kinds()
ASSET_MODELS = {name: kind.model for name, kind in _KINDS.items() if name in ASSETS}


def _object_tag(value: Any) -> str | None:
    """The union member of an object entry: its ``type`` word, or the drawn-type entry for a choice."""
    tag = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if tag is None:
        return None
    return DRAWN_TAG if isinstance(tag, dict | Distribution) else str(tag)


# Statically, an object entry is its common base; at run time, the union its ``type`` picks from.
ObjectSpec: TypeAlias = ObjectBase
if not TYPE_CHECKING:
    _MEMBERS = [Annotated[kind.model, Tag(name)] for name, kind in _KINDS.items()]
    ObjectSpec = Annotated[
        Union[tuple([*_MEMBERS, Annotated[DrawnTypeObject, Tag(DRAWN_TAG)]])],  # noqa: UP007 - a runtime-built member list
        Discriminator(_object_tag),
    ]
OBJECT_TYPES = tuple(_KINDS)


def _sensor_union() -> object:
    """The ``sensors:`` entry: the union of every registered sensor type's model, picked by ``type``."""
    models = tuple(t.model for t in entry_types().values())
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007 - a runtime-built member list


# Statically, a sensor entry is its common base; at run time, the union of the registered types.
SensorModel: TypeAlias = SensorBase
if not TYPE_CHECKING:
    SensorModel = _sensor_union()


class Labels(Model):
    """Which objects get annotations, and which ground truth passes run."""

    min_visible_pixels: int = Field(16, ge=1, description="objects with fewer visible pixels are not labeled")
    min_visibility: float = Field(
        0.0, ge=0, le=1, allow_inf_nan=False, description="objects with a lower visible/amodal pixel share are dropped"
    )
    ignore_classes: list[ClassName] = Field(default_factory=list, description="classes never labeled")
    ignore_regions: bool = Field(
        False, description="keep filtered-out objects as crowd/ignore regions (COCO iscrowd=1, KITTI DontCare)"
    )
    amodal: bool = Field(
        True, description="render each visible object alone for amodal masks, visibility and occlusion levels"
    )
    ego: Literal["ignore", "exclude", "label"] = Field(
        "ignore",
        description="the body a camera is mounted on, in that camera's frames: ignore (an ignore region: COCO "
        "iscrowd, KITTI DontCare), exclude (nothing) or label (an object like any other)",
    )


class KittiOutput(Model):
    """KITTI exporter options."""

    frame: Literal["camera", "level"] = Field(
        "camera",
        description="label frame: camera (standard: P2 = [K|0], R0_rect = I) or level (gravity-levelled R0_rect)",
    )


class Render(Model):
    """Photoreal renderer settings (``--renderer cycles|eevee|workbench``); raster renderers ignore them."""

    samples: int = Field(32, ge=1, le=4096, description="samples per pixel (Cycles) or TAA samples (EEVEE)")
    denoise: bool = Field(True, description="OpenImageDenoise after Cycles, when Blender was built with it")
    max_bounces: int = Field(4, ge=0, le=64, description="Cycles light bounces")
    resolution_scale: float = Field(
        1.0, gt=0, le=4, allow_inf_nan=False, description="render at this multiple of the camera size, then resample"
    )
    shadows: bool = Field(True, description="cast shadows from the sun")
    exposure: float = Field(0.0, ge=-10, le=10, allow_inf_nan=False, description="exposure in stops")
    view_transform: Literal["AgX", "Filmic", "Standard"] = Field("AgX", description="Blender view transform")
    motion_blur: float = Field(
        0.0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="exposure time in seconds; objects blur along their true velocities (0: off)",
    )


class Output(Model):
    """Dataset layout choices."""

    splits: dict[Name, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: {"train": 1.0},
        description="split name -> share of episodes; whole episodes go to one split (no leakage)",
    )
    kitti: KittiOutput = Field(default_factory=KittiOutput, description="KITTI options (label frame)")

    def format_options(self) -> dict[str, dict[str, object]]:
        """Per-exporter options by format name, as exporters receive them."""
        return {"kitti": self.kitti.model_dump(mode="json")}


class Targets(Model):
    """Target shares the run should reach; simgen sets variant episode quotas to reach them."""

    classes: dict[ClassName, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="class name -> share of all annotations (e.g. defect: 0.2)"
    )
    variants: dict[language.VariantName, Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="variant name -> share of episodes"
    )
    tolerance: float = Field(
        0.05, gt=0, lt=1, description="a share further than this under its target is flagged by simgen stats"
    )


class Scenario(Model):
    """A whole scenario file."""

    version: Literal[1] = 1
    extends: str | None = Field(None, description="base scenario file (relative path) this one deep-merges onto")
    name: Name
    description: str = Field("", max_length=2000)
    seed: int = Field(0, ge=0, lt=2**63, description="master seed; episode seeds derive from it")
    episodes: int = Field(1, ge=1, le=1_000_000)
    frames: int = Field(1, ge=1, le=100_000, description="frames per episode")
    classes: list[ClassName] | None = Field(
        None, description="class list; category ids are positions in it (from 1). Default: order of objects"
    )
    world: World = Field(default_factory=World)
    objects: list[ObjectSpec] = Field(default_factory=list, max_length=MAX_OBJECTS)
    cameras: list[Camera] = Field(min_length=1, max_length=MAX_CAMERAS)
    events: list[Event] = Field(default_factory=list, max_length=1000)
    sensors: list[SensorModel] = Field(
        default_factory=list, max_length=MAX_SENSORS, description=", ".join(entry_types())
    )
    labels: Labels = Field(default_factory=Labels)
    render: Render = Field(default_factory=Render)
    output: Output = Field(default_factory=Output)
    params: dict[language.ParamName, language.Param] = Field(
        default_factory=dict, max_length=language.MAX_PARAMS, description="named random variables: ${params.NAME}"
    )
    variants: list[language.Variant] = Field(default_factory=list, max_length=language.MAX_VARIANTS)
    sweep: language.Sweep | None = None
    targets: Targets | None = Field(
        None, description="target class/variant shares: episodes are given to variants in quotas that reach them"
    )
    randomize: list[RandomizerModel] = Field(
        default_factory=list, max_length=MAX_ENTRIES, description="domain randomizers applied before the world is built"
    )
    effects: list[EffectModel] = Field(
        default_factory=list, max_length=MAX_ENTRIES, description="sensor effects applied to rendered images"
    )
    scene: SceneLayout | None = Field(
        None, description="a layout (urban_street, rural_road, indoor_room, warehouse_aisle) expanded into objects"
    )
    require: language.Requirements = Field(
        default_factory=list,
        description="conditions every episode satisfies: episodes are drawn by rejection (see max_attempts)",
    )
    max_attempts: int = Field(
        100, ge=1, le=100_000, description="sampling attempts per episode before an unmet 'require' is an error"
    )

    _language: dict = PrivateAttr(default_factory=dict)  # loader/sampler state: marks, variant cache
    _source: str | None = PrivateAttr(None)
    _sha256: str | None = PrivateAttr(None)
    _base_dir: Path | None = PrivateAttr(None)

    @property
    def source(self) -> str | None:
        """Path of the file this scenario was loaded from, if any."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Folder that relative asset paths resolve against (the scenario file's folder)."""
        return self._base_dir or Path.cwd()

    @property
    def sha256(self) -> str | None:
        """sha256 of the file's bytes, recorded in the manifest."""
        return self._sha256

    @property
    def extends_files(self) -> list[dict[str, str]]:
        """Every file merged in through ``extends:`` (nearest base first), with the sha256 of its bytes."""
        located = self._language.get("located")
        return [{"path": p, "sha256": h} for p, h in getattr(located, "bases", ())]

    @property
    def class_names(self) -> list[str]:
        """Classes in category-id order (id = index + 1), stable whatever appears in frames."""
        if self.classes is not None:
            return list(self.classes)
        seen: list[str] = []
        for entry in self.objects:
            for obj in each_type(entry):  # a drawn type's classes in choice order
                if obj.class_ is not None and obj.class_ not in seen:
                    seen.append(obj.class_)
        return seen


def _rebuild_sensors() -> None:
    """Rebuild the ``sensors:`` union after a sensor type is registered or removed (loader and schema follow)."""
    field = Scenario.model_fields["sensors"]
    annotation: Any = list[_sensor_union()]
    field.annotation = annotation
    field.description = ", ".join(entry_types())
    Scenario.model_rebuild(force=True)


on_change(_rebuild_sensors)


def sensor_entry_types() -> tuple[str, ...]:
    """The ``type`` names a ``sensors:`` entry may take now, in schema order."""
    return tuple(entry_types())


__all__ = [
    "OBJECT_TYPES",
    "Distribution",
    "Ground",
    "Labels",
    "ObjectSpec",
    "KittiOutput",
    "Output",
    "Render",
    "Scenario",
    "World",
]
