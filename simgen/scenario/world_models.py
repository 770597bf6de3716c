"""Scenario models of the world's dynamic parts: light, ground, haze, placement, actors, events.

Also camera mounts, and the triggers and actions of events.

Each behaviour, trigger and action kind is one model whose ``type`` literal is the YAML name;
the discriminated unions below are the registries the loader, ``simgen schema`` and
``simgen list`` read. Sensor fault actions (``camera_freeze``, ``lidar_dropout``, ...) are
declared by their sensor type's registration (``SensorType.faults``) and join the ``actions:``
union from there. The simulator's matching registries live in ``simgen.sim.actors`` and
``simgen.sim.events``, keyed by the same names. Pure data: no pybullet here.

Times are simulated seconds since the episode started (``t = 0`` is the first physics step,
before ``world.settle_time``; frame ``f`` is captured at ``settle_time + f / frame_rate``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from simgen.scenario.distributions import Num
from simgen.sensors.registry import on_change, sensor_faults

Unit = Num(ge=0, le=1)
Any3 = tuple[Num(), Num(), Num()]
Color3 = tuple[Unit, Unit, Unit]
Point3 = Annotated[tuple[float, float, float], Field(description="x, y, z in metres, world frame")]
Time = Num(ge=0, le=1e6)
Duration = Num(gt=0, le=1e6)
ActorRef = Annotated[str, Field(min_length=1, max_length=80, description="object name (first instance) or name_K")]


class Model(BaseModel):
    """Same rules as every scenario model: frozen, unknown keys rejected, numbers finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )


# --- world: light, sky, ground detail, haze -------------------------------------------------------


class Light(Model):
    """The scene's directional light (pybullet renders one).

    Unset fields come from ``world.time_of_day`` when it is given, else from the defaults.
    ``intensity`` and ``color`` are applied as a linear gain on the rendered image so both
    render back-ends agree (pybullet's EGL plugin ignores light colour).
    """

    direction: Any3 | None = Field(None, description="vector pointing from the scene towards the light (world frame)")
    intensity: Num(ge=0, le=10) | None = Field(None, description="overall brightness gain (1 = noon sun)")
    ambient: Unit | None = Field(None, description="ambient coefficient passed to the renderer")
    diffuse: Unit | None = Field(None, description="diffuse coefficient passed to the renderer")
    specular: Unit | None = Field(None, description="specular coefficient passed to the renderer")
    color: Color3 | None = Field(None, description="RGB tint of the light, 0..1")
    shadow: bool = Field(False, description="cast shadows (TinyRenderer only)")


class Checker(Model):
    """A generated checkerboard texture on the ground plane."""

    cell: Num(gt=0, le=100) = Field(1.0, description="checker cell size in metres")
    colors: tuple[Color3, Color3] = ((0.35, 0.35, 0.35), (0.65, 0.65, 0.65))


class Heightfield(Model):
    """Terrain: a seeded value-noise field or a greyscale image (black = 0, white = ``height``)."""

    source: Literal["noise", "image"] = "noise"
    path: str | None = Field(None, min_length=1, max_length=512, description="PNG for source: image")
    size: tuple[Num(gt=0, le=1000), Num(gt=0, le=1000)] = Field((20.0, 20.0), description="x, y extent in metres")
    height: Num(ge=0, le=100) = Field(0.5, description="metres between the lowest and highest point")
    resolution: int = Field(64, ge=2, le=1024, description="samples per side (noise)")
    feature: Num(gt=0, le=1000) = Field(4.0, description="noise feature size in metres")


class Haze(Model):
    """Fog/haze blended by metric depth: ``rgb' = rgb * T + color * (1 - T)``, ``T = exp(-density * depth)``."""

    density: Num(ge=0, le=10) = Field(0.05, description="extinction per metre")
    color: Color3 = (0.75, 0.76, 0.78)


# --- placement -----------------------------------------------------------------------------------


