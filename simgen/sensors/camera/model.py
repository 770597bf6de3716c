"""Camera definition: its ``cameras:`` entry, lens and rig fields, resolved spec and capture record.

Light (pydantic and numpy; the scenario loader, labels and exporters read it): a camera is
described by the ``cameras:`` section (rigs, lenses, mounts), resolved by
:mod:`simgen.sensors.camera.sampling` into a :class:`CameraSpec` and captured by
:mod:`simgen.sensors.camera.runtime`. Stage rule: no pybullet, no OpenCV, no simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import Any3, Finite, Model, Name
from simgen.scenario.sensor_models import FieldModel, Mount, Timing
from simgen.scenario.sensor_spec import jsonable
from simgen.scenario.world_models import Duration
from simgen.scenario.world_models import Model as ActionModel

MAX_IMAGE_SIDE = 8192
CameraOutput = Literal["rgb", "depth", "instance", "semantic", "normals", "flow", "object_coords"]
CAMERA_OUTPUTS: tuple[str, ...] = ("rgb", "depth", "instance", "semantic", "normals", "flow", "object_coords")
DEFAULT_OUTPUTS: tuple[CameraOutput, ...] = ("rgb", "depth", "instance", "semantic")


class Distortion(FieldModel):
    """OpenCV lens distortion (Brown-Conrady, ``model: opencv``): radial k1, k2, k3 and tangential p1, p2."""

    model: Literal["opencv"] = Field("opencv", description="lens model: opencv (default) or fisheye")
    k1: Finite = 0.0
    k2: Finite = 0.0
    p1: Finite = 0.0
    p2: Finite = 0.0
    k3: Finite = 0.0


class FisheyeDistortion(FieldModel):
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


class Stereo(FieldModel):
    """Expand a camera into ``<name>_left`` and ``<name>_right``, ``baseline`` metres apart along +x."""

    baseline: float = Field(gt=0, le=10, allow_inf_nan=False, description="metres between the optical centres")


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


class Intrinsics(Model):
    """Pinhole intrinsics in pixels, OpenCV convention (pixel centres at integers)."""

    fx: float = Field(gt=0, allow_inf_nan=False)
    fy: float = Field(gt=0, allow_inf_nan=False)
    cx: Finite
    cy: Finite


class Camera(CameraSensorFields):
    """A pinhole camera: image size, intrinsics (vertical FOV or fx/fy/cx/cy), clip planes, pose.

    Pose is ``position`` plus either ``look_at`` (with ``up``) or ``rpy`` in degrees, where rpy
    rotates a camera that looks along world +x with +z up.
    """

    name: Name = "camera"
    width: int = Field(640, ge=1, le=MAX_IMAGE_SIDE)
    height: int = Field(480, ge=1, le=MAX_IMAGE_SIDE)
    fov_y: Num(gt=0, le=179) | None = Field(None, description="vertical field of view in degrees (default 60)")
    intrinsics: Intrinsics | None = None
    near: float = Field(0.05, gt=0, allow_inf_nan=False, description="near clip plane, metres")
    far: float = Field(50.0, gt=0, allow_inf_nan=False, description="far clip plane, metres")
    position: Any3
    look_at: Any3 | None = None
    up: tuple[Finite, Finite, Finite] = (0.0, 0.0, 1.0)
    rpy: Any3 | None = None
    # Timing (rate, phase, latency), outputs, distortion, mount, stereo, surround: CameraSensorFields.


@dataclass(frozen=True)
class CameraSpec:
    """A pinhole camera with OpenCV-convention intrinsics and pose.

    ``K`` is (3, 3) float64 in pixels (pixel centres at integer coordinates);
    ``world_from_camera`` is (4, 4) float64 mapping OpenCV camera coordinates (x right, y down,
    z forward, metres) into the world frame (z up).
    """

    name: str
    width: int
    height: int
    K: np.ndarray = field(repr=False)
    near: float
    far: float
    world_from_camera: np.ndarray = field(repr=False)
    # Sensor fields (rate None = the episode's frame rate;
    # distortion = lens coefficients of distortion_model: "opencv" (k1, k2, p1, p2, k3) or
    # "fisheye" (k1, k2, k3, k4), see simgen.core.lens; mount = object instance name or None
    # for the world, with mount_from_camera (4, 4); world_from_camera is then the pose at build time).
    outputs: tuple[str, ...] = ("rgb", "depth", "instance", "semantic")
    distortion: tuple[float, ...] | None = None
    distortion_model: str = "opencv"
    rate: float | None = None
    phase: float = 0.0
    latency: float = 0.0
    mount: str | None = None
    mount_from_camera: np.ndarray | None = field(default=None, repr=False)
    # Stereo pairs: signed offset (metres) of the partner camera along this camera's +x
    # (+baseline for ``<name>_left``, -baseline for ``<name>_right``); None without a partner.
    stereo_baseline: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe description (intrinsics and extrinsics) for manifests."""
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "K": self.K.tolist(),
            "near": self.near,
            "far": self.far,
            "world_from_camera": self.world_from_camera.tolist(),
            "convention": "OpenCV: x right, y down, z forward; pixel centres at integers",
            **camera_sensor_json(self),
        }


