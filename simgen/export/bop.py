"""BOP layout (bop_toolkit conventions): ``<split>/<scene_id>/`` per episode plus ``models/``.

Each scene holds ``rgb/``, ``depth/`` (uint16, millimetres times ``depth_scale`` = 1),
``mask/`` (amodal) and ``mask_visib/`` (visible) PNGs named ``<im_id>_<gt_id>.png``, and
``scene_camera.json`` (``cam_K``, ``cam_R_w2c``, ``cam_t_w2c``, ``depth_scale``),
``scene_gt.json`` (``cam_R_m2c`` row-major, ``cam_t_m2c`` in mm, ``obj_id``) and
``scene_gt_info.json`` (``bbox_obj``, ``bbox_visib``, ``px_count_*``, ``visib_fract``).
Scene ids are episode indices; image ids number a scene's frames (all cameras) in order.
A scene folder is staged under a hidden name while its episode renders and renamed into
place when the episode ends; ``finish`` adds the JSON files.

Models. ``obj_id`` numbers the distinct object models of the dataset (geometry and class: two
crates of different sizes are two models, two assets whose meshes are equal are one) in order of
first appearance, from 1. Each is
written once as ``models/obj_XXXXXX.ply`` (binary PLY, millimetres, in the body frame that
``cam_R_m2c``/``cam_t_m2c`` map into the camera: see :mod:`simgen.export.models3d`), with
``models/models_info.json`` (``diameter``, ``min_*``, ``size_*`` in mm, BOP symmetries of
primitives, and simgen's ``name`` = class name and ``category_id``). ``models_eval/`` holds the
same files, as the current BOP layout expects evaluation models there. Every kind with a rigid
shape has a model (primitives, mesh files, single-link URDFs, procedural assets without moving
parts); articulated bodies (ragdolls, vehicles whose wheels turn, animals whose legs swing,
URDFs with joints) are left out of the BOP ground truth, and the run summary and dataset card
say which kinds and why (:meth:`BopExporter.notes`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from simgen.core.fileio import StagedDir, write_bytes, write_json
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.encode import depth_png, encode_png_mask, encoded_rgb
from simgen.export.models3d import build_model, diameter, model_key, no_model_reason, symmetries
from simgen.frame import Frame, InstanceLabel
from simgen.kinds.registry import kind_of
from simgen.labels.instances import decode_mask
from simgen.labels.rectify import rectified, rectified_note


def amodal_mask(frame: Frame, lab: InstanceLabel, visib: np.ndarray) -> np.ndarray:
    """(H, W) bool amodal mask: the truth crop placed in the image, united with the visible mask."""
    t = frame.truth.get(lab.instance_id)
    if t is None or t.amodal is None:
        return decode_mask(lab.amodal_rle) if lab.amodal_rle is not None else visib
    full = visib.copy()
    x0, y0 = t.amodal_offset
    h, w = visib.shape
    ch, cw = t.amodal.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + cw, w), min(y0 + ch, h)
    if xb > xa and yb > ya:
        full[ya:yb, xa:xb] |= t.amodal[ya - y0 : yb - y0, xa - x0 : xb - x0]
    return full


def _flat(m: Any, scale: float = 1.0) -> list[float]:
    return [float(v) * scale for v in np.asarray(m, dtype=np.float64).ravel()]


@register_exporter
class BopExporter(Exporter):
    """BOP 6D pose ground truth, readable by the bop_toolkit."""

    name = "bop"
    summary = "BOP: per-episode scenes with scene_camera/scene_gt/scene_gt_info JSON, masks, models/*.ply (mm)"

    def __init__(self, info: Any) -> None:
        super().__init__(info)
        self.scenes: dict[int, tuple[StagedDir, list[int]]] = {}

    def add(self, frame: Frame) -> Record:
        """Write RGB, depth and masks into the episode's staged scene; return camera and GT entries.

        One worker renders a whole episode in order, so image ids (the frame's position in its
        scene) are assigned here and do not depend on the worker count.
        """
        lensed = frame.camera.distortion is not None
        frame = rectified(frame)  # cam_K is a pinhole matrix: a lensed camera is written rectified
        if frame.episode not in self.scenes:
            self.scenes[frame.episode] = (StagedDir(self.root / frame.split / f"{frame.episode:06d}"), [0])
        scene, counter = self.scenes[frame.episode]
        im_id = counter[0]
        counter[0] += 1
        scene.write(f"rgb/{im_id:06d}.png", encoded_rgb(frame, "png"))
        scene.write(f"depth/{im_id:06d}.png", depth_png(frame))
        cam = frame.camera
        cam_from_world = np.linalg.inv(cam.world_from_camera)
        gts, infos = [], []
        valid = frame.depth > 0
        keys, left_out = self._model_keys(frame)
        posed = [lab for lab in frame.labels if lab.R_obj_cam is not None and keys.get(lab.instance_id)]
        for k, lab in enumerate(posed):
            visib = frame.instance == lab.instance_id
            full = amodal_mask(frame, lab, visib)
            scene.write(f"mask_visib/{im_id:06d}_{k:06d}.png", encode_png_mask(visib))
            scene.write(f"mask/{im_id:06d}_{k:06d}.png", encode_png_mask(full))
            gts.append(
                {
                    "cam_R_m2c": _flat(lab.R_obj_cam),
                    "cam_t_m2c": _flat(lab.t_obj_cam, 1000.0),
                    "model": keys[lab.instance_id],
                }
            )
            all_px = int(full.sum())
            infos.append(
                {
                    "bbox_obj": [int(v) for v in (lab.amodal_bbox or lab.bbox)],
                    "bbox_visib": [int(v) for v in lab.bbox],
                    "px_count_all": all_px,
                    "px_count_valid": int((full & valid).sum()),
                    "px_count_visib": lab.area,
                    "visib_fract": lab.area / all_px if all_px else 0.0,
                }
            )
        camera = {
            "cam_K": _flat(cam.K),
            "cam_R_w2c": _flat(cam_from_world[:3, :3]),
            "cam_t_w2c": _flat(cam_from_world[:3, 3], 1000.0),
            "depth_scale": 1.0,
            "width": cam.width,
            "height": cam.height,
        }
        record = {
            "split": frame.split,
            "episode": frame.episode,
            "im_id": im_id,
            "camera": camera,
            "gt": gts,
            "gt_info": infos,
            **({"rectified": True} if lensed else {}),
        }
        if left_out:
            record["left_out"] = left_out
        return record

    def _model_keys(self, frame: Frame) -> tuple[dict[int, str | None], dict[str, str]]:
        """Model key of every labelled object with a pose, and ``{type: why}`` for those without a model.

        A body with links (labels with keypoints) is rigid only when its kind says its links are
        fixed (a procedural asset's material parts); otherwise its shape changes between frames.
        """
        objects = {o.instance_id: o for o in frame.objects}
        keys: dict[int, str | None] = {}
        left_out: dict[str, str] = {}
        for lab in frame.labels:
            o = objects.get(lab.instance_id)
            if o is None or lab.R_obj_cam is None:
                continue
            why = no_model_reason(o.type, o.shape, self.info.base_dir)
            if why is None and lab.keypoints is not None and not kind_of(o.type).fixed_links:
                why = "a body with moving links changes shape between frames"
            if why is not None:
                left_out.setdefault(o.type, why)
                keys[lab.instance_id] = None
            else:
                keys[lab.instance_id] = model_key(o.type, o.shape, o.class_name, self.info.base_dir)
        return keys, left_out

    def end_episode(self, episode: int) -> None:
        """Rename the episode's staged scene folder into place."""
        staged = self.scenes.pop(episode, None)
        if staged is not None:
            staged[0].commit()

    def abort(self, episode: int) -> None:
        """Drop the episode's staged scene folder (an earlier committed scene stays)."""
        staged = self.scenes.pop(episode, None)
        if staged is not None:
            staged[0].abort()

    def finish(self, records: list[Record]) -> None:
        """Write the scene JSONs, the models with models_info.json, and camera.json."""
        scenes: dict[tuple[str, int], list[Record]] = {}
        models = _Models(self.info.base_dir)  # model key -> obj_id, one id per distinct geometry
        for rec in records:
            scenes.setdefault((rec["split"], rec["episode"]), []).append(rec)
            for gt in rec["gt"]:
                models.add(gt["model"])
        for (split, episode), recs in scenes.items():
            scene = self.root / split / f"{episode:06d}"
            cams, gts, infos = {}, {}, {}
            if not scene.is_dir():
                raise FileNotFoundError(f"BOP scene of episode {episode} is missing: {scene}")
            for rec in recs:
                key = str(rec["im_id"])
                cams[key] = {k: v for k, v in rec["camera"].items() if k not in ("width", "height")}
                gts[key] = [
                    {"cam_R_m2c": g["cam_R_m2c"], "cam_t_m2c": g["cam_t_m2c"], "obj_id": models.ids[g["model"]]}
                    for g in rec["gt"]
                ]
                infos[key] = rec["gt_info"]
            write_json(scene / "scene_camera.json", cams, indent=1)
            write_json(scene / "scene_gt.json", gts, indent=1)
            write_json(scene / "scene_gt_info.json", infos, indent=1)
        self.write_models(models)
        if records:
            first = records[0]["camera"]
            k = first["cam_K"]
            write_json(
                self.root / "camera.json",
                {
                    "cx": k[2],
                    "cy": k[5],
                    "fx": k[0],
                    "fy": k[4],
                    "width": first["width"],
                    "height": first["height"],
                    "depth_scale": 1.0,
                },
                indent=1,
            )

    def notes(self, records: list[Record]) -> list[str]:
        """Name the object kinds left out of the ground truth, and why; and the frames written rectified."""
        rectified = rectified_note("bop", sum(1 for r in records if r.get("rectified")), "cam_K")
        left: dict[str, str] = {}
        for rec in records:
            for kind, why in rec.get("left_out", {}).items():
                left.setdefault(kind, why)
        if not left:
            return rectified
        listed = "; ".join(f"{kind} ({why})" for kind, why in sorted(left.items()))
        return [f"{self.name}: no rigid model, so no 6D ground truth, for {listed}", *rectified]

    def write_models(self, models: _Models) -> None:
        """``models/`` and ``models_eval/``: one PLY (mm, body frame) per obj_id and ``models_info.json``."""
        if not models.ids:
            return
        info: dict[str, dict[str, Any]] = {}
        for obj_id, (desc, mesh) in models.first.items():
            mesh = mesh.copy()
            mesh.apply_scale(1000.0)
            ply = mesh.export(file_type="ply", encoding="binary")
            for folder in ("models", "models_eval"):
                write_bytes(self.root / folder / f"obj_{obj_id:06d}.ply", ply)
            lo, hi = mesh.bounds
            size = hi - lo
            info[str(obj_id)] = {
                "diameter": diameter(mesh.vertices),
                "min_x": float(lo[0]),
                "min_y": float(lo[1]),
                "min_z": float(lo[2]),
                "size_x": float(size[0]),
                "size_y": float(size[1]),
                "size_z": float(size[2]),
                **symmetries(desc["type"], desc["shape"]),
                "name": desc["class"],
                "category_id": self.info.class_names.index(desc["class"]) + 1,
            }
        for folder in ("models", "models_eval"):
            write_json(self.root / folder / "models_info.json", info, indent=1)


class _Models:
    """obj_ids of model keys: in order of first appearance, one per distinct (type, class, geometry).

    Keys name a model by its sampled parameters; two keys whose meshes are equal (a procedural
    asset whose looks do not depend on its instance seed) share one obj_id and one PLY.
    """

    def __init__(self, base_dir: Any) -> None:
        self.base_dir = base_dir
        self.ids: dict[str, int] = {}
        self.first: dict[int, tuple[dict[str, Any], Any]] = {}
        self._by_geometry: dict[str, int] = {}

    def add(self, key: str) -> None:
        """Give ``key`` its obj_id (building its mesh the first time the key is seen)."""
        if key in self.ids:
            return
        desc = json.loads(key)
        mesh = build_model(desc["type"], desc["shape"], self.base_dir)
        if mesh is None:
            raise ValueError(f"object model {key} could not be built")
        digest = hashlib.sha256(
            json.dumps([desc["type"], desc["class"]]).encode()
            + np.ascontiguousarray(mesh.vertices, dtype=np.float64).tobytes()
            + np.ascontiguousarray(mesh.faces, dtype=np.int64).tobytes()
        ).hexdigest()
        if digest not in self._by_geometry:
            self._by_geometry[digest] = len(self._by_geometry) + 1
            self.first[self._by_geometry[digest]] = (desc, mesh)
        self.ids[key] = self._by_geometry[digest]