class _PlacementBase(Model):
    avoid_overlap: bool = Field(True, description="resample until no AABB overlaps earlier objects")
    max_tries: int = Field(100, ge=1, le=10000)
    anchor: Literal["bottom", "centre"] = Field(
        "bottom", description="what the region's z places: the object's bottom (default) or its centre"
    )


class BoxRegion(_PlacementBase):
    """Uniform in an axis-aligned box; z is the object's bottom (``anchor: centre``: its centre)."""

    region: Literal["box"]
    min: Point3
    max: Point3

    @model_validator(mode="after")
    def _ordered(self) -> BoxRegion:
        bad = [axis for axis, lo, hi in zip("xyz", self.min, self.max, strict=True) if lo > hi]
        if bad:
            raise ValueError(f"min is greater than max along {', '.join(bad)}")
        return self


class DiscRegion(_PlacementBase):
    """Uniform over a horizontal disc (or annulus) at ``center``; z is the object's bottom (or ``anchor``)."""

    region: Literal["disc"]
    center: Point3
    radius: float = Field(gt=0, le=1e4, allow_inf_nan=False)
    inner_radius: float = Field(0.0, ge=0, le=1e4, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> DiscRegion:
        if self.inner_radius > self.radius:
            raise ValueError(f"inner_radius ({self.inner_radius:g}) is greater than radius ({self.radius:g})")
        return self


class SurfaceRegion(_PlacementBase):
    """Resting on the top of another object (``support: name``) or on the ground (``support: ground``)."""

    region: Literal["surface"]
    support: ActorRef = Field("ground", description="object name, name_K, or ground")
    margin: float = Field(0.0, ge=0, le=100, allow_inf_nan=False, description="inset from the support's edge")
    lift: float = Field(0.001, ge=0, le=100, allow_inf_nan=False, description="gap above the surface, metres")
    area: tuple[float, float, float, float] = Field(
        (-1.0, -1.0, 1.0, 1.0), description="on the ground: x_min, y_min, x_max, y_max in metres"
    )

    @model_validator(mode="after")
    def _ordered(self) -> SurfaceRegion:
        if self.anchor != "bottom":
            raise ValueError("an object on a surface rests on it by its bottom: anchor: centre does not apply")
        x0, y0, x1, y1 = self.area
        if x0 > x1 or y0 > y1:
            raise ValueError("area is [x_min, y_min, x_max, y_max] with min <= max")
        return self


class PathRegion(_PlacementBase):
    """Uniform by arc length along a polyline; z of the points is the object's bottom (or ``anchor``)."""

    region: Literal["path"]
    points: list[Point3] = Field(min_length=2, max_length=1000)
    lateral: float = Field(0.0, ge=0, le=1e4, allow_inf_nan=False, description="uniform sideways offset, metres")


Distance = Num(ge=-1e4, le=1e4)


class _PlacedAfter(_PlacementBase):
    """Placements drawn after the regions (they read other objects' or cameras' poses).

    A placed actor with a ``waypoints`` path keeps its path's shape: the path is moved so that it
    starts at the placed position. ``avoid_overlap`` checks every earlier object but the reference,
    which the gap already keeps clear in its own frame.
    """

    def conditions(self, name: str) -> list[str]:
        """``require:`` conditions this placement stands for (none for plain relative placement)."""
        return []


class RelativePlacement(_PlacedAfter):
    """Next to another object, in that object's frame (x its forward, y its left).

    ``gap`` is the free space between the two objects' boxes on ``side``; ``lateral`` slides the
    object across that side (towards the reference's left for front/behind, forward for left/right).
    """

    relative_to: ActorRef = Field(description="object name (first instance) or name_K, placed earlier")
    side: Literal["behind", "front", "left", "right"] = "behind"
    gap: Num(ge=0, le=1e4) = Field(0.0, description="metres between the boxes (may be drawn)")
    lateral: Distance = Field(0.0, description="metres across the side (may be drawn)")


class HiddenPlacement(_PlacedAfter):
    """Behind an occluder as a camera sees it, and required to be at most ``max_visible`` visible.

    Sugar for a relative placement on the far side of ``behind`` along the camera's line of sight
    plus ``require: in_view(self, CAMERA) and visible_fraction(self, CAMERA) <= max_visible``.
    """

    hidden_from: Annotated[str, Field(min_length=1, max_length=80, description="camera name")]
    behind: ActorRef = Field(description="the occluding object")
    gap: Num(ge=0, le=1e4) = Field(0.0, description="metres from the occluder's box to the object's, along the view")
    lateral: Distance = Field(0.0, description="metres across the line of sight (to its left)")
    max_visible: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, description="largest visible share accepted")

    def conditions(self, name: str) -> list[str]:
        """``in_view`` and at most ``max_visible`` visible from the camera."""
        cam = self.hidden_from
        return [f"in_view({name}, {cam}) and visible_fraction({name}, {cam}) <= {self.max_visible!r}"]


