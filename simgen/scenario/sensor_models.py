"""Scenario models for sensors: camera timing/outputs/lens/mount, and the ``sensors:`` list.

Every sensor is described by data (like dm_control's ``Observable``): a ``rate`` in Hz, a
``phase`` (seconds after the first frame), a ``latency`` (delivery = capture + latency), noise
parameters and a ``mount`` (the world, or an object instance by name, plus an offset pose).

The ``sensors:`` list is a union discriminated by ``type`` (``lidar``, ``imu``, ``gnss``, ``radar``); the
runtime plugin of each type registers under the same name in ``simgen.sensors.registry``.
Stage rule: this module never imports pybullet or OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simgen.scenario.distributions import Num

Finite = Annotated[float, Field(allow_inf_nan=False)]
Any3 = tuple[Num(), Num(), Num()]
Vec3 = tuple[Finite, Finite, Finite]
SensorName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
CameraOutput = Literal["rgb", "depth", "instance", "semantic", "normals", "flow", "object_coords"]
CAMERA_OUTPUTS: tuple[str, ...] = ("rgb", "depth", "instance", "semantic", "normals", "flow", "object_coords")
DEFAULT_OUTPUTS: tuple[CameraOutput, ...] = ("rgb", "depth", "instance", "semantic")
SENSOR_TYPES: tuple[str, ...] = ("lidar", "imu", "gnss", "radar")
MAX_SENSORS = 64
RayBackend = Literal["auto", "embree", "bullet"]
MAX_RAYS = 4_000_000


class _Model(BaseModel):
    """Same contract as every scenario model: frozen, unknown keys rejected, numbers finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )


class Mount(_Model):
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


class Distortion(_Model):
    """OpenCV lens distortion (Brown-Conrady, ``model: opencv``): radial k1, k2, k3 and tangential p1, p2."""

    model: Literal["opencv"] = Field("opencv", description="lens model: opencv (default) or fisheye")
    k1: Finite = 0.0
    k2: Finite = 0.0
    p1: Finite = 0.0
    p2: Finite = 0.0
    k3: Finite = 0.0


class FisheyeDistortion(_Model):
    """OpenCV fisheye lens (Kannala-Brandt, ``model: fisheye``) as ``cv2.fisheye``.

    theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8), theta = angle from
    the optical axis; the image border must stay within what a pinhole render can cover.
    """

    model: Literal["fisheye"] = Field(description="lens model: opencv (default) or fisheye")
    k1: Finite = 0.0
    k2: Finite = 0.0
    k3: Finite = 0.0
    k4: Finite = 0.0


LensDistortion = Annotated[Distortion | FisheyeDistortion, Field(discriminator="model")]


def _default_lens_model(value: object) -> object:
    """``distortion:`` without ``model`` is the OpenCV (plumb-bob) model, as before fisheye existed."""
    if isinstance(value, dict) and "model" not in value:
        return {"model": "opencv", **value}
    return value


class Stereo(_Model):
    """Expand a camera into ``<name>_left`` and ``<name>_right``, ``baseline`` metres apart along +x."""

    baseline: float = Field(gt=0, le=10, allow_inf_nan=False, description="metres between the optical centres")


class Timing(_Model):
    """Rate, phase and latency shared by every sensor."""

    rate: float | None = Field(None, gt=0, le=10000, description="captures per simulated second (Hz)")
    phase: float = Field(0.0, ge=0, le=3600, description="seconds after the first frame of the first capture")
    latency: float = Field(0.0, ge=0, le=60, description="seconds from capture to delivery")


class CameraSensorFields(Timing):
    """Sensor fields of a camera (base class of ``Camera``): outputs, lens, mount, rigs."""

    outputs: tuple[CameraOutput, ...] = Field(
        DEFAULT_OUTPUTS,
        min_length=1,
        description=f"arrays to produce, any of {', '.join(CAMERA_OUTPUTS)}; flow is forward, in pixels",
    )
    distortion: LensDistortion | None = Field(
        None,
        description="lens applied to images and labels: model opencv (k1, k2, p1, p2, k3) or fisheye (k1..k4)",
    )
    mount: Mount | None = Field(None, description="attach to a moving object; pose fields are then in its frame")
    stereo: Stereo | None = None
    surround: int | None = Field(
        None, ge=2, le=16, description="expand into N cameras <name>_0.. yawed by 360/N about the mount's z axis"
    )

    @field_validator("distortion", mode="before")
    @classmethod
    def _lens_model(cls, value: object) -> object:
        return _default_lens_model(value)


