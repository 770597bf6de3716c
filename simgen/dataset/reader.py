"""The one reader behind ``simgen stats``, ``compare`` and ``report``.

It understands, in this order of preference:

1. a simgen output folder: ``DIR/coco/annotations/instances_<split>.json`` with images under
   ``DIR/coco/images/<split>/``; or, without ``coco/``, ``DIR/raw/<split>/<stem>/labels.json``
   with ``rgb.png`` next to it. ``DIR/manifest.json`` (when present) adds each episode's variant
   and sweep cell, the sampled parameters and the scenario; ``DIR/DATASET_CARD.md`` the card;
   ``DIR/raw/sensors/e<episode>/`` the non-camera sensor streams;
2. a plain COCO folder: ``DIR/annotations/instances_<split>.json`` (+ ``DIR/images/<split>/`` or
   ``DIR/<split>/``);
3. a plain COCO file ``X.json``, optionally with its image folder as ``X.json:IMAGES`` (default:
   ``images/`` next to the file, else the file's own folder).

Everything is turned into :class:`Dataset`: image records and flat :class:`Annotation` records
(visible box ``[x, y, w, h]`` in pixels, class name, and simgen's extra fields when present:
visibility, truncation, occlusion level, distance to the camera in metres, LiDAR points). Plain COCO
lacks the extras; they are ``None``. Nothing here imports the simulator.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgen.errors import SimgenError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class ImageRecord:
    """One image: its id, size, split, file (None when not found) and simgen's episode metadata."""

    id: int
    file_name: str
    width: int
    height: int
    split: str
    path: Path | None = None
    episode: int | None = None
    frame: int | None = None
    camera: str | None = None
    variant: str | None = None
    sweep: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the source's own image fields (COCO: the whole entry)


@dataclass
class Annotation:
    """One instance label, format-neutral (pixels, metres; None when the source has no such field)."""

    image_id: int
    category_id: int
    category: str
    bbox: tuple[float, float, float, float]
    area: float
    iscrowd: bool = False
    segmentation: Any = None
    visibility: float | None = None
    truncation: float | None = None
    occlusion: int | None = None
    distance: float | None = None
    lidar_points: int | None = None
    raw: dict[str, Any] | None = None  # the source's own annotation (COCO: the whole entry)


@dataclass
class Dataset:
    """A dataset as read from disk: categories, images, annotations and simgen's metadata."""

    root: Path
    kind: str  # "simgen-coco", "simgen-raw", "coco"
    categories: dict[int, str]
    images: list[ImageRecord]
    annotations: list[Annotation]
    manifest: dict[str, Any] | None = None
    card: str | None = None
    sensors_dir: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)
    licenses: list[Any] = field(default_factory=list)

    @property
    def class_names(self) -> list[str]:
        """Category names in id order."""
        return [self.categories[k] for k in sorted(self.categories)]

    def by_image(self) -> dict[int, list[Annotation]]:
        """Annotations grouped by image id (every image present, possibly with an empty list)."""
        out: dict[int, list[Annotation]] = {im.id: [] for im in self.images}
        for ann in self.annotations:
            out.setdefault(ann.image_id, []).append(ann)
        return out


def split_image_arg(arg: str | Path) -> tuple[Path, Path | None]:
    """``REAL.json:IMAGES`` -> (json path, images folder or None); a plain path -> (path, None)."""
    text = str(arg)
    head, sep, tail = text.rpartition(":")
    if sep and head.lower().endswith(".json") and tail:
        return Path(head), Path(tail)
    return Path(text), None


