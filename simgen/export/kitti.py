"""KITTI object layout: ``training/{image_2,label_2,calib,velodyne}/NNNNNN.*`` + ``ImageSets/<split>.txt``.

Frames are written under their stem by workers and renamed to 6-digit ids in dataset order at
``finish``, so ids never depend on the worker count. ``frames.json`` maps ids back to stems.

Geometry. KITTI boxes are upright (yaw only) in the rectified camera frame with y pointing
down. For a pitched camera, ``R0_rect`` rotates the OpenCV camera frame into a gravity-levelled
one (same heading, y along world -z), and ``P0..P3 = K [R0_rect^T | 0]``, so that
``P2 @ R0_rect @ X_cam`` is the pixel of camera point ``X_cam`` as KITTI's devkit computes it.
Each label's box is the tightest upright box around the object's oriented box (exact for
objects standing upright); ``alpha = rotation_y - atan2(x, z)``. All four P matrices are the
one simulated camera (no stereo pair). ``Tr_velo_to_cam`` is camera_from_lidar (3x4) when the
frame carries a LiDAR sweep, else the fixed axis swap of a LiDAR at the camera centre
(x forward, y left, z up); ``Tr_imu_to_velo`` is the identity (no IMU pose is recorded).
``velodyne/NNNNNN.bin`` (float32 x, y, z, reflectance) is written only for frames with a sweep.

Label lines carry all 15 fields; 2D boxes are the amodal box clipped to the image when the
amodal pass ran (else the visible box); crowd/ignore regions become ``DontCare``.
"""

from __future__ import annotations

import json
import os

import numpy as np

from simgen.export.atomic import write_bytes, write_json, write_text
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.encode import encoded_rgb, promote, rows, safe_token
from simgen.labels.geometry import box_corners, kitti_alpha, kitti_box, level_from_camera
from simgen.sensors.frame import Frame, InstanceLabel

# Axes of a LiDAR at the camera centre (x forward, y left, z up) expressed in OpenCV camera axes.
CAM_FROM_VELO_AXES = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def _m(values: np.ndarray) -> str:
    return " ".join(f"{v:.12e}" for v in np.asarray(values, dtype=np.float64).ravel())


def calib_text(frame: Frame) -> str:
    """The calib file: P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo, in that order."""
    cam = frame.camera
    r0 = level_from_camera(cam.world_from_camera)
    p = np.zeros((3, 4))
    p[:, :3] = cam.K @ r0.T
    if frame.lidar is not None:
        cam_from_lidar = np.linalg.inv(cam.world_from_camera) @ frame.lidar.world_from_lidar
        velo = cam_from_lidar[:3, :]
    else:
        velo = np.hstack([CAM_FROM_VELO_AXES, np.zeros((3, 1))])
    imu = np.hstack([np.eye(3), np.zeros((3, 1))])
    lines = [f"P{i}: {_m(p)}" for i in range(4)]
    lines += [f"R0_rect: {_m(r0)}", f"Tr_velo_to_cam: {_m(velo)}", f"Tr_imu_to_velo: {_m(imu)}"]
    return "\n".join(lines) + "\n"


def label_line(lab: InstanceLabel, r0: np.ndarray, width: int, height: int) -> str:
    """One 15-field KITTI label line (type truncated occluded alpha bbox dimensions location rotation_y)."""
    box = lab.amodal_bbox if lab.amodal_bbox is not None else lab.bbox
    x0, y0 = box[0], box[1]
    x1, y1 = min(box[0] + box[2], width), min(box[1] + box[3], height)
    if lab.ignore:
        return f"DontCare -1 -1 -10 {x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f} -1 -1 -1 -1000 -1000 -1000 -10"
    kind = safe_token(lab.class_name)
    if lab.center_cam is None or lab.R_cam is None or lab.box_size is None:
        box2d = f"{x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f}"
        return f"{kind} {lab.truncation:.2f} {lab.occlusion} -10 {box2d} -1 -1 -1 -1000 -1000 -1000 -10"
    r_rect = r0 @ rows(lab.R_cam)
    corners = box_corners(r0 @ np.asarray(lab.center_cam), lab.box_size, r_rect)
    up = int(np.argmax(np.abs(r_rect[1, :])))
    heading = r_rect[:, [a for a in range(3) if a != up][0]]
    loc, (h, w, length), ry = kitti_box(corners, heading)
    alpha = kitti_alpha(ry, loc[0], loc[2])
    return (
        f"{kind} {lab.truncation:.2f} {lab.occlusion} {alpha:.4f} {x0:.2f} {y0:.2f} {x1:.2f} {y1:.2f} "
        f"{h:.4f} {w:.4f} {length:.4f} {loc[0]:.4f} {loc[1]:.4f} {loc[2]:.4f} {ry:.4f}"
    )


