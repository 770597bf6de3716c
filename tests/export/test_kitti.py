"""KITTI geometry read back the devkit's way: P2 projection, alpha, velodyne points in boxes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import fake
import numpy as np
import pytest

from simgen.export.kitti import calib_text
from simgen.labels.geometry import box_corners, kitti_corners, level_from_camera


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
    assert all(frame.lidar is not None for frame in frames)  # the fake frames carry a sweep each
    checked = 0
    for i, frame in enumerate(frames):
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
            checked += 1
    assert checked >= len(frames)


def test_without_lidar_no_velodyne_folder(tmp_path):
    """Regression: a run without LiDAR left an empty velodyne/ that tools read as 'a .bin per frame'."""
    frames = fake.frames(lidar=False)
    fake.export(tmp_path, ["kitti"], frames)
    assert not (tmp_path / "kitti" / "training" / "velodyne").exists()
    assert len(list((tmp_path / "kitti" / "training" / "label_2").iterdir())) == len(frames)
    calib = read_calib(tmp_path / "kitti" / "training" / "calib" / "000000.txt")
    velo = calib["Tr_velo_to_cam"].reshape(3, 4)
    # A rigid transform: a virtual LiDAR at the camera centre, z up along world +z.
    assert np.allclose(velo[:, :3] @ velo[:, :3].T, np.eye(3)) and np.allclose(velo[:, 3], 0)
    cam_r = frames[0].camera.world_from_camera[:3, :3]
    assert np.allclose(cam_r @ velo[:, :3] @ [0, 0, 1], [0, 0, 1])


# --- the standard calibration form, read the way OpenPCDet's calibration_kitti reads it --------------


def openpcdet_calib(path: Path) -> dict[str, np.ndarray]:
    """P2, P3, R0, Tr_velo2cam taken from lines 2..5 by position, as OpenPCDet's loader does."""
    lines = path.read_text().splitlines()
    vals = [np.array(line.strip().split(" ")[1:], dtype=np.float32) for line in lines[2:6]]
    p2, p3, r0, v2c = vals
    return {"P2": p2.reshape(3, 4), "P3": p3.reshape(3, 4), "R0": r0.reshape(3, 3), "V2C": v2c.reshape(3, 4)}


