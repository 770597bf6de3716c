"""Detection sets for the study: simgen's COCO output or a user's plain COCO file, in one shape.

A :class:`DetectionSet` holds COCO ground truth re-keyed to the study's class list (category id
= position in the scenario's ``classes``, from 1, as simgen writes it) and the image paths.
Crowd / ignore regions (``iscrowd: 1``) stay in the ground truth for evaluation, where COCOeval
treats them as "don't care", and are left out of training targets.

A user's real set is given as ``REAL.json:IMAGES`` (annotation file, image folder). Its category
names must be scenario classes; others need a mapping (``--class-map real=scenario``), and the
error says which mapping is needed. Nothing here imports the simulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simgen.errors import SimgenError, did_you_mean


@dataclass
class DetectionSet:
    """COCO ground truth in the study's class ids plus where each image is.

    ``gt``: COCO dict (images, annotations, categories = the study's classes);
    ``paths``: image id -> image file.
    """

    name: str
    gt: dict[str, Any]
    paths: dict[int, Path]

    @property
    def image_ids(self) -> list[int]:
        """Image ids in file order."""
        return [img["id"] for img in self.gt["images"]]

    def subset(self, image_ids: list[int]) -> DetectionSet:
        """The same set restricted to ``image_ids`` (in that order)."""
        keep = set(image_ids)
        by_id = {img["id"]: img for img in self.gt["images"]}
        gt = {
            **self.gt,
            "images": [by_id[i] for i in image_ids],
            "annotations": [a for a in self.gt["annotations"] if a["image_id"] in keep],
        }
        return DetectionSet(self.name, gt, {i: self.paths[i] for i in image_ids})

    def targets(self) -> dict[int, tuple[list[list[float]], list[int]]]:
        """Training targets per image id: boxes ``[x1, y1, x2, y2]`` (pixels) and labels; crowds left out."""
        out: dict[int, tuple[list[list[float]], list[int]]] = {i: ([], []) for i in self.image_ids}
        for a in self.gt["annotations"]:
            x, y, w, h = a["bbox"]
            if a.get("iscrowd", 0) or w <= 0 or h <= 0:
                continue
            out[a["image_id"]][0].append([x, y, x + w, y + h])
            out[a["image_id"]][1].append(int(a["category_id"]))
        return out


def categories(classes: list[str]) -> list[dict[str, Any]]:
    """COCO categories of the study's class list (ids from 1)."""
    return [{"id": i + 1, "name": name, "supercategory": "object"} for i, name in enumerate(classes)]


def read_simgen_coco(dataset_dir: Path, split: str, classes: list[str], name: str) -> DetectionSet:
    """The ``split`` of a dataset simgen wrote to ``dataset_dir`` (``coco/`` layout)."""
    ann_file = dataset_dir / "coco" / "annotations" / f"instances_{split}.json"
    data = json.loads(ann_file.read_text(encoding="utf-8"))
    written = [c["name"] for c in sorted(data["categories"], key=lambda c: c["id"])]
    if written != classes:
        raise SimgenError(f"{ann_file}: classes {written} differ from the study's {classes}")
    images_dir = dataset_dir / "coco" / "images" / split
    gt = {
        "images": [{k: img[k] for k in ("id", "width", "height", "file_name")} for img in data["images"]],
        "annotations": [
            {k: a[k] for k in ("id", "image_id", "category_id", "bbox", "area", "iscrowd")} for a in data["annotations"]
        ],
        "categories": categories(classes),
    }
    return DetectionSet(name, gt, {img["id"]: images_dir / img["file_name"] for img in gt["images"]})


def parse_real_arg(text: str) -> tuple[Path, Path]:
    """``REAL.json:IMAGES`` -> (annotation file, image folder); both must exist."""
    ann, sep, images = text.rpartition(":")
    if not sep or not ann or not images:
        raise SimgenError(
            f"--real '{text}' is not ANNOTATIONS.json:IMAGE_FOLDER", hint="e.g. --real real/val.json:real/images"
        )
    ann_path, img_dir = Path(ann), Path(images)
    if not ann_path.is_file():
        raise SimgenError(f"--real: annotation file '{ann_path}' does not exist")
    if not img_dir.is_dir():
        raise SimgenError(f"--real: image folder '{img_dir}' does not exist")
    return ann_path, img_dir


def parse_class_map(text: str | None) -> dict[str, str]:
    """``--class-map pedestrian=person,automobile=car`` -> {real name: scenario class}."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        real, sep, ours = part.partition("=")
        if not sep or not real.strip() or not ours.strip():
            raise SimgenError(
                f"--class-map entry '{part}' is not REAL_NAME=SCENARIO_CLASS", hint="e.g. --class-map pedestrian=person"
            )
        mapping[real.strip()] = ours.strip()
    return mapping


def class_mapping(real_names: list[str], classes: list[str], class_map: dict[str, str], source: str) -> dict[str, str]:
    """Map each real category name to a scenario class, or raise with the mapping that is needed.

    A name maps to itself when the scenario has it, else through ``class_map``. Every name that
    maps nowhere is listed in one error, with a suggested ``--class-map`` entry per name.
    """
    bad_targets = sorted({v for v in class_map.values() if v not in classes})
    if bad_targets:
        raise SimgenError(
            f"--class-map maps to {', '.join(map(repr, bad_targets))}, not classes of the scenario",
            hint=did_you_mean(bad_targets[0], classes) or f"scenario classes: {', '.join(classes)}",
        )
    mapping: dict[str, str] = {}
    missing: list[str] = []
    for name in real_names:
        if name in class_map:
            mapping[name] = class_map[name]
        elif name in classes:
            mapping[name] = name
        else:
            missing.append(name)
    if missing:
        needed = []
        for name in missing:
            close = did_you_mean(name, classes)
            guess = close.split("'")[1] if close else "<" + "|".join(classes) + ">"
            needed.append(f"{name}={guess}")
        raise SimgenError(
            f"{source}: categories {', '.join(map(repr, missing))} are not classes of the scenario "
            f"(its classes: {', '.join(classes)})",
            hint=f"map them with --class-map {','.join(needed)}",
        )
    return mapping


def read_real_coco(text: str, classes: list[str], class_map: dict[str, str] | None = None) -> DetectionSet:
    """A user's plain COCO set ``REAL.json:IMAGES``, re-keyed to the scenario's classes.

    Raises :class:`SimgenError` (exit 2 in the CLI) when a category name is not a scenario class
    and has no ``--class-map`` entry, naming the mapping needed.
    """
    ann_path, img_dir = parse_real_arg(text)
    try:
        data = json.loads(ann_path.read_text(encoding="utf-8"))
        cats = {int(c["id"]): str(c["name"]) for c in data["categories"]}
        images, anns = data["images"], data.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SimgenError(f"{ann_path}: not a COCO instances file ({type(err).__name__}: {err})") from err
    mapping = class_mapping(list(cats.values()), classes, class_map or {}, str(ann_path))
    ours = {name: i + 1 for i, name in enumerate(classes)}
    gt_images, paths = [], {}
    for img in images:
        path = img_dir / img["file_name"]
        if not path.is_file():
            raise SimgenError(f"{ann_path}: image '{img['file_name']}' not found in '{img_dir}'")
        gt_images.append({k: img[k] for k in ("id", "width", "height", "file_name")})
        paths[img["id"]] = path
    gt_anns = []
    for a in anns:
        x, y, w, h = (float(v) for v in a["bbox"])
        gt_anns.append(
            {
                "id": a["id"],
                "image_id": a["image_id"],
                "category_id": ours[mapping[cats[int(a["category_id"])]]],
                "bbox": [x, y, w, h],
                "area": float(a.get("area", w * h)),
                "iscrowd": int(a.get("iscrowd", 0)),
            }
        )
    gt = {"images": gt_images, "annotations": gt_anns, "categories": categories(classes)}
    return DetectionSet("real", gt, paths)