def open_dataset(arg: str | Path) -> Dataset:
    """Read a simgen dataset folder, a plain COCO folder, or a COCO file (``X.json[:IMAGES]``).

    Raises:
        SimgenError: the path does not exist or holds nothing this reader understands.
    """
    path, images = split_image_arg(arg)
    if not path.exists():
        raise SimgenError("no such file or folder", file=str(path))
    if path.is_file():
        return _read_coco_file(path, images)
    if images is not None:
        raise SimgenError(f"{path}: an image folder (':IMAGES') goes with a COCO .json file, not a folder")
    manifest = _read_json(path / "manifest.json") if (path / "manifest.json").is_file() else None
    card_path = path / "DATASET_CARD.md"
    card = card_path.read_text(encoding="utf-8") if card_path.is_file() else None
    sensors = path / "raw" / "sensors"
    sensors_dir = sensors if sensors.is_dir() else None
    coco_ann = sorted((path / "coco" / "annotations").glob("instances_*.json"))
    if coco_ann:
        ds = _read_coco_split_files(path, coco_ann, path / "coco" / "images", kind="simgen-coco")
    elif (path / "raw").is_dir() and any((path / "raw").glob("*/*/labels.json")):
        ds = _read_raw(path)
    elif sorted((path / "annotations").glob("instances_*.json")):
        ds = _read_coco_split_files(path, sorted((path / "annotations").glob("instances_*.json")), None, kind="coco")
    else:
        raise SimgenError(
            "not a dataset simgen can read",
            file=str(path),
            hint="expected a simgen output folder (coco/annotations/instances_<split>.json or raw/<split>/*/"
            "labels.json), a COCO folder (annotations/instances_<split>.json) or a COCO .json file",
        )
    ds.manifest, ds.card, ds.sensors_dir = manifest, card, sensors_dir
    if manifest is not None:
        _apply_manifest(ds, manifest)
    return ds


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise SimgenError(f"cannot read {path}: {err}", file=str(path)) from err
    except json.JSONDecodeError as err:
        raise SimgenError(f"not valid JSON: {err.msg}", file=str(path), line=err.lineno, col=err.colno) from err


def _check_coco(doc: Any, path: Path) -> None:
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), list) for k in ("images", "annotations")):
        raise SimgenError(
            "not a COCO instances file (needs 'images', 'annotations' and 'categories' lists)", file=str(path)
        )
    if not isinstance(doc.get("categories"), list):
        raise SimgenError("COCO file has no 'categories' list", file=str(path), path="categories")


def _read_coco_file(path: Path, images: Path | None) -> Dataset:
    doc = _read_json(path)
    _check_coco(doc, path)
    if images is None:
        images = path.parent / "images" if (path.parent / "images").is_dir() else path.parent
    elif not images.is_dir():
        raise SimgenError(f"image folder {images} does not exist", file=str(images))
    split = path.stem.removeprefix("instances_") if path.stem.startswith("instances_") else "all"
    ds = Dataset(root=path, kind="coco", categories={}, images=[], annotations=[])
    _add_coco(ds, doc, path, split, [images, images / split])
    return ds


def _read_coco_split_files(root: Path, files: list[Path], image_root: Path | None, *, kind: str) -> Dataset:
    ds = Dataset(root=root, kind=kind, categories={}, images=[], annotations=[])
    for f in files:
        split = f.stem.removeprefix("instances_")
        doc = _read_json(f)
        _check_coco(doc, f)
        if image_root is not None:
            folders = [image_root / split]
        else:
            folders = [root / "images" / split, root / split, root / "images"]
        _add_coco(ds, doc, f, split, folders)
    return ds


