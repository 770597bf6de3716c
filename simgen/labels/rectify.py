"""The undistorted (rectified) view of a frame taken through a lens that is not a pinhole.

Formats whose geometry is a pinhole matrix (KITTI's ``P2``, BOP's ``cam_K``) are read by tools
that assume rectified images. For a camera with a plumb-bob or fisheye lens those formats get
this view: the same ``K`` and image size with no distortion. Each pixel of it samples the
rendered (distorted) images where the lens maps its ray, through the lens tables of
:mod:`simgen.core.lens`: RGB bilinear, depth and id maps nearest-neighbour. The labels are
those of the rectified view: visible masks and 2D boxes from its instance map, amodal masks
drawn with the pinhole camera, truncation and keypoints re-projected; 3D boxes and poses are
camera-frame quantities and do not change.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pycocotools import mask as mask_utils

from simgen.core.lens import distort_points
from simgen.frame import Frame, InstanceLabel
from simgen.labels.amodal import fill_amodal
from simgen.labels.geometry import box_corners, box_truncation, occlusion_level
from simgen.labels.instances import amodal_stats, encode_masks, instance_masks
from simgen.sensors.camera.model import CameraSpec

_MAPS: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
_LAST: list[object] = [None, None]


def pinhole(cam: CameraSpec) -> CameraSpec:
    """``cam`` with its lens removed: same ``K``, size and pose."""
    return dataclasses.replace(cam, distortion=None, distortion_model="opencv")


def rectify_maps(cam: CameraSpec) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) float32 ``cv2.remap`` tables: for each rectified pixel, where to sample the distorted image.

    Cached per process by (size, K, lens); pixels whose ray the lens cannot see map outside.
    """
    key = (cam.width, cam.height, cam.K.tobytes(), cam.distortion_model, tuple(cam.distortion or ()))
    if key not in _MAPS:
        if len(_MAPS) >= 32:
            _MAPS.clear()
        k = cam.K
        v, u = np.mgrid[0 : cam.height, 0 : cam.width].astype(np.float64)
        y = (v.ravel() - k[1, 2]) / k[1, 1]
        x = (u.ravel() - k[0, 2] - k[0, 1] * y) / k[0, 0]
        xy = distort_points(np.column_stack([x, y]), cam.distortion_model, tuple(cam.distortion or ()))
        seen = np.isfinite(xy).all(axis=1)
        xd, yd = np.where(seen, xy[:, 0], 0.0), np.where(seen, xy[:, 1], 0.0)
        map_x = np.where(seen, k[0, 0] * xd + k[0, 1] * yd + k[0, 2], -2.0).reshape(cam.height, cam.width)
        map_y = np.where(seen, k[1, 1] * yd + k[1, 2], -2.0).reshape(cam.height, cam.width)
        _MAPS[key] = (map_x.astype(np.float32), map_y.astype(np.float32))
    return _MAPS[key]


def _remap(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray], nearest: bool) -> np.ndarray:
    import cv2

    dtype = image.dtype
    src = image if dtype in (np.uint8, np.uint16, np.float32, np.float64) else image.astype(np.float32)
    out = cv2.remap(src, *maps, cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return out.astype(dtype) if out.dtype != dtype else out


def rectified(frame: Frame) -> Frame:
    """The frame as a pinhole camera with the same ``K`` would see it (the frame itself when it has no lens).

    The last result is kept, so several pinhole formats of one frame rectify it once.
    """
    if frame.camera.distortion is None:
        return frame
    if _LAST[0] is frame:
        return _LAST[1]  # type: ignore[return-value]
    maps = rectify_maps(frame.camera)
    out = dataclasses.replace(
        frame,
        camera=pinhole(frame.camera),
        rgb=_remap(frame.rgb, maps, nearest=False),
        depth=_remap(frame.depth, maps, nearest=True),
        instance=_remap(frame.instance, maps, nearest=True),
        semantic=_remap(frame.semantic, maps, nearest=True),
        normals=None if frame.normals is None else _remap(frame.normals, maps, nearest=True),
        object_coords=None if frame.object_coords is None else _remap(frame.object_coords, maps, nearest=True),
        flow=None,  # pixel motion of the distorted image; not re-derived here
        truth={i: dataclasses.replace(t, amodal=None, amodal_offset=(0, 0)) for i, t in frame.truth.items()},
        labels=[],
    )
    out.labels = _relabel(frame.labels, out)
    _LAST[0], _LAST[1] = frame, out
    return out


def _relabel(labels: list[InstanceLabel], frame: Frame) -> list[InstanceLabel]:
    """``labels`` redrawn for the rectified ``frame``: those no longer seen are dropped."""
    counts = np.bincount(frame.instance.ravel(), minlength=max((lab.instance_id for lab in labels), default=0) + 1)
    keep = [lab for lab in labels if counts[lab.instance_id] > 0]
    if not keep:
        return []
    ids = [lab.instance_id for lab in keep]
    masks = instance_masks(frame.instance, np.array(ids, dtype=np.int32))
    rles = encode_masks(masks)
    boxes = mask_utils.toBbox(rles)
    amodal = None
    if any(lab.amodal_bbox is not None for lab in keep):
        fill_amodal(frame.truth, ids, frame.camera, frame.poses)
        amodal = amodal_stats(masks, boxes, ids, frame.truth)
    cam = frame.camera
    out = []
    for k, lab in enumerate(keep):
        new = dataclasses.replace(lab, bbox=_box(boxes[k]), area=int(counts[lab.instance_id]))
        new.rle = rles[k]
        if amodal is not None and lab.amodal_bbox is not None:
            new.amodal_bbox = _box(amodal.boxes[k])
            new.amodal_area = int(amodal.area[k])
            new.amodal_rle = amodal.rles[k]
            new.visibility = round(new.area / max(int(amodal.area[k]), 1), 6)
            new.occlusion = occlusion_level(new.visibility)
        if lab.center_cam is not None and lab.box_size is not None and lab.R_cam is not None:
            corners = box_corners(np.asarray(lab.center_cam), np.asarray(lab.box_size), np.asarray(lab.R_cam))
            new.truncation = round(box_truncation(corners, cam.K, cam.width, cam.height, cam.near, None, "opencv"), 6)
        out.append(new)
    return out


def _box(row: np.ndarray) -> tuple[float, float, float, float]:
    """An (x, y, w, h) row of ``toBbox`` as plain floats."""
    x, y, w, h = (float(v) for v in row)
    return (x, y, w, h)


def rectified_note(fmt: str, frames: int, matrix: str) -> list[str]:
    """The summary line of a pinhole format that rectified ``frames`` lensed frames (none when 0)."""
    if not frames:
        return []
    return [
        f"{fmt}: {frames} frame(s) from cameras with a lens (plumb-bob or fisheye) written rectified: "
        f"undistorted images with the same {matrix}, labels of that view (COCO, YOLO and VOC keep the lens)"
    ]


__all__ = ["pinhole", "rectified", "rectified_note", "rectify_maps"]
