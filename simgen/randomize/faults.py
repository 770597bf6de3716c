"""Camera faults as a corruption step on delivered frames, driven by the world's fault windows.

How images and labels behave under each fault (flags go to ``frame.flags["faults"]``):

- ``frame_drop``: the frame is not delivered at all (missing from every export).
- ``camera_freeze``: the camera repeats its last delivered image *and* its labels, depth and
  masks (they describe what that image shows); the frame gets the new index and time and is
  flagged with ``frozen_from`` = the index of the frame it repeats. If nothing was delivered
  yet, the current frame is delivered and becomes the frozen image.
- ``lens_occlusion``: a dark soft-edged blob covering about ``coverage`` of the image; labels
  keep the true scene (objects behind the blob stay annotated), ``occluded_fraction`` records
  the covered share. The blob is fixed for the whole window (dirt does not move).
- ``exposure_spike``: pixels multiplied by ``gain`` and clipped (``exposure_gain``); labels unchanged.
- ``timestamp_jitter``: the reported ``frame.time`` gets normal noise of ``std`` seconds;
  ``true_time`` keeps the simulated capture time; labels unchanged.

Random draws (blob position, jitter) come from generators keyed by the episode seed, camera
and event or frame, so they do not depend on worker count or render order.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

CAMERA_FAULTS = ("frame_drop", "camera_freeze", "lens_occlusion", "exposure_spike", "timestamp_jitter")


def fault_rng(seed: int, *keys: str | int) -> np.random.Generator:
    """Generator keyed by the episode seed and a few names/numbers."""
    parts = [k if isinstance(k, int) else zlib.crc32(k.encode("utf-8")) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(7, *parts)))


def occlusion_alpha(height: int, width: int, coverage: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 opacity of an elliptical blob whose 0.5-contour encloses ``coverage`` of the image.

    The ellipse has the image's aspect ratio; its centre is uniform over the image; the edge
    ramps from opaque to clear over 20 % of the radius.
    """
    # area of the half-opacity ellipse = pi * a * b with b = a * H / W
    a = np.sqrt(coverage * width * height / np.pi * width / height)
    b = a * height / width
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.sqrt(((xs + 0.5 - cx) / a) ** 2 + ((ys + 0.5 - cy) / b) ** 2)
    return np.clip((1.1 - r) / 0.2, 0.0, 1.0).astype(np.float32)


def occlude(rgb: np.ndarray, alpha: np.ndarray, color: Sequence[float] = (0.08, 0.07, 0.06)) -> np.ndarray:
    """(H, W, 3) uint8 ``rgb`` blended towards a dark ``color`` (0..1) by ``alpha``."""
    dark = np.asarray(color, dtype=np.float32) * 255.0
    out = rgb.astype(np.float32) * (1 - alpha[:, :, None]) + dark * alpha[:, :, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def expose(rgb: np.ndarray, gain: float) -> np.ndarray:
    """(H, W, 3) uint8 brightness times ``gain``, clipped."""
    return np.clip(np.rint(rgb.astype(np.float32) * gain), 0, 255).astype(np.uint8)


class CameraFaults:
    """Applies fault windows to one episode's frames; remembers each camera's last delivered frame."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.last: dict[str, Any] = {}

    def __call__(self, frame: Any, faults: Sequence[Any]) -> Any | None:
        """The frame to deliver (possibly altered or a stale copy), or None when dropped."""
        cam = frame.camera.name
        kinds = {f.kind: f for f in faults if f.kind in CAMERA_FAULTS}
        if not kinds:
            self.last[cam] = frame
            return frame
        names: list[str] = []
        flags: dict[str, Any] = {}
        if "frame_drop" in kinds:
            return None
        if "camera_freeze" in kinds and cam in self.last:
            prev = self.last[cam]
            frame = dataclasses.replace(
                prev, index=frame.index, time=frame.time, flags=dict(prev.flags), labels=list(prev.labels)
            )
            names.append("camera_freeze")
            flags["frozen_from"] = prev.flags.get("frozen_from", prev.index)
        elif "camera_freeze" in kinds:
            names.append("camera_freeze")
            flags["frozen_from"] = frame.index
        else:
            self.last[cam] = frame
        frame = dataclasses.replace(frame, flags=dict(frame.flags))
        if "lens_occlusion" in kinds:
            w = kinds["lens_occlusion"]
            rng = fault_rng(self.seed, cam, w.event, int(round(w.start * 1e6)))
            alpha = occlusion_alpha(frame.rgb.shape[0], frame.rgb.shape[1], w.params["coverage"], rng)
            frame.rgb = occlude(frame.rgb, alpha)
            names.append("lens_occlusion")
            flags["occluded_fraction"] = float((alpha >= 0.5).mean())
        if "exposure_spike" in kinds:
            gain = float(kinds["exposure_spike"].params["gain"])
            frame.rgb = expose(frame.rgb, gain)
            names.append("exposure_spike")
            flags["exposure_gain"] = gain
        if "timestamp_jitter" in kinds:
            rng = fault_rng(self.seed, cam, "jitter", frame.index)
            flags["true_time"] = frame.time
            frame.time = float(frame.time + rng.normal(0.0, kinds["timestamp_jitter"].params["std"]))
            names.append("timestamp_jitter")
        frame.flags["faults"] = names
        frame.flags.update(flags)
        return frame
