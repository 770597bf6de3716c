"""Checks of a BOP export the way bop_toolkit reads it: binary PLY models in mm, poses onto masks."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import cv2
import numpy as np

# Binary types bop_toolkit's inout.load_ply can read.
BOP_PLY_TYPES = {"float": ("f", 4), "double": ("d", 8), "int": ("i", 4), "uchar": ("B", 1)}


def read_ply(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) points and (M, 3) faces of a binary little-endian PLY, read the way bop_toolkit reads it."""
    data = path.read_bytes()
    head, body = data.split(b"end_header\n", 1)
    lines = head.decode("ascii").splitlines()
    assert lines[0] == "ply" and lines[1] == "format binary_little_endian 1.0"
    n_pts = n_faces = 0
    vprops: list[str] = []
    section = None
    for line in lines:
        parts = line.split()
        if line.startswith("element vertex"):
            n_pts, section = int(parts[-1]), "v"
        elif line.startswith("element face"):
            n_faces, section = int(parts[-1]), "f"
        elif line.startswith("property list"):
            assert section == "f" and parts[2:] == ["uchar", "int", "vertex_indices"]
        elif line.startswith("property"):
            assert section == "v" and parts[1] in BOP_PLY_TYPES
            vprops.append(parts[1])
    fmt = "<" + "".join(BOP_PLY_TYPES[t][0] for t in vprops)
    size = struct.calcsize(fmt)
    pts = np.array([struct.unpack_from(fmt, body, i * size)[:3] for i in range(n_pts)])
    faces = np.frombuffer(body[n_pts * size :], dtype=np.dtype([("n", "u1"), ("i", "<i4", (3,))]), count=n_faces)
    assert (faces["n"] == 3).all()
    return pts, faces["i"]


def check_bop(out: Path, skip_k: list[np.ndarray] = ()) -> int:
    """Assert bop_toolkit's conventions on every ground-truth entry; returns how many were checked.

    Images whose ``cam_K`` equals one of ``skip_k`` get the model checks but not the projection
    check (cameras with lens distortion: BOP's pinhole ``cam_K`` does not describe them).
    """
    root = out / "bop"
    info = json.loads((root / "models" / "models_info.json").read_text())
    checked = 0
    for scene in sorted(p for p in root.glob("*/*") if (p / "scene_gt.json").exists()):
        gt = json.loads((scene / "scene_gt.json").read_text())
        gt_info = json.loads((scene / "scene_gt_info.json").read_text())
        cams = json.loads((scene / "scene_camera.json").read_text())
        for im_id, entries in gt.items():
            k = np.reshape(cams[im_id]["cam_K"], (3, 3))
            for gt_id, (g, gi) in enumerate(zip(entries, gt_info[im_id], strict=True)):
                model = info[str(g["obj_id"])]
                pts, faces = read_ply(root / "models" / f"obj_{g['obj_id']:06d}.ply")
                size = pts.max(axis=0) - pts.min(axis=0)
                assert np.allclose([model["size_x"], model["size_y"], model["size_z"]], size, rtol=1e-5, atol=1e-3)
                assert model["diameter"] >= size.max() - 1e-3 and model["diameter"] <= np.linalg.norm(size) + 1e-3
                assert size.max() > 10.0, "models are in millimetres"
                r = np.reshape(g["cam_R_m2c"], (3, 3))
                assert np.allclose(r @ r.T, np.eye(3), atol=1e-6)
                centres = pts[faces].mean(axis=1) @ r.T + np.asarray(g["cam_t_m2c"])
                front = centres[:, 2] > 0
                uv = centres[front] @ k.T
                px = np.floor(uv[:, :2] / uv[:, 2:] + 0.5).astype(int)
                mask = cv2.imread(str(scene / "mask" / f"{int(im_id):06d}_{gt_id:06d}.png"), cv2.IMREAD_UNCHANGED)
                h, w = mask.shape
                inside = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
                distorted = any(np.allclose(k, np.asarray(s_k)) for s_k in skip_k)
                if gi["px_count_all"] == 0 or not inside.any() or distorted:
                    continue
                wide = cv2.dilate(mask, np.ones((5, 5), np.uint8)) > 0
                on = wide[px[inside, 1], px[inside, 0]]
                assert on.mean() > 0.97, f"{scene.name}/{im_id}/{gt_id}: model off its mask ({on.mean():.2f})"
                checked += 1
    return checked