def img_to_rect(calib: dict[str, np.ndarray], u: np.ndarray, v: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """OpenPCDet's Calibration.img_to_rect: fx, fy, cx, cy and tx, ty read straight from P2."""
    p2 = calib["P2"]
    cu, cv, fu, fv = p2[0, 2], p2[1, 2], p2[0, 0], p2[1, 1]
    tx, ty = p2[0, 3] / (-fu), p2[1, 3] / (-fv)
    x = ((u - cu) * depth) / fu + tx
    y = ((v - cv) * depth) / fv + ty
    return np.stack([x, y, depth], axis=1)


def rect_to_lidar(calib: dict[str, np.ndarray], pts_rect: np.ndarray) -> np.ndarray:
    """OpenPCDet's Calibration.rect_to_lidar: inverse of R0_ext @ V2C_ext."""
    r0 = np.eye(4)
    r0[:3, :3] = calib["R0"]
    v2c = np.vstack([calib["V2C"], [0, 0, 0, 1]])
    hom = np.hstack([pts_rect, np.ones((len(pts_rect), 1))])
    return (hom @ np.linalg.inv(r0 @ v2c).T)[:, :3]


def _export_pitched(out: Path, pitch: float, mode: str | None = None, lidar: bool = True) -> list:
    frames = [fake.make_frame(0, i, "train", pitch_deg=pitch, lidar=lidar) for i in range(2)]
    info = fake.info(out)
    if mode is not None:
        import dataclasses

        info = dataclasses.replace(info, options={"kitti": {"frame": mode}})
    from simgen.export.base import get_exporter

    exp = get_exporter("kitti")(info)
    exp.begin()
    recs = [exp.add(fr) for fr in frames]
    exp.finish(recs)
    return frames


@pytest.mark.parametrize("pitch", [0.0, 15.0, 40.0])
def test_calib_is_standard_form_for_pitched_cameras(tmp_path, pitch):
    """Regression: the tilt was folded into P2 and R0_rect; cx, cy read from P2 fell outside the image."""
    frames = _export_pitched(tmp_path, pitch)
    for i, frame in enumerate(frames):
        path = tmp_path / "kitti" / "training" / "calib" / f"{i:06d}.txt"
        calib = openpcdet_calib(path)
        full = read_calib(path)
        k = frame.camera.K
        assert np.allclose(calib["P2"][:, :3], k, atol=1e-4) and np.allclose(calib["P2"][:, 3], 0)
        assert np.array_equal(full["P0"], full["P2"]) and np.array_equal(full["P3"], full["P2"])  # mono camera
        assert np.allclose(calib["R0"], np.eye(3))
        cu, cv = calib["P2"][0, 2], calib["P2"][1, 2]
        assert 0 <= cu < fake.W and 0 <= cv < fake.H
        # P2 . R0_rect . Tr_velo_to_cam maps each LiDAR point to the pixel K gives its camera coordinates.
        pts = frame.lidar.points[:, :3].astype(np.float64)
        chain = calib["P2"].astype(np.float64) @ np.vstack([calib["R0"] @ calib["V2C"], [0, 0, 0, 1]])
        uvw = np.hstack([pts, np.ones((len(pts), 1))]) @ chain.T
        cam_from_lidar = np.linalg.inv(frame.camera.world_from_camera) @ frame.lidar.world_from_lidar
        x_cam = pts @ cam_from_lidar[:3, :3].T + cam_from_lidar[:3, 3]
        want = x_cam @ k.T
        assert np.allclose(uvw[:, :2] / uvw[:, 2:], want[:, :2] / want[:, 2:], atol=1e-3)
        # img_to_rect from (u, v, depth) recovers the camera points; rect_to_lidar the LiDAR points.
        u, v = (want[:, 0] / want[:, 2]), (want[:, 1] / want[:, 2])
        rect = img_to_rect(calib, u, v, x_cam[:, 2])
        assert np.allclose(rect, x_cam, atol=1e-4)
        assert np.allclose(rect_to_lidar(calib, rect), pts, atol=1e-4)


@pytest.mark.parametrize("pitch", [15.0, 40.0])
def test_img_to_rect_round_trip_on_the_depth_map(tmp_path, pitch):
    """Pixels with their metric depth go back to camera points along the right rays, the OpenPCDet way."""
    frames = _export_pitched(tmp_path, pitch, lidar=False)
    frame = frames[0]
    calib = openpcdet_calib(tmp_path / "kitti" / "training" / "calib" / "000000.txt")
    v, u = np.nonzero(frame.depth > 0)
    z = frame.depth[v, u].astype(np.float64)
    rect = img_to_rect(calib, u.astype(np.float64), v.astype(np.float64), z)
    back = rect @ frame.camera.K.T
    assert np.allclose(back[:, 0] / back[:, 2], u, atol=1e-3) and np.allclose(back[:, 1] / back[:, 2], v, atol=1e-3)
    # The same pixel through the camera pose lands on the ray from the optical centre: depth is z.
    assert np.allclose(rect[:, 2], z)


def _label_boxes(root: Path, i: int) -> list[list[str]]:
    return [f for f in read_labels(root / "training" / "label_2" / f"{i:06d}.txt") if f[0] != "DontCare"]


def _projected_extent(p2: np.ndarray, fields: list[str]) -> np.ndarray:
    h, w, length, x, y, z, ry = map(float, fields[8:15])
    corners = kitti_corners(np.array([x, y, z]), np.array([h, w, length]), ry)
    uvw = np.hstack([corners, np.ones((8, 1))]) @ p2.T
    uv = uvw[:, :2] / uvw[:, 2:3] + 0.5  # pixel centres -> pixel edges, as the 2D box
    return np.array([*uv.min(axis=0), *uv.max(axis=0)])


@pytest.mark.parametrize("pitch", [15.0, 40.0])
def test_camera_frame_boxes_enclose_the_object_and_are_counted_as_tilted(tmp_path, pitch):
    frames = _export_pitched(tmp_path, pitch)
    root = tmp_path / "kitti"
    boxes = 0
    for i, frame in enumerate(frames):
        p2 = read_calib(root / "training" / "calib" / f"{i:06d}.txt")["P2"].reshape(3, 4)
        labs = [lab for lab in frame.labels if not lab.ignore]
        for fields, lab in zip(_label_boxes(root, i), labs, strict=True):
            ext = _projected_extent(p2, fields)
            # The object's own 3D box projects inside the label box's projection (yaw-only box encloses it).
            own = box_corners(np.array(lab.center_cam), np.array(lab.box_size), np.array(lab.R_cam)) @ frame.camera.K.T
            uv = own[:, :2] / own[:, 2:] + 0.5
            assert (uv.min(axis=0) >= ext[:2] - 1e-3).all() and (uv.max(axis=0) <= ext[2:] + 1e-3).all()
            # Its up axis leans by the camera pitch from the camera's -y.
            up_dot = float(np.max(np.abs(np.array(lab.R_cam)[1, :])))
            assert math.isclose(math.degrees(math.acos(min(1.0, up_dot))), pitch, abs_tol=1e-6)
            boxes += 1
    doc = json.loads((root / "frames.json").read_text())
    assert doc["frame"] == "camera" and doc["tilt_limit_deg"] == 5.0
    assert doc["tilted_boxes"] == doc["boxes_3d"] == boxes > 0


def test_level_camera_boxes_are_exact_and_not_tilted(tmp_path):
    frames = _export_pitched(tmp_path, 0.0)
    root = tmp_path / "kitti"
    p2 = read_calib(root / "training" / "calib" / "000000.txt")["P2"].reshape(3, 4)
    for fields, lab in zip(_label_boxes(root, 0), [la for la in frames[0].labels if not la.ignore], strict=True):
        if lab.occlusion != 0 or lab.truncation > 0:
            continue
        ext = _projected_extent(p2, fields)
        assert np.allclose(ext, np.clip(list(map(float, fields[4:8])), 0, None), atol=1.0)
    assert json.loads((root / "frames.json").read_text())["tilted_boxes"] == 0


@pytest.mark.parametrize("pitch", [15.0, 40.0])
def test_level_frame_option_keeps_the_gravity_levelled_convention(tmp_path, pitch):
    frames = _export_pitched(tmp_path, pitch, mode="level")
    root = tmp_path / "kitti"
    for i, frame in enumerate(frames):
        calib = read_calib(root / "training" / "calib" / f"{i:06d}.txt")
        r0, p2 = calib["R0_rect"].reshape(3, 3), calib["P2"].reshape(3, 4)
        assert np.allclose(r0, level_from_camera(frame.camera.world_from_camera))
        assert np.allclose(p2[:, :3], frame.camera.K @ r0.T)
        # Upright objects are exact yaw-only boxes in the levelled frame: tight projections.
        for fields, lab in zip(_label_boxes(root, i), [la for la in frame.labels if not la.ignore], strict=True):
            if lab.occlusion != 0 or lab.truncation > 0:
                continue
            h, w, length, x, y, z, ry = map(float, fields[8:15])
            corners = kitti_corners(np.array([x, y, z]), np.array([h, w, length]), ry) @ r0  # rect -> camera
            own = box_corners(np.array(lab.center_cam), np.array(lab.box_size), np.array(lab.R_cam))
            assert np.allclose(np.sort(corners, axis=0), np.sort(own, axis=0), atol=1e-3)
    doc = json.loads((root / "frames.json").read_text())
    assert doc["frame"] == "level" and doc["tilted_boxes"] == 0 and doc["boxes_3d"] > 0


def test_stereo_partner_baseline_in_p3(tmp_path):
    import dataclasses

    frame = fake.make_frame(0, 0, "train")
    for b in (0.12, -0.12):
        fr = dataclasses.replace(frame, camera=dataclasses.replace(frame.camera, stereo_baseline=b))
        calib = read_calib_text(calib_text(fr))
        fx = fr.camera.K[0, 0]
        p3 = calib["P3"].reshape(3, 4)
        assert np.allclose(p3[:, :3], fr.camera.K) and np.allclose(p3[:, 3], [-fx * b, 0, 0])
        # P3 projects a point of this camera's frame to its pixel in the partner (shifted by b along x).
        x = np.array([0.3, -0.2, 4.0])
        uvw = p3 @ np.append(x, 1.0)
        want = fr.camera.K @ (x - [b, 0, 0])
        assert np.allclose(uvw[:2] / uvw[2], want[:2] / want[2])


def read_calib_text(text: str) -> dict[str, np.ndarray]:
    return {k: np.array(v.split(), dtype=float) for k, v in (line.split(":", 1) for line in text.splitlines())}
