"""Frame: what one camera saw at one tick, plus the ground truth to label it.

Pure data (numpy arrays and records); exporters read frames and never touch the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simgen.scenario.spec import CameraSpec, ObjectInstance


@dataclass
class InstanceLabel:
    """Annotation of one visible object in one image (pixel coordinates, COCO conventions).

    ``bbox`` is (x, y, w, h) with pixel (i, j) covering [i, i+1) x [j, j+1); ``area`` is the
    visible pixel count; ``rle`` is the visible mask as COCO compressed RLE.
    """

    instance_id: int
    object_name: str
    class_name: str
    category_id: int
    bbox: tuple[float, float, float, float]
    area: int
    rle: dict[str, Any]


@dataclass
class Frame:
    """One camera image and its ground truth.

    Arrays: ``rgb`` (H, W, 3) uint8; ``depth`` (H, W) float32 metres along the optical axis,
    0 where no surface lies within the far plane; ``instance`` (H, W) int32 instance id, 0 for
    background/ground; ``semantic`` (H, W) uint16 category id, 0 for background.
    ``poses`` maps instance id to its world pose ((x, y, z), (qx, qy, qz, qw)) at capture time.

    Optional outputs (None unless the camera's ``outputs`` lists them): ``normals`` (H, W, 3)
    float32 unit surface normals in the camera frame (OpenCV axes), NaN where nothing was hit;
    ``flow`` (H, W, 2) float32 forward optical flow in pixels (du, dv) to this camera's next
    capture, NaN where undefined; ``object_coords`` (H, W, 3) float32 surface point in its
    instance's base frame (metres), NaN off objects. ``camera.world_from_camera`` is the pose at
    capture (it follows a moving mount); ``time`` is the capture time and ``delivery_time`` the
    capture time plus the camera's latency (seconds).
    """

    episode: int
    index: int
    time: float
    split: str
    camera: CameraSpec
    rgb: np.ndarray
    depth: np.ndarray
    instance: np.ndarray
    semantic: np.ndarray
    objects: tuple[ObjectInstance, ...]
    poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]]
    class_names: tuple[str, ...]
    labels: list[InstanceLabel] = field(default_factory=list)
    normals: np.ndarray | None = None
    flow: np.ndarray | None = None
    object_coords: np.ndarray | None = None
    delivery_time: float | None = None

    @property
    def stem(self) -> str:
        """Unique, sortable file stem: ``e000003_f000012_<camera>``."""
        return f"e{self.episode:06d}_f{self.index:06d}_{self.camera.name}"
