"""KITTI object layout: ``training/{image_2,label_2,calib,velodyne}/NNNNNN.*`` + ``ImageSets/<split>.txt``.

Frames are written under their stem by workers and renamed to 6-digit ids in dataset order at
``finish``, so ids never depend on the worker count. ``frames.json`` maps ids back to stems and
records the label frame and the count of tilted boxes (below).

Calibration (option ``output.kitti.frame``, default ``camera``), lines in KITTI's order
``P0 P1 P2 P3 R0_rect Tr_velo_to_cam Tr_imu_to_velo`` (loaders such as OpenPCDet's
``get_calib_from_file`` read them by position):

- ``camera`` (the standard form that mono-3D and depth code assumes): ``P2 = [K | 0]``, so fx,
  fy, cx, cy read from ``P2`` are the camera's intrinsics; ``R0_rect = I``; labels (location,
  dimensions, rotation_y, alpha) are in the camera's own optical frame (x right, y down,
  z forward). ``P0 = P1 = P2``; ``P3`` projects into the stereo partner of a stereo camera,
  ``[K | -fx*b, 0, 0]`` with ``b`` the partner's offset along this camera's +x (``+B`` for the
  left camera, as KITTI's ``P3``; ``-B`` for the right one), else ``P3 = P2``.
- ``level`` (LiDAR-centred users): ``R0_rect`` rotates the OpenCV camera frame into a
  gravity-levelled one (same heading, y along world -z), ``P0..P3 = K [R0_rect^T | 0]``, and
  labels live in that levelled frame, so boxes of upright objects are exact for pitched cameras
  (but ``P2`` then holds no plain intrinsic matrix).

In both, ``P2 @ R0_rect @ Tr_velo_to_cam`` maps a LiDAR point to its pixel. ``Tr_velo_to_cam``
is camera_from_lidar (3x4) when the frame carries a LiDAR sweep; without one it places a virtual
gravity-levelled LiDAR at the camera centre (x forward along the camera's heading, y left, z
up; the camera's own axes when it looks straight down or up), a rigid transform every KITTI
loader parses. ``Tr_imu_to_velo`` is the identity (no IMU pose is recorded).

Boxes. A KITTI box turns about the label frame's y axis only. Each label's box is the tightest
such box around the object's oriented box: exact when the object's up axis (the box axis
nearest the frame's -y) is parallel to -y, enclosing otherwise. Boxes whose up axis is tilted
more than :data:`TILT_LIMIT_DEG` from -y are counted (``frames.json`` ``tilted_boxes``, the run
summary, the dataset card): with the default ``camera`` frame every upright object seen by a
camera pitched more than that is such a box. ``alpha = rotation_y - atan2(x, z)``.

Label lines carry all 15 fields; 2D boxes are the amodal box clipped to the image when the
amodal pass ran (else the visible box); crowd/ignore regions become ``DontCare``.
``velodyne/NNNNNN.bin`` (float32 x, y, z, reflectance) is written only for frames with a sweep,
and the folder exists only when some frame has one.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from simgen.core.fileio import write_bytes, write_json, write_text
from simgen.export.base import Exporter, Record, empty_split_notes, register_exporter
from simgen.export.encode import encoded_rgb, promote, rows, safe_token
from simgen.frame import Frame, InstanceLabel
from simgen.labels.geometry import box_corners, kitti_alpha, kitti_box, level_from_camera
from simgen.labels.rectify import rectified, rectified_note

# Axes of a LiDAR (x forward, y left, z up) expressed in OpenCV camera axes of the same heading.
CAM_FROM_VELO_AXES = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])

# A box whose up axis leans more than this from the label frame's -y cannot be exact as a
# yaw-only KITTI box (its enclosing box is then measurably larger than the object).
TILT_LIMIT_DEG = 5.0

FRAMES = ("camera", "level")


def _m(values: np.ndarray) -> str:
    return " ".join(f"{v:.12e}" for v in np.asarray(values, dtype=np.float64).ravel())


def rect_from_camera(frame: Frame, mode: str = "camera") -> np.ndarray:
    """(3, 3) rotation from the OpenCV camera frame to the frame labels are written in (``R0_rect``)."""
    if mode == "level":
        return level_from_camera(frame.camera.world_from_camera)
    return np.eye(3)


def calib_text(frame: Frame, mode: str = "camera") -> str:
    """The calib file: P0..P3, R0_rect, Tr_velo_to_cam, Tr_imu_to_velo, in that order."""
    cam = frame.camera
    r0 = rect_from_camera(frame, mode)
    p = np.zeros((3, 4))
    p[:, :3] = cam.K @ r0.T
    p3 = p.copy()
    if cam.stereo_baseline:
        # The partner sits at (b, 0, 0) in this camera's frame: x_partner = x_cam - (b, 0, 0).
        p3[:, 3] = cam.K @ np.array([-cam.stereo_baseline, 0.0, 0.0])
    if frame.lidar is not None:
        cam_from_lidar = np.linalg.inv(cam.world_from_camera) @ frame.lidar.world_from_lidar
        velo = cam_from_lidar[:3, :]
    else:
        velo = np.hstack([level_from_camera(cam.world_from_camera).T @ CAM_FROM_VELO_AXES, np.zeros((3, 1))])
    imu = np.hstack([np.eye(3), np.zeros((3, 1))])
    lines = [f"P{i}: {_m(p)}" for i in range(3)] + [f"P3: {_m(p3)}"]
    lines += [f"R0_rect: {_m(r0)}", f"Tr_velo_to_cam: {_m(velo)}", f"Tr_imu_to_velo: {_m(imu)}"]
    return "\n".join(lines) + "\n"


def box_tilt_deg(lab: InstanceLabel, r0: np.ndarray) -> float | None:
    """Angle (degrees) between the label's up axis and the label frame's -y; None without a 3D box."""
    if lab.R_cam is None:
        return None
    r_rect = r0 @ rows(lab.R_cam)
    return math.degrees(math.acos(min(1.0, float(np.max(np.abs(r_rect[1, :]))))))


def label_line(lab: InstanceLabel, r0: np.ndarray, width: int, height: int) -> str:
    """One 15-field KITTI label line (type truncated occluded alpha bbox dimensions location rotation_y).

    ``r0`` is ``R0_rect``: the 3D box is written in the frame ``r0 @ X_cam``.
    """
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
    corners = box_corners(r0 @ np.asarray(lab.center_cam), np.asarray(lab.box_size), r_rect)
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

    @property
    def frame_mode(self) -> str:
        """Label frame: ``camera`` (standard, default) or ``level`` (scenario ``output.kitti.frame``)."""
        mode = str(self.info.options.get("kitti", {}).get("frame", "camera"))
        if mode not in FRAMES:
            raise ValueError(f"unknown KITTI frame {mode!r}; expected one of {FRAMES}")
        return mode

    def add(self, frame: Frame) -> Record:
        """Write image, labels, calib (and the LiDAR sweep) under the frame's stem.

        A camera with a lens is written rectified (:mod:`simgen.labels.rectify`): KITTI's ``P2``
        is a pinhole matrix and its tools assume undistorted images.
        """
        lensed = frame.camera.distortion is not None
        frame = rectified(frame)
        t = self.root / "training"
        stem = frame.stem
        mode = self.frame_mode
        r0 = rect_from_camera(frame, mode)
        h, w = frame.instance.shape
        write_bytes(t / "image_2" / f"{stem}.png", encoded_rgb(frame, "png"), durable=False)
        text = "".join(label_line(lab, r0, w, h) + "\n" for lab in frame.labels)
        write_text(t / "label_2" / f"{stem}.txt", text, durable=False)
        write_text(t / "calib" / f"{stem}.txt", calib_text(frame, mode), durable=False)
        has_velo = frame.lidar is not None
        if frame.lidar is not None:
            write_bytes(
                t / "velodyne" / f"{stem}.bin",
                np.ascontiguousarray(frame.lidar.points, np.float32).tobytes(),
                durable=False,
            )
        tilts = [box_tilt_deg(lab, r0) for lab in frame.labels if not lab.ignore]
        tilted = sum(1 for t_deg in tilts if t_deg is not None and t_deg > TILT_LIMIT_DEG)
        boxes = sum(1 for t_deg in tilts if t_deg is not None)
        record = {"split": frame.split, "stem": stem, "velodyne": has_velo, "boxes": boxes, "tilted": tilted}
        return {**record, "rectified": True} if lensed else record

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
        doc = {"synthetic": True, **self.facts(records), "frames": index}
        write_json(self.root / "frames.json", doc, indent=1)
        for row, rec in zip(index, records, strict=True):
            for sub, ext in self._files(rec["velodyne"]):
                promote(t / sub / f"{row['stem']}.{ext}", t / sub / f"{row['id']}.{ext}")
        for split, ids in per_split.items():
            if ids:  # an empty list would be read as a split to evaluate on
                write_text(self.root / "ImageSets" / f"{split}.txt", "".join(f"{x}\n" for x in ids))

    def facts(self, records: list[Record]) -> dict[str, Any]:
        """Label frame, 3D box count and tilted-box count of the export."""
        return {
            "frame": self.frame_mode,
            "boxes_3d": sum(int(r.get("boxes", 0)) for r in records),
            "tilted_boxes": sum(int(r.get("tilted", 0)) for r in records),
            "tilt_limit_deg": TILT_LIMIT_DEG,
            **({"rectified_frames": rectified} if (rectified := sum(1 for r in records if r.get("rectified"))) else {}),
        }

    def notes(self, records: list[Record]) -> list[str]:
        """The label frame and how many 3D boxes cannot be exact as yaw-only boxes."""
        f = self.facts(records)
        other = "level (gravity-levelled)" if f["frame"] == "camera" else "camera (standard)"
        return (
            [
                f"kitti: labels in the {f['frame']} frame (output.kitti.frame: {other} is the other choice); "
                f"{f['tilted_boxes']} of {f['boxes_3d']} 3D boxes lean > {TILT_LIMIT_DEG:g} deg from that frame's up "
                "axis, so their yaw-only boxes enclose them"
            ]
            + rectified_note("kitti", f.get("rectified_frames", 0), "P2")
            + empty_split_notes(self.name, self.info.splits, records, "ImageSets/{}.txt")
        )

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
