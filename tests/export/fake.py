"""A fake renderer: Frames painted from projected 3D boxes, no pybullet.

Objects are boxes posed in front of a level camera; each is drawn as the axis-aligned rectangle
around its projected corners, far to near, so the instance map, amodal masks, depth, poses and
3D boxes are mutually consistent by construction. Used by exporter tests and golden files.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from simgen.core.transforms import project, quaternion_from_matrix
from simgen.export.base import DatasetInfo, get_exporter
from simgen.frame import Frame, ObjectTruth, PointCloud
from simgen.labels.geometry import box_corners
from simgen.labels.instances import LabelOptions, label_frame, semantic_map
from simgen.scenario.spec import ObjectInstance
from simgen.sensors.camera.model import CameraSpec

CLASSES = ("crate", "ball", "robot")
W, H = 80, 60
# OpenCV camera axes in the world: x_cam = -y_world, y_cam = -z_world, z_cam = +x_world.
WORLD_FROM_CAM_R = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def _rot_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def camera(height: float = 1.0, pitch_deg: float = 0.0) -> CameraSpec:
    """The fake camera at ``height`` looking along world +x, pitched down by ``pitch_deg``."""
    pose = np.eye(4)
    pose[:3, :3] = WORLD_FROM_CAM_R @ _rot_x(-pitch_deg)
    pose[:3, 3] = (0.0, 0.0, height)
    K = np.array([[60.0, 0.0, 39.5], [0.0, 60.0, 29.5], [0.0, 0.0, 1.0]])
    return CameraSpec(name="cam", width=W, height=H, K=K, near=0.05, far=20.0, world_from_camera=pose)


# Full extents (metres) of each fake object, a box in its body frame.
SIZES = {1: (0.5, 0.4, 0.5), 2: (0.6, 0.5, 0.6), 3: (0.3, 0.3, 0.3), 4: (0.4, 0.6, 0.4), 5: (0.2, 0.2, 0.2)}


def _obj(iid: int, name: str, cls: str) -> ObjectInstance:
    return ObjectInstance(
        instance_id=iid,
        name=name,
        source=name.split("_")[0],
        class_name=cls,
        category_id=CLASSES.index(cls) + 1,
        type="box",
        shape={"size": list(SIZES[iid])},
        position=(0.0, 0.0, 0.0),
        orientation=(0.0, 0.0, 0.0, 1.0),
        rpy_deg=(0.0, 0.0, 0.0),
        mass=1.0,
        color=None,
        friction=0.5,
        restitution=0.0,
        linear_damping=0.0,
        angular_damping=0.0,
    )


OBJECTS = (
    _obj(1, "crate_0", "crate"),
    _obj(2, "crate_1", "crate"),
    _obj(3, "ball_0", "ball"),
    _obj(4, "robot_0", "robot"),
    _obj(5, "ball_1", "ball"),
)


def _rot_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def scene(episode: int, index: int) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """(instance id, centre_cam, size, R_cam) per object; moves a little per frame and episode."""
    dx = 0.05 * index + 0.1 * episode
    return [
        (1, np.array([-0.6 + dx, 0.3, 3.0]), np.array(SIZES[1]), _rot_y(20.0)),
        (2, np.array([-0.3 + dx, 0.35, 4.0]), np.array(SIZES[2]), np.eye(3)),  # partly behind crate_0
        (3, np.array([0.7, 0.0 + dx, 2.5]), np.array(SIZES[3]), np.eye(3)),
        (4, np.array([1.45, -0.2, 2.2]), np.array(SIZES[4]), _rot_y(-35.0)),  # truncated at the right edge
        (5, np.array([0.1, -0.5, 8.0]), np.array(SIZES[5]), np.eye(3)),  # tiny: an ignore region
    ]


def make_frame(
    episode: int,
    index: int,
    split: str,
    options: LabelOptions | None = None,
    lidar: bool = True,
    pitch_deg: float = 0.0,
) -> Frame:
    """One painted frame; with ``pitch_deg`` the camera looks down and the objects stay upright in the world
    (their centres keep their camera coordinates, so they stay in view)."""
    cam = camera(pitch_deg=pitch_deg)
    cam_from_level = _rot_x(pitch_deg)
    rw = cam.world_from_camera
    instance = np.zeros((H, W), np.int32)
    depth = np.zeros((H, W), np.float32)
    truth: dict[int, ObjectTruth] = {}
    poses = {}
    pts, pid = [], []
    rng = np.random.default_rng(1000 * episode + index)
    for iid, c, size, r_level in sorted(scene(episode, index), key=lambda o: -o[1][2]):
        r = cam_from_level @ r_level
        corners = box_corners(c, size, r)
        uv = project(cam.K, corners)
        x0, y0 = np.floor(uv.min(axis=0) + 0.5).astype(int)
        x1, y1 = np.floor(uv.max(axis=0) + 0.5).astype(int)
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
        mask = np.zeros((max(yb - ya, 0), max(xb - xa, 0)), bool)
        if xb > xa and yb > ya:
            instance[ya:yb, xa:xb] = iid
            depth[ya:yb, xa:xb] = corners[:, 2].min()
            mask[:] = True
        links = None
        names: tuple[str, ...] = ()
        if iid == 4:  # an "articulated" body: base origin and one link at its top corner
            links = np.stack([c, corners[6]]) @ rw[:3, :3].T + rw[:3, 3]
            names = ("base", "arm")
        truth[iid] = ObjectTruth(
            box_center=np.zeros(3), box_size=size, amodal=mask, amodal_offset=(xa, ya), links=links, link_names=names
        )
        r_world = rw[:3, :3] @ r
        poses[iid] = (tuple(rw[:3, :3] @ c + rw[:3, 3]), tuple(quaternion_from_matrix(r_world)))
        n = 40
        local = (rng.random((n, 3)) - 0.5) * size * 0.9
        pts.append(local @ r.T + c)
        pid.append(np.full(n, iid, np.int32))
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0] = (instance * 50 % 256).astype(np.uint8)
    rgb[..., 1] = np.clip(depth * 20, 0, 255).astype(np.uint8)
    rgb[..., 2] = 90
    cloud = None
    if lidar:
        # LiDAR at the camera centre, x forward, y left, z up (same as world axes here).
        lidar_pose = np.eye(4)
        lidar_pose[:3, 3] = rw[:3, 3]
        cam_pts = np.concatenate(pts)
        world_pts = cam_pts @ rw[:3, :3].T + rw[:3, 3]
        lidar_pts = world_pts - lidar_pose[:3, 3]
        refl = np.full((len(lidar_pts), 1), 0.5)
        cloud = PointCloud(
            points=np.hstack([lidar_pts, refl]).astype(np.float32),
            instance=np.concatenate(pid),
            world_from_lidar=lidar_pose,
        )
    frame = Frame(
        episode=episode,
        index=index,
        time=round(0.125 * index + 0.5, 9),
        split=split,
        camera=cam,
        rgb=rgb,
        depth=depth,
        instance=instance,
        semantic=semantic_map(instance, OBJECTS),
        objects=OBJECTS,
        poses=poses,
        class_names=CLASSES,
        truth=truth,
        lidar=cloud,
    )
    opts = options or LabelOptions(min_visible_pixels=4, ignore_regions=True)
    return label_frame(frame, opts)


SPLITS = ("train", "val")


def frames(episodes: int = 2, per_episode: int = 2, **kw: object) -> list[Frame]:
    return [make_frame(e, f, SPLITS[e % 2], **kw) for e in range(episodes) for f in range(per_episode)]


def info(out: Path) -> DatasetInfo:
    return DatasetInfo(
        out_dir=out, name="fake", description="fake frames", class_names=CLASSES, splits=SPLITS, version="0.0.0"
    )


def export(out: Path, names: list[str], frame_list: list[Frame] | None = None) -> dict[str, list[dict]]:
    """Run exporters like the batch runner does: begin, add per frame, end_episode + flush, finish."""
    frame_list = frames() if frame_list is None else frame_list
    records: dict[str, list[dict]] = {}
    for name in names:
        exp = get_exporter(name)(info(out))
        exp.begin()
        recs = []
        for i, fr in enumerate(frame_list):
            recs.append(exp.add(fr))
            if i + 1 == len(frame_list) or frame_list[i + 1].episode != fr.episode:
                exp.end_episode(fr.episode)
                exp.flush()  # as the runner does: every file written before the episode counts as done
        import json

        recs = json.loads(json.dumps(recs))  # records travel as JSON between worker and finish
        exp = get_exporter(name)(info(out))
        exp.begin()
        exp.finish(recs)
        records[name] = recs
    return records


TEXT_SUFFIXES = (".json", ".jsonl", ".md", ".txt", ".xml", ".yaml")


def snapshot(root: Path) -> dict[str, str]:
    """Comparable view of an export: text files verbatim, binaries by kind, MCAP by topic counts.

    Image bytes depend on the PNG/JPEG library version, so only their names are kept.
    """
    out: dict[str, str] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if path.suffix in TEXT_SUFFIXES:
            out[rel] = path.read_text()
        elif path.suffix == ".mcap":
            from collections import Counter

            from mcap.reader import make_reader

            with open(path, "rb") as f:
                counts = Counter(f"{c.topic} {s.name}" for s, c, _ in make_reader(f).iter_messages())
            out[rel + ".topics.txt"] = "".join(f"{k} {v}\n" for k, v in sorted(counts.items()))
        elif path.suffix == ".npy":
            a = np.load(path)
            out[rel + ".txt"] = f"{a.dtype} {list(a.shape)} sum={float(np.asarray(a, np.float64).sum()):.6g}\n"
        else:
            out[rel + ".name"] = ""
    return out


def golden_export(out: Path) -> dict[str, dict[str, str]]:
    """Export the fake frames in every built-in format; snapshot per format."""
    from simgen.export.base import EXPORTERS, load_builtin

    load_builtin()
    names = sorted(EXPORTERS)
    export(out, names)
    return {name: snapshot(out / name) for name in names}
