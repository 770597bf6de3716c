"""Frame: what one camera saw at one tick, plus the ground truth to label it.

The contract between the sensors stage (which fills frames), the labels stage (which adds
annotations) and the exporters (which write them): pure data (numpy arrays and records), so
labels and exporters import this module and neither the sensors package nor the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simgen.scenario.spec import ObjectInstance
from simgen.sensors.camera.model import CameraSpec


@dataclass
class InstanceLabel:
    """Annotation of one object in one image (pixel coordinates, COCO conventions).

    2D: ``bbox`` is the tight box (x, y, w, h) of the *visible* mask, pixel (i, j) covering
    [i, i+1) x [j, j+1); ``area`` is the visible pixel count; ``rle`` the visible mask as COCO
    compressed RLE. ``amodal_*`` describe the whole object as if nothing occluded it (clipped to
    the image); ``visibility`` = visible / amodal pixels; ``truncation`` = share of the projected
    3D box lying outside the image; ``occlusion`` is KITTI's bucket (0 fully visible, 1 partly,
    2 largely occluded, 3 unknown).

    3D (OpenCV camera axes x right, y down, z forward; metres): ``box_size`` full extents
    (l, w, h) along the object's local x, y, z axes; ``center_cam``/``R_cam`` the box centre
    and the rotation camera_from_box; ``center_world``/``R_world`` the same in the world frame
    (z up). ``R_obj_cam``/``t_obj_cam`` is the 6D pose camera_from_object of the body frame.
    ``keypoints`` is (L, 3) [u, v, v_flag] per link origin of an articulated body, COCO flags
    (0 not in image, 1 in image but hidden, 2 visible). ``ignore`` marks crowd/ignore regions
    (too small or too occluded to be a fair target): COCO ``iscrowd=1``, KITTI ``DontCare``.
    ``lidar_points`` counts LiDAR returns on the object (-1 when the frame has no point cloud).
    ``metadata`` is the scenario's ``objects[].metadata`` for this object, passed through as is.
    """

    instance_id: int
    object_name: str
    class_name: str
    category_id: int
    bbox: tuple[float, float, float, float]
    area: int
    rle: dict[str, Any]
    amodal_bbox: tuple[float, float, float, float] | None = None
    amodal_area: int | None = None
    amodal_rle: dict[str, Any] | None = None
    visibility: float | None = None
    truncation: float = 0.0
    occlusion: int = 3
    box_size: tuple[float, float, float] | None = None
    center_cam: tuple[float, float, float] | None = None
    R_cam: tuple[tuple[float, ...], ...] | None = None
    center_world: tuple[float, float, float] | None = None
    R_world: tuple[tuple[float, ...], ...] | None = None
    R_obj_cam: tuple[tuple[float, ...], ...] | None = None
    t_obj_cam: tuple[float, float, float] | None = None
    keypoints: list[list[float]] | None = None
    keypoint_names: tuple[str, ...] | None = None
    ignore: bool = False
    lidar_points: int = -1
    metadata: dict[str, Any] = field(default_factory=dict)
    # Share of the object a sensor effect left visible (fog transmittance, low-light SNR), 0..1;
    # None when no such effect ran. Set by simgen.randomize.effects; the label itself is kept.
    effect_visibility: float | None = None


@dataclass(frozen=True)
class VisualPart:
    """One visual shape of a body as pybullet's renderers draw it, in its link's frame (metres).

    ``link`` -1 hangs on the base, posed by ``Frame.poses``; ``link`` k >= 0 on link k, posed by
    ``ObjectTruth.link_poses[k]`` (both are centre-of-mass frames, as pybullet reports and draws
    them). ``vertices`` (N, 3) float64 and ``faces`` (M, 3) int32 triangles: primitives are the
    polytopes the renderer tessellates them into, meshes their own triangles. ``convex``: the
    part's silhouette is the convex hull of its projected vertices. ``closed``: a watertight
    surface, whose silhouette its camera-facing triangles alone cover.
    """

    link: int
    vertices: np.ndarray
    faces: np.ndarray
    convex: bool = False
    closed: bool = False


@dataclass
class ObjectTruth:
    """Simulator ground truth about one object at one frame, beyond its base pose.

    ``box_center``/``box_size``: (3,) float64 metres, the tight box of the object's visual
    geometry in its body frame (the frame of ``Frame.poses``). ``parts``: its visual geometry
    (shared by every frame of an episode), ``link_poses``: (L, 4, 4) float64 world poses of the
    links of an articulated body at this frame (None for single-link bodies): together they let
    the labels stage draw the object's whole silhouette without a renderer. ``amodal``: (h, w)
    bool mask of the whole object as if nothing hid it, placed at pixel ``amodal_offset``
    (x0, y0) of the image; filled by the labels stage (None until then). ``links``: (L, 3)
    float64 world positions of link origins of articulated bodies (None for single-link bodies),
    named by ``link_names``.
    """

    box_center: np.ndarray
    box_size: np.ndarray
    amodal: np.ndarray | None = None
    amodal_offset: tuple[int, int] = (0, 0)
    links: np.ndarray | None = None
    link_names: tuple[str, ...] = ()
    parts: tuple[VisualPart, ...] = ()
    link_poses: np.ndarray | None = None


@dataclass
class PointCloud:
    """One LiDAR sweep for labels and exporters (filled by the LiDAR sensor when present).

    ``points``: (N, 4) float32 x, y, z (metres, LiDAR frame: x forward, y left, z up) and
    reflectance in [0, 1]; ``instance``: (N,) int32 instance id per point (0 = background);
    ``world_from_lidar``: (4, 4) float64 pose of the LiDAR frame.
    """

    points: np.ndarray
    instance: np.ndarray
    world_from_lidar: np.ndarray
    name: str = "lidar"


@dataclass
class Frame:
    """One camera image and its ground truth.

    Arrays: ``rgb`` (H, W, 3) uint8; ``depth`` (H, W) float32 metres along the optical axis,
    0 where no surface lies within the far plane; ``instance`` (H, W) int32 instance id, 0 for
    background/ground; ``semantic`` (H, W) uint16 category id, 0 for background.
    ``poses`` maps instance id to its world pose ((x, y, z), (qx, qy, qz, qw)) at capture time,
    ``velocities`` to its base's world-frame (linear m/s, angular rad/s) velocity then (what
    image effects such as motion blur read: they never ask the simulator).

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
    flags: dict[str, Any] = field(default_factory=dict)  # sensor faults, see simgen.randomize.faults
    # Ground truth for 3D / amodal labels by instance id, and an optional LiDAR sweep (see PointCloud).
    truth: dict[int, ObjectTruth] = field(default_factory=dict)
    lidar: PointCloud | None = None
    normals: np.ndarray | None = None
    flow: np.ndarray | None = None
    object_coords: np.ndarray | None = None
    delivery_time: float | None = None
    velocities: dict[int, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)
    # Every non-camera sensor record (its sensor type's ``record``) captured since the previous
    # delivered frame, in capture order: MCAP writes them through their sensor type.
    sensor_records: tuple[Any, ...] = ()

    @property
    def stem(self) -> str:
        """Unique, sortable file stem: ``e000003_f000012_<camera>``."""
        return f"e{self.episode:06d}_f{self.index:06d}_{self.camera.name}"