def _add_coco(ds: Dataset, doc: dict[str, Any], path: Path, split: str, folders: list[Path]) -> None:
    """Merge one COCO document's categories, images and annotations into ``ds``."""
    for i, cat in enumerate(doc["categories"]):
        try:
            cid, name = int(cat["id"]), str(cat["name"])
        except (KeyError, TypeError, ValueError) as err:
            raise SimgenError(
                "category needs an integer 'id' and a 'name'", file=str(path), path=f"categories[{i}]"
            ) from err
        if ds.categories.get(cid, name) != name:
            raise SimgenError(
                f"category id {cid} is '{name}' here but '{ds.categories[cid]}' in another split", file=str(path)
            )
        ds.categories[cid] = name
    ds.info = ds.info or dict(doc.get("info") or {})
    ds.licenses = ds.licenses or list(doc.get("licenses") or [])
    seen = {im.id for im in ds.images}
    for i, im in enumerate(doc["images"]):
        try:
            iid, fname = int(im["id"]), str(im["file_name"])
            width, height = int(im["width"]), int(im["height"])
        except (KeyError, TypeError, ValueError) as err:
            raise SimgenError(
                "image needs integer 'id', 'width', 'height' and a 'file_name'", file=str(path), path=f"images[{i}]"
            ) from err
        if iid in seen:
            raise SimgenError(f"image id {iid} is used twice", file=str(path), path=f"images[{i}].id")
        seen.add(iid)
        found = next((f / fname for f in folders if (f / fname).is_file()), None)
        ds.images.append(
            ImageRecord(
                id=iid,
                file_name=fname,
                width=width,
                height=height,
                split=split,
                path=found,
                episode=im.get("episode"),
                frame=im.get("frame"),
                camera=im.get("camera"),
                extra=im,
            )
        )
    for i, a in enumerate(doc["annotations"]):
        try:
            cid = int(a["category_id"])
            x, y, w, h = (float(v) for v in a["bbox"])
            ann = Annotation(
                image_id=int(a["image_id"]),
                category_id=cid,
                category=ds.categories.get(cid, f"<unknown id {cid}>"),
                bbox=(x, y, w, h),
                area=float(a.get("area", w * h)),
                iscrowd=bool(a.get("iscrowd", 0)),
                segmentation=a.get("segmentation"),
                visibility=a.get("visibility"),
                truncation=a.get("truncation"),
                occlusion=a.get("occlusion"),
                distance=_distance((a.get("box3d") or {}).get("center_cam")),
                lidar_points=a.get("lidar_points"),
                raw=a,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SimgenError(
                "annotation needs 'image_id', 'category_id' and a 4-number 'bbox'",
                file=str(path),
                path=f"annotations[{i}]",
            ) from err
        ds.annotations.append(ann)


def _distance(center: Any) -> float | None:
    """Euclidean distance (metres) of a camera-frame point, or None."""
    if not center or len(center) != 3:
        return None
    return float(math.sqrt(sum(float(c) ** 2 for c in center)))


def _read_raw(root: Path) -> Dataset:
    """Simgen's ``raw/`` layout: one folder per frame with ``labels.json`` and ``rgb.png``."""
    ds = Dataset(root=root, kind="simgen-raw", categories={}, images=[], annotations=[])
    index = root / "raw" / "index.json"
    if index.is_file():
        doc = _read_json(index)
        for i, name in enumerate(doc.get("classes") or []):
            ds.categories[i + 1] = name if isinstance(name, str) else str(name.get("name"))
    for iid, lab_path in enumerate(sorted((root / "raw").glob("*/*/labels.json")), start=1):
        doc = _read_json(lab_path)
        cam = doc.get("camera") or {}
        rgb = lab_path.parent / "rgb.png"
        ds.images.append(
            ImageRecord(
                id=iid,
                file_name=f"{lab_path.parent.name}.png",
                width=int(cam.get("width", 0)),
                height=int(cam.get("height", 0)),
                split=lab_path.parent.parent.name,
                path=rgb if rgb.is_file() else None,
                episode=doc.get("episode"),
                frame=doc.get("frame"),
                camera=cam.get("name"),
            )
        )
        for lab in doc.get("labels") or []:
            cid = int(lab["category_id"])
            ds.categories.setdefault(cid, str(lab.get("class_name", cid)))
            ds.annotations.append(
                Annotation(
                    image_id=iid,
                    category_id=cid,
                    category=ds.categories[cid],
                    bbox=tuple(float(v) for v in lab["bbox"]),  # type: ignore[arg-type]
                    area=float(lab.get("area", 0)),
                    iscrowd=bool(lab.get("ignore", False)),
                    segmentation=lab.get("rle"),
                    visibility=lab.get("visibility"),
                    truncation=lab.get("truncation"),
                    occlusion=lab.get("occlusion"),
                    distance=_distance(lab.get("center_cam")),
                    lidar_points=lab.get("lidar_points") if (lab.get("lidar_points") or -1) >= 0 else None,
                )
            )
    return ds


def sweep_key(sweep: Any) -> str | None:
    """A readable name of a sweep cell recorded in the manifest (``axis=value, ...``)."""
    if not sweep:
        return None
    values = sweep.get("values") if isinstance(sweep, dict) else None
    if isinstance(values, dict) and values:
        return ", ".join(f"{k}={v}" for k, v in values.items())
    if isinstance(sweep, dict) and "cell" in sweep:
        return f"cell {sweep['cell']}"
    return json.dumps(sweep, sort_keys=True)


def _apply_manifest(ds: Dataset, manifest: dict[str, Any]) -> None:
    """Attach each image's variant and sweep cell from the manifest's per-episode records."""
    episodes = {int(e["index"]): e for e in manifest.get("episodes") or [] if "index" in e}
    for im in ds.images:
        ep = episodes.get(im.episode) if im.episode is not None else None
        if ep is not None:
            im.variant = ep.get("variant")
            im.sweep = sweep_key(ep.get("sweep"))


__all__ = ["Annotation", "Dataset", "ImageRecord", "open_dataset", "split_image_arg", "sweep_key"]
