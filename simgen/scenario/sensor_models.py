"""Scenario model parts every sensor shares: timing, mount, the ``sensors:`` base and its cross-field checks.

Every sensor is described by data (like dm_control's ``Observable``): a ``rate`` in Hz, a
``phase`` (seconds after the first frame), a ``latency`` (delivery = capture + latency), noise
parameters and a ``mount`` (the world, or an object instance by name, plus an offset pose).

Each sensor type's own model (a :class:`SensorBase` subclass) lives in its package under
``simgen/sensors/`` and is registered there; the ``sensors:`` list is the union of the
registered models, discriminated by ``type`` (see :mod:`simgen.sensors.registry`). The camera's
lens, outputs and rigs are in :mod:`simgen.sensors.camera.model`.
Stage rule: this module never imports pybullet or OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simgen.scenario.distributions import Num

Finite = Annotated[float, Field(allow_inf_nan=False)]
Any3 = tuple[Num(), Num(), Num()]
Vec3 = tuple[Finite, Finite, Finite]
SensorName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
MAX_SENSORS = 64
RayBackend = Literal["auto", "embree", "bullet"]
MAX_RAYS = 4_000_000
# One problem of a sensor entry: (its field, message, hint or None); see SensorBase.problems.
Problem: TypeAlias = tuple[str, str, str | None]


def ray_backend(name: str) -> str:
    """The ray caster for ``backend: name``: ``auto`` is ``embree`` when ``embreex`` is installed, else ``bullet``.

    Resolved at sampling (without importing the library) so the manifest records what was used.
    """
    if name != "auto":
        return name
    import importlib.util

    return "embree" if importlib.util.find_spec("embreex") is not None else "bullet"


class FieldModel(BaseModel):
    """Same contract as every scenario model: frozen, unknown keys rejected, numbers finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )


class Mount(FieldModel):
    """What a sensor is attached to: ``body: crate_0`` (an instance), ``actor: ego`` (an object) or the world.

    With ``offset``/``rpy`` the mount also gives the sensor's pose in the body's frame (x forward,
    z up, rpy in degrees); without them the sensor's own ``position``/``rpy`` are that pose.
    """

    body: SensorName | None = Field(
        None, description="object instance name (object name + '_' + index, e.g. crate_0); omitted: the world"
    )
    actor: SensorName | None = Field(None, description="object name; the sensor rides on its first instance")
    offset: tuple[Finite, Finite, Finite] | None = Field(None, description="metres in the body's frame")
    rpy: tuple[Finite, Finite, Finite] | None = Field(None, description="degrees in the body's frame")

    @model_validator(mode="after")
    def _one_target(self) -> Mount:
        if self.body is not None and self.actor is not None:
            raise ValueError("give either 'body' (an instance) or 'actor' (an object), not both")
        return self

    def target(self, instance_names: list[str], object_names: dict[str, str]) -> str | None:
        """Instance name this mount rides on (None: the world); '' when the name matches nothing."""
        if self.body is not None:
            return self.body if self.body in instance_names else ""
        if self.actor is not None:
            if self.actor in instance_names:
                return self.actor
            return object_names.get(self.actor, "")
        return None


class Timing(FieldModel):
    """Rate, phase and latency shared by every sensor."""

    rate: float | None = Field(None, gt=0, le=10000, description="captures per simulated second (Hz)")
    phase: float = Field(0.0, ge=0, le=3600, description="seconds after the first frame of the first capture")
    latency: float = Field(0.0, ge=0, le=60, description="seconds from capture to delivery")


class SensorBase(Timing):
    """Fields every entry of ``sensors:`` shares; the pose is in the mount's frame (x forward, z up)."""

    name: SensorName
    mount: Mount = Field(default_factory=Mount)
    position: Any3 = Field((0.0, 0.0, 0.0), description="metres in the mount frame")
    rpy: Any3 = Field((0.0, 0.0, 0.0), description="roll, pitch, yaw in degrees in the mount frame")

    def problems(self) -> list[Problem]:
        """Cross-field problems of this entry (a sensor type overrides it); none by default."""
        return []


def check_sensors(scenario: object, add: Callable[..., None]) -> None:
    """Cross-field rules for cameras and ``sensors:``, reported through ``add(path, message, hint)``."""
    from simgen.errors import did_you_mean
    from simgen.scenario.names import largest_count

    objects = list(getattr(scenario, "objects", []))
    object_names = [o.name for o in objects]

    def check_mount(mount: Mount | None, path: tuple[str | int, ...]) -> None:
        if mount is not None and mount.actor is not None and mount.actor not in object_names:
            add((*path, "mount", "actor"), f"no object named '{mount.actor}'", did_you_mean(mount.actor, object_names))
        if mount is None or mount.body is None:
            return
        base, _, idx = mount.body.rpartition("_")
        if not base or not idx.isdigit() or base not in object_names:
            choices = [f"{n}_0" for n in object_names]
            add(
                (*path, "mount", "body"),
                f"no object instance named '{mount.body}'; instances are <object name>_<index>",
                did_you_mean(mount.body, choices) or (f"e.g. {choices[0]}" if choices else "add an object first"),
            )
            return
        most = largest_count(objects[object_names.index(base)].count)
        if most is not None and int(idx) >= most:
            add(
                (*path, "mount", "body"),
                f"no object instance named '{mount.body}': '{base}' has at most {most} instances",
                f"use {base}_0 .. {base}_{most - 1}" if most else f"'{base}' has no instances (its count is 0)",
            )

    names: set[str] = set()
    for i, cam in enumerate(getattr(scenario, "cameras", [])):
        check_mount(cam.mount, ("cameras", i))
        names.add(cam.name)
        if cam.stereo is not None and cam.surround is not None:
            add(("cameras", i, "surround"), "give either stereo or surround, not both")
    for i, s in enumerate(getattr(scenario, "sensors", [])):
        check_mount(s.mount, ("sensors", i))
        if s.name in names:
            add(("sensors", i, "name"), f"duplicate sensor name '{s.name}'", "camera and sensor names must be unique")
        names.add(s.name)
        for key, message, hint in s.problems():
            add(("sensors", i, key), message, hint)


__all__ = [
    "FieldModel",
    "MAX_RAYS",
    "Mount",
    "Problem",
    "RayBackend",
    "SensorBase",
    "Timing",
    "check_sensors",
    "ray_backend",
]