class VisiblePlacement(_PlacedAfter):
    """On the ground in a camera's view, ``range`` metres away, and required to be ``min_visible`` visible.

    Sugar for a position under a pixel drawn uniformly in the image plus
    ``require: visible_fraction(self, CAMERA) >= min_visible``.
    """

    visible_from: Annotated[str, Field(min_length=1, max_length=80, description="camera name")]
    range: tuple[float, float] = Field((2.0, 30.0), description="ground distance from the camera, metres")
    min_visible: float = Field(0.5, ge=0, le=1, allow_inf_nan=False, description="smallest visible share accepted")

    @model_validator(mode="after")
    def _ordered(self) -> VisiblePlacement:
        if not 0 <= self.range[0] < self.range[1]:
            raise ValueError("range is [near, far] metres with 0 <= near < far")
        return self

    def conditions(self, name: str) -> list[str]:
        """At least ``min_visible`` visible from the camera."""
        return [f"visible_fraction({name}, {self.visible_from}) >= {self.min_visible!r}"]


def _placement_kind(value: Any) -> str | None:
    """Which placement a mapping is: its ``region``, else relative / hidden / visible by its key."""
    if isinstance(value, dict):
        if "region" in value:
            return value["region"]
        for key, kind in (("relative_to", "relative"), ("hidden_from", "hidden"), ("visible_from", "visible")):
            if key in value:
                return kind
        return None
    return getattr(value, "region", None) or _model_kind(value)


def _model_kind(value: Any) -> str | None:
    kinds: dict[type, str] = {RelativePlacement: "relative", HiddenPlacement: "hidden", VisiblePlacement: "visible"}
    return kinds.get(type(value))


Placement = Annotated[
    Annotated[BoxRegion, Tag("box")]
    | Annotated[DiscRegion, Tag("disc")]
    | Annotated[SurfaceRegion, Tag("surface")]
    | Annotated[PathRegion, Tag("path")]
    | Annotated[RelativePlacement, Tag("relative")]
    | Annotated[HiddenPlacement, Tag("hidden")]
    | Annotated[VisiblePlacement, Tag("visible")],
    Discriminator(_placement_kind),
]
PLACEMENT_REGIONS = ("box", "disc", "surface", "path")
PLACED_AFTER = ("relative_to", "hidden_from", "visible_from")


# --- actor behaviours ----------------------------------------------------------------------------


class StaticBehavior(Model):
    """Never moves (mass forced to 0)."""

    type: Literal["static"]


class PhysicsBehavior(Model):
    """Driven by physics only (the default); optional velocity at t = 0."""

    type: Literal["physics"]
    velocity: Any3 = Field((0.0, 0.0, 0.0), description="linear velocity at t=0, m/s, world frame")
    angular_velocity: Any3 = Field((0.0, 0.0, 0.0), description="rad/s, world frame")