@register_exporter
class KittiExporter(Exporter):
    """KITTI object detection (2D + 3D) in the devkit's layout."""

    name = "kitti"
    summary = "KITTI object: training/image_2, label_2 (15 fields), calib, velodyne; 6-digit ids"
    folders = ("image_2", "label_2", "calib", "velodyne")

    def begin(self) -> None:
        """Create ``training/*`` and ``ImageSets``."""
        for sub in self.folders:
            (self.root / "training" / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "ImageSets").mkdir(parents=True, exist_ok=True)

    def add(self, frame: Frame) -> Record:
        """Write image, labels, calib (and the LiDAR sweep) under the frame's stem."""
        t = self.root / "training"
        stem = frame.stem
        r0 = level_from_camera(frame.camera.world_from_camera)
        h, w = frame.instance.shape
        write_bytes(t / "image_2" / f"{stem}.png", encoded_rgb(frame, "png"), durable=False)
        text = "".join(label_line(lab, r0, w, h) + "\n" for lab in frame.labels)
        write_text(t / "label_2" / f"{stem}.txt", text, durable=False)
        write_text(t / "calib" / f"{stem}.txt", calib_text(frame), durable=False)
        has_velo = frame.lidar is not None
        if has_velo:
            write_bytes(
                t / "velodyne" / f"{stem}.bin",
                np.ascontiguousarray(frame.lidar.points, np.float32).tobytes(),
                durable=False,
            )
        return {"split": frame.split, "stem": stem, "velodyne": has_velo}

    def finish(self, records: list[Record]) -> None:
        """Rename frames to 6-digit ids in dataset order; write split lists and the id map."""
        t = self.root / "training"
        per_split: dict[str, list[str]] = {s: [] for s in self.info.splits}
        index = []
        for i, rec in enumerate(records):
            fid = f"{i:06d}"
            per_split[rec["split"]].append(fid)
            index.append({"id": fid, "stem": rec["stem"], "split": rec["split"]})
        # The id map goes first, so that ``reopen`` can undo a rename that a killed finish began.
        write_json(self.root / "frames.json", {"synthetic": True, "frames": index}, indent=1)
        for row, rec in zip(index, records, strict=True):
            for sub, ext in self._files(rec["velodyne"]):
                promote(t / sub / f"{row['stem']}.{ext}", t / sub / f"{row['id']}.{ext}")
        for split, ids in per_split.items():
            write_text(self.root / "ImageSets" / f"{split}.txt", "".join(f"{x}\n" for x in ids))

    @staticmethod
    def _files(velodyne: bool) -> list[tuple[str, str]]:
        files = [("image_2", "png"), ("label_2", "txt"), ("calib", "txt")]
        return files + [("velodyne", "bin")] if velodyne else files

    def reopen(self) -> None:
        """Rename id-named frames back to their stems (from ``frames.json``), then drop the map."""
        index_file = self.root / "frames.json"
        if not index_file.exists():
            return
        t = self.root / "training"
        for row in json.loads(index_file.read_text())["frames"]:
            # A frame id has a velodyne file only if that frame had a sweep: trying all four is exact.
            for sub, ext in self._files(True):
                staged, final = t / sub / f"{row['stem']}.{ext}", t / sub / f"{row['id']}.{ext}"
                if final.exists() and not staged.exists():
                    os.replace(final, staged)
        index_file.unlink()
