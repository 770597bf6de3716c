"""``simgen stats``: what is in a dataset, where it is thin, and whether its labels are sane.

:func:`dataset_stats` returns one JSON-ready dict:

- ``counts``: images and annotations in total, per class, per split, per variant (edge case) and
  per sweep cell (from ``manifest.json``'s per-episode records), and the empty-frame rate;
- ``distributions``: per feature (:data:`FEATURES`) a summary (n, min, 5th percentile, median, mean,
  95th percentile, max) and a 20-bin histogram; image-relative features are in ``[0, 1]`` so
  datasets of different resolutions compare;
- ``duplicates``: near-duplicate image pairs by a 64-bit difference hash (dHash: the signs of
  horizontal gradients of an 9x8 grey thumbnail), split into pairs inside one episode (consecutive
  frames, expected), across episodes, and across splits (leakage);
- ``sanity``: boxes outside their image, zero-area labels, masks whose tight box or pixel count
  disagrees with the box/area, labels with unknown category or image ids;
- ``targets``: achieved against target shares when the scenario states ``targets:``.

Crowd / ignore regions (``iscrowd: 1``) are counted separately and left out of the distributions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from simgen.dataset.reader import Annotation, Dataset, ImageRecord

#: Per-annotation features: name -> (description, unit).
FEATURES: dict[str, tuple[str, str]] = {
    "size": ("sqrt(box area / image area)", "fraction of image"),
    "aspect": ("box width / height", "ratio"),
    "cx": ("box centre x / image width", "fraction"),
    "cy": ("box centre y / image height", "fraction"),
    "distance": ("object centre distance to the camera", "m"),
    "visibility": ("visible / amodal pixels", "fraction"),
    "truncation": ("share of the object outside the image", "fraction"),
    "occlusion": ("KITTI occlusion level (0 fully visible .. 3 unknown)", "level"),
}
HASH_DISTANCE = 5  # of 64 bits: dHash pairs this close are near-duplicates
MAX_LISTED = 20  # examples kept per problem kind in the output
BOX_TOLERANCE = 0.5  # pixels a box may stick out of its image, or differ from its mask's box


def feature_values(ds: Dataset, anns: Iterable[Annotation] | None = None) -> dict[str, np.ndarray]:
    """(N,) float64 per feature for the non-crowd annotations (NaN where a source lacks the field)."""
    images = {im.id: im for im in ds.images}
    rows: dict[str, list[float]] = {k: [] for k in FEATURES}
    nan = float("nan")
    for a in ds.annotations if anns is None else anns:
        im = images.get(a.image_id)
        if a.iscrowd or im is None or im.width <= 0 or im.height <= 0:
            continue
        x, y, w, h = a.bbox
        rows["size"].append(float(np.sqrt(max(w, 0) * max(h, 0) / (im.width * im.height))))
        rows["aspect"].append(w / h if h > 0 else nan)
        rows["cx"].append((x + w / 2) / im.width)
        rows["cy"].append((y + h / 2) / im.height)
        rows["distance"].append(nan if a.distance is None else float(a.distance))
        rows["visibility"].append(nan if a.visibility is None else float(a.visibility))
        rows["truncation"].append(nan if a.truncation is None else float(a.truncation))
        rows["occlusion"].append(nan if a.occlusion is None else float(a.occlusion))
    return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}


def summarize(values: np.ndarray, bins: int = 20) -> dict[str, Any] | None:
    """Summary and histogram of the finite values, or None when there are none."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return None
    lo, hi = float(v.min()), float(v.max())
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi if hi > lo else lo + 1.0))
    return {
        "n": int(v.size),
        "min": lo,
        "p5": float(np.percentile(v, 5)),
        "median": float(np.median(v)),
        "mean": float(v.mean()),
        "p95": float(np.percentile(v, 95)),
        "max": hi,
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


def _counts(ds: Dataset) -> dict[str, Any]:
    by_image = ds.by_image()
    images = {im.id: im for im in ds.images}
    per_class: Counter[str] = Counter({n: 0 for n in ds.class_names})
    crowd: Counter[str] = Counter()
    for a in ds.annotations:
        (crowd if a.iscrowd else per_class)[a.category] += 1
    images_per_class = Counter(
        name for anns in by_image.values() for name in {a.category for a in anns if not a.iscrowd}
    )

    def group(key: str) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for iid, anns in by_image.items():
            im = images.get(iid)
            if im is None:
                continue
            k = getattr(im, key)
            k = "(none)" if k is None else str(k)
            g = out.setdefault(k, {"images": 0, "annotations": 0, "episodes": 0})
            g["images"] += 1
            g["annotations"] += sum(1 for a in anns if not a.iscrowd)
        episodes: dict[str, set[int]] = {}
        for im in ds.images:
            k = getattr(im, key)
            if im.episode is not None:
                episodes.setdefault("(none)" if k is None else str(k), set()).add(im.episode)
        for k, g in out.items():
            g["episodes"] = len(episodes.get(k, ()))
        return dict(sorted(out.items()))

    empty = sum(1 for anns in by_image.values() if not any(not a.iscrowd for a in anns))
    out: dict[str, Any] = {
        "images": len(ds.images),
        "annotations": sum(per_class.values()),
        "crowd_regions": sum(crowd.values()),
        "episodes": len({im.episode for im in ds.images if im.episode is not None}),
        "empty_images": empty,
        "empty_frame_rate": empty / len(ds.images) if ds.images else 0.0,
        "per_class": {n: {"annotations": per_class[n], "images": images_per_class.get(n, 0)} for n in per_class},
        "per_split": group("split"),
    }
    if any(im.variant is not None for im in ds.images):
        out["per_variant"] = group("variant")
    if any(im.sweep is not None for im in ds.images):
        out["per_sweep_cell"] = group("sweep")
    return out


def dhash(path: Path) -> int | None:
    """64-bit difference hash of an image file (None when it cannot be read)."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        return None
    small = cv2.resize(img, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def hamming_pairs(hashes: list[int], max_distance: int) -> list[tuple[int, int, int]]:
    """(i, j, distance) for every pair i < j whose 64-bit hashes differ in at most ``max_distance`` bits."""
    if len(hashes) < 2:
        return []
    words = np.array(hashes, dtype=np.uint64)
    bits = ((words[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).astype(np.float32)
    out: list[tuple[int, int, int]] = []
    chunk = max(1, min(2048, 20_000_000 // len(hashes)))  # keeps each (chunk, n) product near 80 MB
    for s in range(0, len(hashes), chunk):
        a = bits[s : s + chunk]
        d = a @ (1 - bits).T + (1 - a) @ bits.T  # Hamming distance as two matrix products
        ii, jj = np.nonzero(d <= max_distance)
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            if s + i < j:
                out.append((s + i, j, int(round(d[i, j]))))
    return out


def near_duplicates(ds: Dataset, max_distance: int = HASH_DISTANCE) -> dict[str, Any]:
    """Near-duplicate image pairs by dHash, grouped by whether they share an episode or a split."""
    ims: list[ImageRecord] = []
    hashes: list[int] = []
    for im in ds.images:
        h = dhash(im.path) if im.path is not None else None
        if h is not None:
            ims.append(im)
            hashes.append(h)
    pairs = hamming_pairs(hashes, max_distance)
    same_episode = cross_episode = cross_split = 0
    listed: list[dict[str, Any]] = []
    for i, j, d in pairs:
        a, b = ims[i], ims[j]
        if a.split != b.split:
            cross_split += 1
        if a.episode is not None and a.episode == b.episode and a.split == b.split:
            same_episode += 1
        else:
            cross_episode += 1
        if len(listed) < MAX_LISTED:
            listed.append({"a": f"{a.split}/{a.file_name}", "b": f"{b.split}/{b.file_name}", "distance": d})
    return {
        "hashed_images": len(hashes),
        "max_distance": max_distance,
        "pairs": len(pairs),
        "pairs_same_episode": same_episode,
        "pairs_across_episodes": cross_episode,
        "pairs_across_splits": cross_split,
        "examples": listed,
    }


def label_sanity(ds: Dataset) -> dict[str, Any]:
    """Count (and list a few of) labels that cannot be right; see the module docstring."""
    from pycocotools import mask as mask_util

    images = {im.id: im for im in ds.images}
    problems: dict[str, list[str]] = {
        "outside_image": [],
        "zero_area": [],
        "mask_box_mismatch": [],
        "mask_area_mismatch": [],
        "unknown_category": [],
        "unknown_image": [],
    }
    for n, a in enumerate(ds.annotations):
        im = images.get(a.image_id)
        where = f"annotation {n} ({a.category})" + (f" in {im.split}/{im.file_name}" if im else "")
        if im is None:
            problems["unknown_image"].append(f"{where}: image id {a.image_id} not in the dataset")
            continue
        if a.category_id not in ds.categories:
            problems["unknown_category"].append(f"{where}: category id {a.category_id} not declared")
        x, y, w, h = a.bbox
        tol = BOX_TOLERANCE
        if x < -tol or y < -tol or x + w > im.width + tol or y + h > im.height + tol:
            problems["outside_image"].append(f"{where}: box {list(a.bbox)} outside {im.width}x{im.height}")
        if w <= 0 or h <= 0 or a.area <= 0:
            problems["zero_area"].append(f"{where}: box {list(a.bbox)}, area {a.area}")
        rle = _rle(a.segmentation, im, mask_util)
        if rle is None:
            continue
        mbox = [float(v) for v in mask_util.toBbox(rle)]
        if max(abs(p - q) for p, q in zip(mbox, a.bbox, strict=True)) > tol:
            problems["mask_box_mismatch"].append(f"{where}: box {list(a.bbox)} but mask's box {mbox}")
        if isinstance(a.segmentation, dict) and not a.iscrowd:
            marea = int(mask_util.area(rle))
            if abs(marea - a.area) > 0.5:
                problems["mask_area_mismatch"].append(f"{where}: area {a.area} but mask has {marea} pixels")
    return {
        "checked_annotations": len(ds.annotations),
        "counts": {k: len(v) for k, v in problems.items()},
        "examples": {k: v[:MAX_LISTED] for k, v in problems.items() if v},
        "ok": not any(problems.values()),
    }


def _rle(seg: Any, im: ImageRecord, mask_util: Any) -> Any:
    """Compressed RLE of a COCO segmentation (RLE dict or polygons), or None when there is none."""
    if not seg:
        return None
    if isinstance(seg, dict):
        counts = seg.get("counts")
        if isinstance(counts, list):
            return mask_util.frPyObjects(seg, *seg["size"])
        return {"size": seg["size"], "counts": counts.encode() if isinstance(counts, str) else counts}
    if isinstance(seg, list) and seg and all(isinstance(p, list) and len(p) >= 6 for p in seg):
        return mask_util.merge(mask_util.frPyObjects(seg, im.height, im.width))
    return None


def dataset_stats(ds: Dataset, *, duplicates: bool = True) -> dict[str, Any]:
    """Everything ``simgen stats`` reports, as one JSON-ready dict (see the module docstring)."""
    values = feature_values(ds)
    out: dict[str, Any] = {
        "dataset": str(ds.root),
        "kind": ds.kind,
        "classes": ds.class_names,
        "counts": _counts(ds),
        "distributions": {k: summarize(v) for k, v in values.items()},
        "sanity": label_sanity(ds),
    }
    if duplicates:
        out["duplicates"] = near_duplicates(ds)
    from simgen.dataset.rebalance import achieved_vs_target

    targets = achieved_vs_target(ds)
    if targets is not None:
        out["targets"] = targets
    return out


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return [line(cells[0]), "  ".join("-" * w for w in widths), *[line(r) for r in cells[1:]]]


def format_stats(stats: dict[str, Any]) -> str:
    """The stats as terminal tables."""
    c = stats["counts"]
    lines = [
        f"dataset {stats['dataset']} ({stats['kind']}): {c['images']} images, {c['annotations']} annotations, "
        f"{c['episodes']} episodes, {c['crowd_regions']} crowd regions",
        f"empty frames: {c['empty_images']} ({100 * c['empty_frame_rate']:.1f} %)",
        "",
    ]
    total = max(1, c["annotations"])
    rows = [
        [n, v["annotations"], f"{100 * v['annotations'] / total:.1f} %", v["images"]] for n, v in c["per_class"].items()
    ]
    lines += table(["class", "annotations", "share", "images"], rows) + [""]
    for key, title in (("per_split", "split"), ("per_variant", "variant"), ("per_sweep_cell", "sweep cell")):
        if key in c:
            rows = [[k, v["episodes"], v["images"], v["annotations"]] for k, v in c[key].items()]
            lines += table([title, "episodes", "images", "annotations"], rows) + [""]
    rows = []
    for name, s in stats["distributions"].items():
        if s is not None:
            rows.append([name, s["n"], *(f"{s[k]:.3g}" for k in ("min", "p5", "median", "mean", "p95", "max"))])
    lines += table(["feature", "n", "min", "p5", "median", "mean", "p95", "max"], rows) + [""]
    if "duplicates" in stats:
        d = stats["duplicates"]
        lines.append(
            f"near-duplicates (dHash <= {d['max_distance']} of 64 bits, {d['hashed_images']} images): "
            f"{d['pairs']} pairs ({d['pairs_same_episode']} inside one episode, "
            f"{d['pairs_across_episodes']} across episodes, "
            f"{d['pairs_across_splits']} across splits)"
        )
    s = stats["sanity"]
    bad = {k: v for k, v in s["counts"].items() if v}
    lines.append(
        f"label sanity ({s['checked_annotations']} labels): "
        + ("ok" if s["ok"] else ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in bad.items()))
    )
    for kind, examples in s.get("examples", {}).items():
        lines += [f"  {kind}: {e}" for e in examples[:3]]
    if "targets" in stats:
        lines += ["", *format_targets(stats["targets"])]
    return "\n".join(lines)


def format_targets(t: dict[str, Any]) -> list[str]:
    """Achieved against target shares as a table."""
    rows = []
    for kind in ("classes", "variants"):
        for name, v in (t.get(kind) or {}).items():
            rows.append(
                [
                    f"{kind[:-2] if kind == 'classes' else 'variant'} {name}",
                    f"{v['target']:.3f}",
                    f"{v['achieved']:.3f}",
                    "under" if v.get("under") else "ok",
                ]
            )
    return table(["target", "target share", "achieved", ""], rows)


__all__ = ["FEATURES", "dataset_stats", "dhash", "feature_values", "format_stats", "hamming_pairs", "summarize"]
