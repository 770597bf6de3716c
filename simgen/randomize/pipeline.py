"""Per-episode image effects in a fixed order: light gain and sky, haze, then camera faults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simgen.randomize.faults import CameraFaults
from simgen.randomize.haze import apply_haze
from simgen.randomize.lighting import apply_light, sky_mask


class ImageEffects:
    """Built once per episode from its spec; call on every labeled frame.

    Lighting and haze change only ``rgb`` (labels come from ground truth and stay exact); camera
    faults may drop the frame (returns None) or replace it, see :mod:`simgen.randomize.faults`.
    """

    def __init__(self, spec: Any) -> None:
        self.scene = spec.scene
        self.faults = CameraFaults(spec.seed)

    def __call__(self, frame: Any, light: dict[str, Any], faults: Sequence[Any]) -> Any | None:
        """The frame to deliver, or None when a fault drops it."""
        sky = sky_mask(frame.depth, frame.camera.far)
        frame.rgb = apply_light(frame.rgb, sky, light, self.scene.sky)
        haze = self.scene.haze
        if haze is not None and haze["density"] > 0:
            frame.rgb = apply_haze(frame.rgb, frame.depth, haze["density"], haze["color"], sky)
        return self.faults(frame, faults)