class SensorBase(Timing):
    """Fields every entry of ``sensors:`` shares; the pose is in the mount's frame (x forward, z up)."""

    name: SensorName
    mount: Mount = Field(default_factory=Mount)
    position: Any3 = Field((0.0, 0.0, 0.0), description="metres in the mount frame")
    rpy: Any3 = Field((0.0, 0.0, 0.0), description="roll, pitch, yaw in degrees in the mount frame")


class Lidar(SensorBase):
    """A ray-casting LiDAR: spinning (360 degrees per sweep) or solid-state (fixed raster)."""

    type: Literal["lidar"]
    rate: float | None = Field(10.0, gt=0, le=1000, description="sweeps per second (rotation rate when spinning)")
    pattern: Literal["spinning", "solid_state"] = "spinning"
    channels: int = Field(16, ge=1, le=512, description="rings (rows)")
    vertical_fov: tuple[Finite, Finite] = Field(
        (-15.0, 15.0), description="lowest and highest elevation in degrees, channels spread evenly"
    )
    elevations: list[Finite] | None = Field(
        None, max_length=512, description="explicit elevation per ring in degrees (overrides channels/vertical_fov)"
    )
    horizontal_resolution: float = Field(0.4, gt=0, le=90, description="degrees between columns")
    horizontal_fov: float = Field(360.0, gt=0, le=360, description="degrees (solid_state: the raster width)")
    min_range: float = Field(0.1, ge=0, allow_inf_nan=False, description="metres; rays start this far out")
    max_range: float = Field(100.0, gt=0, le=10000, allow_inf_nan=False, description="no return beyond this")
    range_noise: float = Field(0.0, ge=0, le=10, description="std of Gaussian range noise, metres")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a return is lost")
    motion_distortion: bool = Field(True, description="each ray leaves from the sensor pose at its own time")
    deskew: bool = Field(False, description="express all points in the sensor frame at sweep start")
    num_threads: int = Field(1, ge=0, le=64, description="rayTestBatch threads (0: let Bullet decide)")
    backend: RayBackend = Field(
        "auto", description="ray caster: embree (visual meshes, fast), bullet (rayTestBatch), auto: embree if installed"
    )
    beam_divergence: float = Field(
        0.0, ge=0, le=100, description="full beam angle, milliradians; 0: one ray per beam, else beam_samples rays"
    )
    beam_samples: int = Field(7, ge=2, le=64, description="rays per beam when beam_divergence > 0 (axis + a ring)")
    returns: Literal["strongest", "first", "last", "dual"] = Field(
        "strongest", description="echo(es) reported per beam: strongest, first, last, or dual (strongest and last)"
    )
    echo_separation: float = Field(
        0.5, gt=0, le=100, description="metres: surfaces closer than this along a beam merge into one echo"
    )


class Imu(SensorBase):
    """An IMU: specific force (m/s^2, gravity included) and angular rate (rad/s) in its own frame.

    Noise follows Kalibr's continuous-time parameters: white noise densities and bias random
    walks; discrete std per sample = density * sqrt(rate), bias step std = walk / sqrt(rate).
    """

    type: Literal["imu"]
    rate: float | None = Field(200.0, gt=0, le=10000)
    accel_noise_density: float = Field(0.0, ge=0, description="m/s^2/sqrt(Hz)")
    gyro_noise_density: float = Field(0.0, ge=0, description="rad/s/sqrt(Hz)")
    accel_random_walk: float = Field(0.0, ge=0, description="m/s^3/sqrt(Hz)")
    gyro_random_walk: float = Field(0.0, ge=0, description="rad/s^2/sqrt(Hz)")
    accel_bias: Vec3 = Field((0.0, 0.0, 0.0), description="initial bias, m/s^2")
    gyro_bias: Vec3 = Field((0.0, 0.0, 0.0), description="initial bias, rad/s")
    accel_scale: Vec3 = Field((0.0, 0.0, 0.0), description="scale factor error per axis (0.01 = +1 %)")
    gyro_scale: Vec3 = Field((0.0, 0.0, 0.0), description="scale factor error per axis")
    accel_range: float | None = Field(None, gt=0, description="saturation, m/s^2 per axis")
    gyro_range: float | None = Field(None, gt=0, description="saturation, rad/s per axis")