def camera_sensor_json(cam: CameraSpec) -> dict[str, Any]:
    """The sensor fields of a CameraSpec that differ from a plain fixed camera (for manifests)."""
    out: dict[str, Any] = {}
    if tuple(cam.outputs) != ("rgb", "depth", "instance", "semantic"):
        out["outputs"] = list(cam.outputs)
    if cam.distortion is not None:
        if cam.distortion_model == "fisheye":
            out["distortion"] = {"model": "fisheye", "k1_k2_k3_k4": list(cam.distortion)}
        else:
            out["distortion"] = {"model": "opencv", "k1_k2_p1_p2_k3": list(cam.distortion)}
    if cam.rate is not None:
        out["rate"] = cam.rate
    if cam.phase:
        out["phase"] = cam.phase
    if cam.latency:
        out["latency"] = cam.latency
    if cam.mount is not None:
        out["mount"] = cam.mount
        out["mount_from_camera"] = jsonable(cam.mount_from_camera)
    return out


@dataclass
class CameraCapture:
    """When and from where a camera captured one frame (the frame itself goes to image exporters).

    ``world_from_camera`` (4, 4) float64, OpenCV axes, at ``capture_time``; ``K`` (3, 3) float64.
    """

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    world_from_camera: np.ndarray
    K: np.ndarray


class _CameraFault(ActionModel):
    """Fields every camera fault action shares: which camera (all when omitted) and for how long."""

    camera: str | None = Field(None, max_length=64, description="camera name; all cameras when omitted")
    duration: Duration = 1.0


class CameraFreeze(_CameraFault):
    """The camera repeats its last image (and its stale labels); frames are flagged ``frozen``."""

    type: Literal["camera_freeze"]


class FrameDrop(_CameraFault):
    """The camera delivers no frames during the window (they are missing from the dataset)."""

    type: Literal["frame_drop"]


class LensOcclusion(_CameraFault):
    """A dark blob (dirt, a leaf) covers ``coverage`` of the image; labels keep the true scene."""

    type: Literal["lens_occlusion"]
    coverage: Num(gt=0, le=1) = 0.3


class ExposureSpike(_CameraFault):
    """Image brightness multiplied by ``gain`` (clipped), as after a sudden glare."""

    type: Literal["exposure_spike"]
    gain: Num(gt=0, le=100) = 4.0


class TimestampJitter(_CameraFault):
    """Reported frame timestamps get normal noise of ``std`` seconds (true time kept in flags)."""

    type: Literal["timestamp_jitter"]
    std: Num(gt=0, le=10) = 0.01


CAMERA_FAULTS = (CameraFreeze, FrameDrop, LensOcclusion, ExposureSpike, TimestampJitter)


__all__ = [
    "CAMERA_FAULTS",
    "CAMERA_OUTPUTS",
    "Camera",
    "CameraCapture",
    "CameraSensorFields",
    "CameraSpec",
    "Distortion",
    "FisheyeDistortion",
    "Intrinsics",
    "LensDistortion",
    "Stereo",
    "camera_sensor_json",
]
