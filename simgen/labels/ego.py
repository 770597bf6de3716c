"""The ego body of a camera is not an object to detect.

A body that carries a sensor is that sensor's ego (nuScenes and KITTI never label the ego
vehicle). For a camera, the ego is the object instance of its ``mount`` (``CameraSpec.mount``);
the scenario's ``labels.ego`` says what its frames get for it:

- ``ignore`` (default): no object label, but an ignore region over its visible pixels
  (``InstanceLabel.ignore``: COCO ``iscrowd: 1``, KITTI ``DontCare``, VOC ``difficult``; YOLO and
  BOP have no ignore region and leave it out). Its 3D box, pose, keypoints and amodal fields are
  dropped: a box around the camera's own footing means nothing to a detector;
- ``exclude``: nothing at all;
- ``label``: labeled like any other object.

A LiDAR never returns points from its own mount body (see :mod:`simgen.sensors.lidar.runtime`), whatever
the policy. Per-pixel maps (instance, semantic) keep the ego's id: they are the scene's ground
truth and let a user mask the ego out. One filter step on the labels of one frame, after they are
computed, so labelling itself does not need to know about mounts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simgen.frame import Frame, InstanceLabel

EGO_POLICIES = ("ignore", "exclude", "label")
DEFAULT_EGO = "ignore"

# Fields of an ego ignore region that would describe the ego as an object: cleared.
_OBJECT_FIELDS: dict[str, Any] = {
    "amodal_bbox": None,
    "amodal_area": None,
    "amodal_rle": None,
    "box_size": None,
    "center_cam": None,
    "R_cam": None,
    "center_world": None,
    "R_world": None,
    "R_obj_cam": None,
    "t_obj_cam": None,
    "keypoints": None,
    "keypoint_names": None,
}


def ego_ids(frame: Frame) -> set[int]:
    """Label ids (as written into the instance map) of the body the frame's camera is mounted on."""
    mount = frame.camera.mount
    if mount is None:
        return set()
    return {o.label for o in frame.objects if o.name == mount and o.label != 0}


def apply_ego_policy(labels: list[InstanceLabel], frame: Frame, policy: str = DEFAULT_EGO) -> list[InstanceLabel]:
    """``labels`` of ``frame`` with the camera's ego dropped (``exclude``) or made an ignore region (``ignore``)."""
    if policy not in EGO_POLICIES:
        raise ValueError(f"unknown ego policy {policy!r}; expected one of {EGO_POLICIES}")
    ids = ego_ids(frame) if policy != "label" else set()
    if not ids:
        return labels
    if policy == "exclude":
        return [lab for lab in labels if lab.instance_id not in ids]
    return [
        dataclasses.replace(lab, ignore=True, **_OBJECT_FIELDS) if lab.instance_id in ids else lab for lab in labels
    ]


__all__ = ["DEFAULT_EGO", "EGO_POLICIES", "apply_ego_policy", "ego_ids"]