class Gnss(SensorBase):
    """GNSS-like fixes: antenna position and velocity in the world frame (local ENU, metres)."""

    type: Literal["gnss"]
    rate: float | None = Field(10.0, gt=0, le=1000)
    horizontal_noise: float = Field(0.0, ge=0, description="std per horizontal axis, metres")
    vertical_noise: float = Field(0.0, ge=0, description="std, metres")
    velocity_noise: float = Field(0.0, ge=0, description="std per axis, m/s")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a fix is missing")


class Radar(SensorBase):
    """An automotive-style radar: clustered detections with range, angles, radial velocity and an RCS proxy.

    Raw rays are cast every ``ray_resolution`` degrees over the field of view (centred on the
    sensor's +x); returns are grouped into cells of ``range_resolution`` x
    ``azimuth_resolution`` x ``elevation_resolution`` x ``velocity_resolution``, one detection per cell.
    """

    type: Literal["radar"]
    rate: float | None = Field(20.0, gt=0, le=1000, description="scans per second")
    horizontal_fov: float = Field(60.0, gt=0, le=360, description="degrees, centred on the sensor's +x")
    vertical_fov: float = Field(10.0, gt=0, le=180, description="degrees, centred on the sensor's +x")
    ray_resolution: float = Field(0.5, gt=0, le=30, description="degrees between raw rays (both axes)")
    min_range: float = Field(0.5, ge=0, allow_inf_nan=False, description="metres")
    max_range: float = Field(100.0, gt=0, le=10000, allow_inf_nan=False, description="metres")
    range_resolution: float = Field(0.5, gt=0, le=100, description="metres per detection cell")
    azimuth_resolution: float = Field(2.0, gt=0, le=90, description="degrees per detection cell")
    elevation_resolution: float = Field(5.0, gt=0, le=90, description="degrees per detection cell")
    velocity_resolution: float = Field(0.25, gt=0, le=100, description="m/s per detection cell")
    range_noise: float = Field(0.0, ge=0, le=10, description="std, metres")
    azimuth_noise: float = Field(0.0, ge=0, le=10, description="std, degrees")
    elevation_noise: float = Field(0.0, ge=0, le=10, description="std, degrees")
    velocity_noise: float = Field(0.0, ge=0, le=10, description="std, m/s")
    min_rcs: float = Field(0.0, ge=0, description="detections with a smaller RCS proxy (m^2) are dropped")
    max_detections: int = Field(256, ge=1, le=100_000, description="keep the strongest (largest RCS) this many")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a detection is lost")
    backend: RayBackend = Field("auto", description="ray caster: embree, bullet or auto (embree if installed)")


SensorModel = Annotated[Lidar | Imu | Gnss | Radar, Field(discriminator="type")]


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
        if isinstance(s, Radar):
            if s.min_range >= s.max_range:
                add(("sensors", i, "min_range"), f"min_range {s.min_range:g} must be below max_range {s.max_range:g}")
            rays = (int(s.horizontal_fov / s.ray_resolution) + 1) * (int(s.vertical_fov / s.ray_resolution) + 1)
            if rays > MAX_RAYS:
                add(
                    ("sensors", i, "ray_resolution"),
                    f"{rays} raw rays per scan is more than {MAX_RAYS}",
                    "use a coarser ray_resolution",
                )
        if isinstance(s, Lidar):
            lo, hi = s.vertical_fov
            if lo > hi:
                add(("sensors", i, "vertical_fov"), f"lowest elevation {lo:g} is above highest {hi:g}")
            if s.min_range >= s.max_range:
                add(("sensors", i, "min_range"), f"min_range {s.min_range:g} must be below max_range {s.max_range:g}")
            rows = len(s.elevations) if s.elevations is not None else s.channels
            cols = int(round(s.horizontal_fov / s.horizontal_resolution))
            if rows * cols > MAX_RAYS:
                add(
                    ("sensors", i, "horizontal_resolution"),
                    f"{rows} x {cols} = {rows * cols} rays per sweep is more than {MAX_RAYS}",
                    "use fewer channels or a coarser horizontal_resolution",
                )


__all__ = [
    "CAMERA_OUTPUTS",
    "SENSOR_TYPES",
    "CameraSensorFields",
    "Distortion",
    "FisheyeDistortion",
    "Gnss",
    "Imu",
    "LensDistortion",
    "Lidar",
    "Mount",
    "Radar",
    "SensorModel",
    "Stereo",
    "Timing",
    "check_sensors",
]