class WaypointsBehavior(Model):
    """Kinematic: moves along straight segments through ``points`` (the object's base position)."""

    type: Literal["waypoints"]
    points: list[Any3] = Field(min_length=2, max_length=1000)
    speed: Num(gt=0, le=1000) = Field(1.0, description="m/s along the path")
    speeds: list[Num(ge=0, le=1000)] | None = Field(
        None, description="speed profile: one speed per segment (overrides speed)"
    )
    start: Time = Field(0.0, description="time the actor starts moving; it waits at points[0] before")
    loop: bool = False
    face_motion: bool = Field(True, description="turn (yaw) to face the direction of travel")

    @model_validator(mode="after")
    def _profile(self) -> WaypointsBehavior:
        segments = len(self.points) - (0 if self.loop else 1)
        if self.speeds is not None and len(self.speeds) != segments:
            raise ValueError(f"speeds needs one value per segment ({segments}), got {len(self.speeds)}")
        return self


class DropBehavior(Model):
    """Held still ``height`` metres above its position, released at ``at`` (then physics)."""

    type: Literal["drop"]
    height: Num(ge=0, le=1000) = 1.0
    at: Time = 0.0


class ForceBehavior(Model):
    """Physics-driven, pushed by a constant force (world frame, at the centre of mass) for a while."""

    type: Literal["force"]
    force: Any3 = Field(description="newtons, world frame")
    start: Time = 0.0
    duration: Duration = 1.0


class FollowBehavior(Model):
    """Kinematic: keeps ``offset`` from another actor, rigidly or chasing at most ``speed`` m/s."""

    type: Literal["follow"]
    target: ActorRef
    offset: Any3 = (0.0, 0.0, 0.0)
    speed: Num(gt=0, le=1000) | None = None


class TrajectoryBehavior(Model):
    """Kinematic: at ``times[k]`` the object is at ``points[k]`` facing ``yaw[k]``; linear in between.

    Before the first time and after the last it holds the end pose. Imported scenarios
    (``simgen import``) describe every moving entity this way: a timed path can stop and go,
    which speed profiles along waypoints cannot.
    """

    type: Literal["trajectory"]
    points: list[Any3] = Field(min_length=2, max_length=20000)
    times: list[float] = Field(min_length=2, max_length=20000, description="seconds, strictly increasing")
    yaw: list[float] | None = Field(None, description="heading in degrees per point (default: face the motion)")

    @model_validator(mode="after")
    def _timed(self) -> TrajectoryBehavior:
        if len(self.times) != len(self.points):
            raise ValueError(f"times needs one value per point ({len(self.points)}), got {len(self.times)}")
        if self.yaw is not None and len(self.yaw) != len(self.points):
            raise ValueError(f"yaw needs one value per point ({len(self.points)}), got {len(self.yaw)}")
        if any(b <= a for a, b in zip(self.times, self.times[1:], strict=False)):
            raise ValueError("times must be strictly increasing")
        if any(not (0 <= t <= 1e6) for t in self.times):
            raise ValueError("times must be within [0, 1e6] seconds")
        return self


Behavior = Annotated[
    StaticBehavior
    | PhysicsBehavior
    | WaypointsBehavior
    | DropBehavior
    | ForceBehavior
    | FollowBehavior
    | TrajectoryBehavior,
    Field(discriminator="type"),
]
BEHAVIOR_TYPES = ("static", "physics", "waypoints", "drop", "force", "follow", "trajectory")


# Joint names of the ``humanoid`` ragdoll (revolute about its y axis), as used in ``joints:``.
HUMANOID_JOINTS = (
    "neck",
    "right_hip",
    "right_knee",
    "left_hip",
    "left_knee",
    "right_shoulder",
    "right_elbow",
    "left_shoulder",
    "left_elbow",
)


# --- events --------------------------------------------------------------------------------------


class AtTrigger(Model):
    """Fires at simulated time ``at``."""

    type: Literal["at"]
    at: Time


