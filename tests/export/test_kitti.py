"""KITTI geometry read back the devkit's way: P2 projection, alpha, velodyne points in boxes."""

from __future__ import annotations

import math
from pathlib import Path

import fake
import numpy as np
import pytest

from simgen.labels.geometry import kitti_corners


def read_calib(path: Path) -> dict[str, np.ndarray]:
    out = {}
    for line in path.read_text().splitlines():
        key, vals = line.split(":", 1)
        out[key] = np.array([float(v) for v in vals.split()])
    return out


def read_labels(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def kitti(tmp_path_factory):
    out = tmp_path_factory.mktemp("kitti")
    frames = fake.frames()
    fake.export(out, ["kitti"], frames)
    return out / "kitti", frames


def test_layout_and_field_count(kitti):
    root, frames = kitti
    names = sorted(p.name for p in (root / "training" / "image_2").iterdir())
    assert names == [f"{i:06d}.png" for i in range(len(frames))]
    for i in range(len(frames)):
        calib = (root / "training" / "calib" / f"{i:06d}.txt").read_text().splitlines()
        assert [c.split(":")[0] for c in calib] == [
            "P0",
            "P1",
            "P2",
            "P3",
            "R0_rect",
            "Tr_velo_to_cam",
            "Tr_imu_to_velo",
        ]
        for fields in read_labels(root / "training" / "label_2" / f"{i:06d}.txt"):
            assert len(fields) == 15
    assert (root / "ImageSets" / "train.txt").read_text().split() == ["000000", "000001"]


def test_boxes_projected_with_p2_land_on_2d_boxes(kitti):
    root, frames = kitti
    checked = 0
    for i, frame in enumerate(frames):
        calib = read_calib(root / "training" / "calib" / f"{i:06d}.txt")
        p2 = calib["P2"].reshape(3, 4)
        for fields, lab in zip(read_labels(root / "training" / "label_2" / f"{i:06d}.txt"), frame.labels, strict=True):
            if fields[0] == "DontCare":
                assert lab.ignore
                continue
            x0, y0, x1, y1 = map(float, fields[4:8])
            h, w, length, x, y, z, ry = map(float, fields[8:15])
            alpha = float(fields[3])
            assert math.isclose(math.remainder(alpha - (ry - math.atan2(x, z)), 2 * math.pi), 0.0, abs_tol=1e-3)
            corners = kitti_corners(np.array([x, y, z]), np.array([h, w, length]), ry)
            uvw = np.hstack([corners, np.ones((8, 1))]) @ p2.T
            uv = uvw[:, :2] / uvw[:, 2:3]
            # The 2D box is clipped to the image; so is the projection (pixel edges at -0.5, W-0.5).
            px0, py0 = np.maximum(uv.min(axis=0) + 0.5, 0)
            px1, py1 = np.minimum(uv.max(axis=0) + 0.5, [fake.W, fake.H])
            tol = 1.0 if lab.occlusion == 0 else 3.0
            assert abs(px0 - x0) <= tol and abs(py0 - y0) <= tol and abs(px1 - x1) <= tol and abs(py1 - y1) <= tol
            checked += 1
    assert checked >= 8


def test_velodyne_points_fall_inside_their_boxes(kitti):
    root, frames = kitti
    for i, frame in enumerate(frames):
        if frame.lidar is None:
            pytest.skip("no LiDAR sweep in these frames")
        pts = np.fromfile(root / "training" / "velodyne" / f"{i:06d}.bin", dtype=np.float32).reshape(-1, 4)
        assert np.array_equal(pts, frame.lidar.points)
        calib = read_calib(root / "training" / "calib" / f"{i:06d}.txt")
        velo = calib["Tr_velo_to_cam"].reshape(3, 4)
        r0 = calib["R0_rect"].reshape(3, 3)
        rect = (pts[:, :3].astype(np.float64) @ velo[:, :3].T + velo[:, 3]) @ r0.T
        labs = [lab for lab in frame.labels if not lab.ignore]
        for fields, lab in zip(
            [f for f in read_labels(root / "training" / "label_2" / f"{i:06d}.txt") if f[0] != "DontCare"],
            labs,
            strict=True,
        ):
            h, w, length, x, y, z, ry = map(float, fields[8:15])
            c, s = math.cos(ry), math.sin(ry)
            local = rect - np.array([x, y, z])
            lx = local[:, 0] * c - local[:, 2] * s
            lz = local[:, 0] * s + local[:, 2] * c
            inside = (
                (np.abs(lx) <= length / 2 + 1e-3)
                & (np.abs(lz) <= w / 2 + 1e-3)
                & (local[:, 1] <= 1e-3)
                & (local[:, 1] >= -h - 1e-3)
            )
            mine = frame.lidar.instance == lab.instance_id
            assert mine.sum() == lab.lidar_points > 0
            assert inside[mine].all()


def test_without_lidar_no_velodyne_files(tmp_path):
    frames = fake.frames(lidar=False)
    fake.export(tmp_path, ["kitti"], frames)
    assert not any((tmp_path / "kitti" / "training" / "velodyne").iterdir())
    assert len(list((tmp_path / "kitti" / "training" / "label_2").iterdir())) == len(frames)
