"""Per-episode image effects in a fixed order: light gain and sky, haze, scenario effects, camera faults.

Order per frame: the light's intensity and colour as a gain (pybullet's EGL plugin ignores
light colour), the sky (flat colour, or the ``background`` randomizer's gradient by ray
elevation), the world's haze, then the scenario's ``effects:`` list in its order
(:mod:`simgen.randomize.effects`), then sensor faults. Labels were made before any of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from simgen.randomize.faults import CameraFaults
from simgen.randomize.haze import apply_haze
from simgen.randomize.lighting import apply_light, sky_mask


class ImageEffects:
    """Built once per episode from its spec; call on every labeled frame.

    Lighting, sky, haze and the scenario's effects change only ``rgb`` (and the depth / LiDAR
    sensor outputs for depth_noise / lidar_noise); labels come from ground truth and stay exact.
    Camera faults may drop the frame (returns None) or replace it, see
    :mod:`simgen.randomize.faults`. Motion blur reads the true velocities the frame carries.
    """

    def __init__(self, spec: Any) -> None:
        self.scene = spec.scene
        self.faults = CameraFaults(spec.seed)
        self.sky_gradient = spec.backdrop.get("sky") if spec.backdrop else None
        self.stack = None
        if spec.effects:
            from simgen.randomize.effects import EffectStack

            self.stack = EffectStack(spec)

    def __call__(self, frame: Any, light: dict[str, Any], faults: Sequence[Any]) -> Any | None:
        """The frame to deliver, or None when a fault drops it."""
        sky = sky_mask(frame.depth, frame.camera.far)
        frame.rgb = apply_light(frame.rgb, sky, light, None if self.sky_gradient else self.scene.sky)
        if self.sky_gradient:
            frame.rgb = paint_sky(frame.rgb, sky, frame.camera, self.sky_gradient)
        haze = self.scene.haze
        if haze is not None and haze["density"] > 0:
            frame.rgb = apply_haze(frame.rgb, frame.depth, haze["density"], haze["color"], sky)
        if self.stack is not None:
            self.stack(self._context(frame, sky, light), frame)
        return self.faults(frame, faults)

    def _context(self, frame: Any, sky: np.ndarray, light: dict[str, Any]) -> dict[str, Any]:
        """Inputs the effects read besides the frame: clean depth, sky, true velocities, light direction."""
        velocities: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        camera_velocity = None
        if any(e.type == "motion_blur" for _, e in self.stack.entries):  # type: ignore[union-attr]
            velocities, camera_velocity = body_velocities(frame)
        return {
            "depth": frame.depth,
            "sky": sky,
            "velocities": velocities,
            "camera_velocity": camera_velocity,
            "light_direction": light.get("direction"),
        }


def body_velocities(frame: Any) -> tuple[dict[int, Any], tuple[np.ndarray, np.ndarray] | None]:
    """Label id -> (linear m/s, angular rad/s, centre of mass) of the frame's bodies, and its camera mount's velocity.

    Read from the frame's ground truth at capture time (``Frame.velocities`` and ``Frame.poses``).
    """
    by_iid = {o.instance_id: o for o in frame.objects}
    out: dict[int, Any] = {}
    for iid, (v, w) in frame.velocities.items():
        label = by_iid[iid].label
        if label <= 0 or label in out:
            continue
        out[label] = (np.asarray(v), np.asarray(w), np.asarray(frame.poses[iid][0]))
    cam_vel = None
    mount = mount_instance(frame.objects, frame.camera.mount, frame.velocities)
    if mount is not None:
        v, w = frame.velocities[mount]
        cam_vel = (np.asarray(v), np.asarray(w))
    return out, cam_vel


def mount_instance(objects: Sequence[Any], name: str | None, live: Any) -> int | None:
    """Instance id of the live instance called ``name`` (or the first live one of object ``name``)."""
    if name is None:
        return None
    for o in objects:
        if o.name == name:
            return o.instance_id if o.instance_id in live else None
    for o in objects:
        if o.source == name and o.instance_id in live:
            return o.instance_id
    return None


def paint_sky(rgb: np.ndarray, sky: np.ndarray, camera: Any, gradient: dict[str, Any]) -> np.ndarray:
    """Sky pixels coloured from ``horizon`` to ``zenith`` by the elevation of their viewing ray.

    The colour at elevation e is ``horizon + (zenith - horizon) * sin(max(e, 0)) ** 0.5``;
    rays below the horizon get the horizon colour.
    """
    if not sky.any():
        return rgb
    ys, xs = np.nonzero(sky)
    K = camera.K
    rx, ry = (xs - K[0, 2]) / K[0, 0], (ys - K[1, 2]) / K[1, 1]
    R = camera.world_from_camera[:3, :3]
    # world ray = R @ (rx, ry, 1), written out: no BLAS call on every sky pixel
    wz = R[2, 0] * rx + R[2, 1] * ry + R[2, 2]
    norm = np.sqrt(rx * rx + ry * ry + 1.0)  # R preserves length
    sin_el = np.clip(wz / norm, 0.0, 1.0)
    t = np.sqrt(sin_el)[:, None]
    horizon = np.asarray(gradient["horizon"], dtype=np.float64)
    zenith = np.asarray(gradient["zenith"], dtype=np.float64)
    out = rgb.copy()
    out[ys, xs] = np.clip(np.rint((horizon + (zenith - horizon) * t) * 255.0), 0, 255).astype(np.uint8)
    return out