class WindowTrigger(Model):
    """Fires at a time drawn uniformly in ``[start, end]`` (recorded per episode)."""

    type: Literal["window"]
    start: float = Field(ge=0, le=1e6, allow_inf_nan=False)
    end: float = Field(ge=0, le=1e6, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> WindowTrigger:
        if self.start > self.end:
            raise ValueError(f"window start ({self.start:g}) is after its end ({self.end:g})")
        return self


class ProximityTrigger(Model):
    """Fires the first step actor ``a``'s and ``b``'s base positions are within ``distance`` metres."""

    type: Literal["proximity"]
    a: ActorRef
    b: ActorRef
    distance: Num(gt=0, le=1e4)


class ContactTrigger(Model):
    """Fires the first step ``a`` touches ``b`` (``ground``, or any body when ``b`` is omitted)."""

    type: Literal["contact"]
    a: ActorRef
    b: ActorRef | None = None


Trigger = Annotated[AtTrigger | WindowTrigger | ProximityTrigger | ContactTrigger, Field(discriminator="type")]
TRIGGER_TYPES = ("at", "window", "proximity", "contact")


class SpawnAction(Model):
    """Adds the instances of an object declared with ``spawn: false``."""

    type: Literal["spawn"]
    object: ActorRef


class RemoveAction(Model):
    """Removes an actor from the world (it disappears from frames and labels)."""

    type: Literal["remove"]
    object: ActorRef


class ImpulseAction(Model):
    """Applies an impulse (N s, world frame) at the centre of mass: ``dv = impulse / mass``."""

    type: Literal["impulse"]
    object: ActorRef
    impulse: Any3


class SpeedAction(Model):
    """Sets a waypoint or follow actor's speed (0 stops it)."""

    type: Literal["set_speed"]
    actor: ActorRef
    speed: Num(ge=0, le=1000)


class LightAction(Model):
    """Changes the light from now on; unset fields keep their value."""

    type: Literal["set_light"]
    intensity: Num(ge=0, le=10) | None = None
    ambient: Unit | None = None
    color: Color3 | None = None
    direction: Any3 | None = None


BASE_ACTIONS = (SpawnAction, RemoveAction, ImpulseAction, SpeedAction, LightAction)
BASE_ACTION_TYPES = ("spawn", "remove", "impulse", "set_speed", "set_light")


def _action_union(load: bool = True) -> Any:
    """The ``actions:`` union: the world actions, then every registered sensor type's fault actions."""
    faults = [model for _, model in sensor_faults(load).values()]
    members: tuple[Any, ...] = (*BASE_ACTIONS, *faults)
    return Annotated[Union[members], Field(discriminator="type")]  # noqa: UP007


def fault_types() -> tuple[str, ...]:
    """The YAML names of every sensor fault action (declared by the sensor types' registrations)."""
    return tuple(sensor_faults())


def action_types() -> tuple[str, ...]:
    """The YAML names of every event action, world actions first."""
    return BASE_ACTION_TYPES + fault_types()


class Event(Model):
    """When ``trigger`` fires, run ``actions`` (once)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
    trigger: Trigger
    actions: list[_action_union(load=False)] = Field(min_length=1, max_length=64)


def _rebuild_actions() -> None:
    """Rebuild the ``actions:`` union after a sensor type (and its faults) is registered or removed."""
    annotation: Any = list[_action_union(load=False)]
    Event.model_fields["actions"].annotation = annotation
    Event.model_rebuild(force=True)


on_change(_rebuild_actions)


def union_tags(loc: tuple[object, ...]) -> tuple[str, ...] | None:
    """YAML names allowed by the tagged union at pydantic error location ``loc`` (None: objects)."""
    names = [part for part in loc if isinstance(part, str)]
    last = names[-1] if names else ""
    return {
        "behavior": BEHAVIOR_TYPES,
        "placement": PLACEMENT_REGIONS,
        "trigger": TRIGGER_TYPES,
        "actions": action_types(),
        **_randomize_tags(),
    }.get(last)


def _randomize_tags() -> dict[str, tuple[str, ...]]:
    from simgen.scenario.randomize_models import EFFECT_TYPES, RANDOMIZER_TYPES

    return {"randomize": RANDOMIZER_TYPES, "effects": EFFECT_TYPES}
