"""``simgen mix``: a user's real COCO dataset plus simgen datasets, as one hybrid dataset.

Layout of ``MIXED/``:

- ``coco/annotations/instances_<split>.json`` + ``coco/images/<split>/``; ``yolo/data.yaml`` +
  ``yolo/images/<split>/`` + ``yolo/labels/<split>/`` (``cls cx cy w h``, class = COCO id - 1);
  ``voc/`` (``Annotations``, ``JPEGImages``, ``ImageSets/Main/<split>.txt``, ``labelmap.txt``,
  written with :mod:`simgen.export.voc`'s pieces); any of them (``--formats``);
- ``provenance.jsonl``: one line per image, in COCO id order: ``id``, ``split``, ``file_name``,
  ``synthetic``, ``source`` (the dataset it came from), ``original_id``, ``original_file_name`` and,
  for synthetic frames, ``scenario``, ``episode``, ``frame``, ``camera``;
- ``DATASET_CARD.md``: sources (with the real dataset's ``info`` and ``licenses``), real/synthetic
  images and annotations per class, the split policy, and achieved against target shares.

Rules:

- **Categories** are the real dataset's, in its id order, renumbered 1..K (YOLO 0..K-1), the same
  in every format. Synthetic class names map by name or through ``--map synthetic=real`` (or a
  YAML file); a synthetic class with no real counterpart is an error that suggests a mapping.
- **Provenance** goes into each COCO image (``synthetic``, ``source``, ``original_id``, ...) and
  into ``provenance.jsonl`` (YOLO has no place for it). Real COCO image fields (``license``,
  ``coco_url``, ``date_captured``, ...) are carried over.
- **Splits**: real images keep their split (``instances_<split>.json``; a file named otherwise is
  ``train``), or with ``--real-val SHARE`` groups of real images (``--group-by FIELD``, an image
  field such as ``video_id``; default: each image alone) go to ``val`` by a seeded draw; a real set
  with no ``val`` split gets ``DEFAULT_REAL_VAL`` of its groups held out that way (said in the
  summary and the card). Synthetic
  frames go to ``train`` only (validation stays real), unless ``--synthetic-val`` keeps their own
  split; whole episodes are chosen, so frames of one episode never straddle splits.
- **How many synthetic frames**: all; or ``--ratio R``, synthetic share of training images
  (whole episodes, in a seeded order, while they bring the share closer to R); or
  ``--fill-classes [TARGETS]`` (``0.05`` = every class at least 5 % of training annotations, or
  ``defect=0.2,person=0.1``): episodes are added greedily, each time the one that most reduces the
  total shortfall under the targets, until none does. Achieved against target is reported with
  :func:`simgen.dataset.rebalance.achieved_vs_target`, as ``simgen stats`` does for ``targets:``.
- **Images** are hard-linked, symlinked or copied (``--link``), never re-encoded, except that VOC's
  ``JPEGImages`` gets a JPEG (quality 95) of every image that is not one already.
- Everything is checked before anything is written (unknown classes, missing images, image ids
  used twice); the output is built in a hidden sibling folder and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgen.dataset.reader import Annotation, Dataset, ImageRecord
from simgen.errors import SimgenError

MIX_FORMATS = ("coco", "yolo", "voc")
LINK_MODES = ("hardlink", "symlink", "copy")
MAX_LISTED = 5


@dataclass
class Item:
    """One image of the mix: where it comes from, where it goes."""

    image: ImageRecord
    anns: list[Annotation]
    synthetic: bool
    source: str
    split: str
    scenario: str | None = None
    file_name: str = ""
    id: int = 0


@dataclass
class MixPlan:
    """What goes into the mix, decided before anything is written."""

    categories: list[str]
    items: list[Item]
    real: Dataset
    synthetic: list[Dataset]
    mapping: dict[int, dict[str, str]]  # synthetic dataset index -> its class -> real class
    targets: dict[str, Any] | None = None
    achieved: dict[str, Any] | None = None
    ratio: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)


def parse_fill(text: str | None, categories: list[str]) -> dict[str, float]:
    """``0.05`` (every class) or ``name=share,...`` as class -> share; unknown names are errors."""
    if text is None:
        return {}
    text = text.strip() or "0.05"
    try:
        if "=" not in text:
            share = float(text)
            out = dict.fromkeys(categories, share)
        else:
            out = {}
            for part in text.split(","):
                name, _, value = part.partition("=")
                out[name.strip()] = float(value)
    except ValueError as err:
        raise SimgenError(f"--fill-classes '{text}' is not a share or name=share pairs", hint="e.g. 0.05") from err
    from simgen.errors import did_you_mean

    for name, share in out.items():
        if name not in categories:
            raise SimgenError(
                f"--fill-classes names class '{name}', not in the real dataset", hint=did_you_mean(name, categories)
            )
        if not 0 <= share <= 1:
            raise SimgenError(f"--fill-classes share for '{name}' must be in [0, 1], got {share}")
    if sum(out.values()) > 1 + 1e-9 and "=" in text:
        raise SimgenError(f"--fill-classes shares add up to {sum(out.values()):g}, more than 1")
    return out


def _check_images(ds: Dataset, what: str) -> None:
    missing = [im.file_name for im in ds.images if im.path is None]
    if missing:
        more = f" and {len(missing) - MAX_LISTED} more" if len(missing) > MAX_LISTED else ""
        raise SimgenError(
            f"{what} {ds.root}: image files not found: {', '.join(missing[:MAX_LISTED])}{more}",
            hint="give the image folder as REAL.json:IMAGES" if what == "real dataset" else None,
        )


def _check_labels(ds: Dataset, what: str) -> None:
    """Every annotation names a declared category and an image of the set (nothing dropped silently)."""
    bad_cats = sorted({a.category_id for a in ds.annotations} - set(ds.categories))
    if bad_cats:
        raise SimgenError(f"{what} {ds.root}: annotations use undeclared category ids {bad_cats}")
    bad_images = sorted({a.image_id for a in ds.annotations} - {im.id for im in ds.images})
    if bad_images:
        raise SimgenError(f"{what} {ds.root}: annotations refer to image ids not in the set: {bad_images[:MAX_LISTED]}")


DEFAULT_REAL_VAL = 0.2  # share of real groups held out as val when the real set has no val split


def _real_splits(
    real: Dataset, val_share: float | None, group_by: str | None, seed: int, notes: list[str] | None = None
) -> dict[int, str]:
    """Image id -> split for the real images.

    Without ``--real-val``, real images keep their split; when none of them is ``val``,
    ``DEFAULT_REAL_VAL`` of the groups are held out as val (so validation never measures training
    images), and ``notes`` says so.
    """
    if val_share is None:
        kept = {im.id: ("train" if im.split == "all" else im.split) for im in real.images}
        if "val" in kept.values() or not kept:
            return kept
        val_share = DEFAULT_REAL_VAL
        if notes is not None:
            by = f"groups of '{group_by}'" if group_by else "images"
            notes.append(
                f"the real dataset has no val split: {100 * val_share:g} % of its {by} were held out as val "
                "(a seeded draw; --real-val SHARE to choose the share, --real-val 0 to hold out none)"
            )
    if not 0 <= val_share < 1:
        raise SimgenError(f"--real-val must be in [0, 1), got {val_share}")
    groups: dict[str, list[int]] = {}
    for im in real.images:
        if group_by is not None and group_by not in im.extra:
            raise SimgenError(f"real image {im.id} ({im.file_name}) has no field '{group_by}' to group by")
        key = json.dumps(im.extra.get(group_by) if group_by else im.id)
        groups.setdefault(key, []).append(im.id)
    names = sorted(groups)
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(_MIX_KEY, 0)))
    order = [names[i] for i in rng.permutation(len(names))]
    n_val = int(round(val_share * len(order)))
    out = {}
    for rank, key in enumerate(order):
        for iid in groups[key]:
            out[iid] = "val" if rank < n_val else "train"
    return out


_MIX_KEY = int.from_bytes(b"mix", "little")


def plan_mix(
    real: Dataset,
    synthetic: list[Dataset],
    *,
    mapping: dict[str, str] | None = None,
    ratio: float | None = None,
    fill: str | None = None,
    synthetic_val: bool = False,
    real_val: float | None = None,
    group_by: str | None = None,
    seed: int = 0,
) -> MixPlan:
    """Decide every image of the mix and its split; raises on any problem, writes nothing."""
    if ratio is not None and fill is not None:
        raise SimgenError("give --ratio or --fill-classes, not both")
    if ratio is not None and not 0 < ratio < 1:
        raise SimgenError(f"--ratio is the synthetic share of training images, in (0, 1); got {ratio}")
    categories = real.class_names
    if len(set(categories)) != len(categories):
        raise SimgenError(f"real dataset {real.root} names a category twice: {categories}")
    _check_images(real, "real dataset")
    _check_labels(real, "real dataset")
    maps = _class_maps(synthetic, categories, mapping)
    notes: list[str] = []
    splits = _real_splits(real, real_val, group_by, seed, notes)
    by_image = real.by_image()
    items = [
        Item(image=im, anns=by_image.get(im.id, []), synthetic=False, source=str(real.root), split=splits[im.id])
        for im in real.images
    ]
    episodes = _synthetic_episodes(synthetic, maps, synthetic_val, seed)
    plan = MixPlan(categories=categories, items=items, real=real, synthetic=synthetic, mapping=maps, notes=notes)
    if ratio is not None:
        chosen = _choose_ratio(items, episodes, ratio)
    elif fill is not None:
        plan.targets = parse_fill(fill, categories)
        chosen = _choose_fill(items, episodes, plan.targets, categories)
    else:
        chosen = episodes
    for ep in chosen:
        items.extend(ep)
    train = [it for it in items if it.split == "train"]
    plan.ratio = {
        "synthetic_train_images": sum(it.synthetic for it in train),
        "train_images": len(train),
        "achieved": sum(it.synthetic for it in train) / max(1, len(train)),
    }
    if ratio is not None:
        plan.ratio["target"] = ratio
    if plan.targets is not None:
        from simgen.dataset.rebalance import achieved_vs_target

        plan.achieved = achieved_vs_target(_as_dataset(plan, train), {"classes": plan.targets})
    _name_and_number(plan)
    return plan


def _class_maps(
    synthetic: list[Dataset], categories: list[str], mapping: dict[str, str] | None
) -> dict[int, dict[str, str]]:
    """Per synthetic dataset (by position), its class names -> the real dataset's; checks ``--map``."""
    from simgen.dataset.compare import class_mapping

    maps: dict[int, dict[str, str]] = {}
    for k, ds in enumerate(synthetic):
        _check_images(ds, "synthetic dataset")
        _check_labels(ds, "synthetic dataset")
        used = mapping or {}
        own = {name: target for name, target in used.items() if name in ds.class_names}
        try:
            maps[k] = class_mapping(ds.class_names, categories, own)
        except SimgenError as err:
            message = err.issues[0].message.replace("the reference", "the real dataset")
            message = message.replace("reference classes", "real classes")
            raise SimgenError(f"synthetic dataset {ds.root}: {message}", hint=err.issues[0].hint) from None
    unused = sorted(set(mapping or {}) - {n for ds in synthetic for n in ds.class_names})
    if unused:
        raise SimgenError(f"--map names classes no synthetic dataset has: {', '.join(unused)}")
    return maps


def _synthetic_episodes(
    synthetic: list[Dataset], maps: dict[int, dict[str, str]], synthetic_val: bool, seed: int
) -> list[list[Item]]:
    """Synthetic candidates as whole episodes (never split), relabelled to real classes, in a seeded order."""
    episodes: list[list[Item]] = []
    for k, ds in enumerate(synthetic):
        scenario = ((ds.manifest or {}).get("scenario") or {}).get("name")
        sb = ds.by_image()
        groups: dict[Any, list[Item]] = {}
        for im in ds.images:
            anns = [Annotation(**{**a.__dict__, "category": maps[k][a.category]}) for a in sb.get(im.id, [])]
            split = im.split if synthetic_val else "train"
            key = (im.episode, im.split) if im.episode is not None else ("image", im.id)
            groups.setdefault(key, []).append(
                Item(image=im, anns=anns, synthetic=True, source=str(ds.root), split=split, scenario=scenario)
            )
        episodes += [groups[key] for key in groups]
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(_MIX_KEY, 1)))
    episodes = [episodes[i] for i in rng.permutation(len(episodes))]
    return episodes


def _class_counts(items: list[Item], categories: list[str]) -> np.ndarray:
    counts = np.zeros(len(categories))
    index = {n: i for i, n in enumerate(categories)}
    for it in items:
        for a in it.anns:
            if not a.iscrowd:
                counts[index[a.category]] += 1
    return counts


def _choose_ratio(items: list[Item], episodes: list[list[Item]], ratio: float) -> list[list[Item]]:
    n_real = sum(1 for it in items if it.split == "train")
    chosen, n_syn = [], 0
    for ep in episodes:
        n = sum(1 for it in ep if it.split == "train")
        now = abs(n_syn / max(1, n_real + n_syn) - ratio)
        after = abs((n_syn + n) / max(1, n_real + n_syn + n) - ratio)
        if after < now:
            chosen.append(ep)
            n_syn += n
    return chosen


def _shortfall(counts: np.ndarray, target: np.ndarray, mask: np.ndarray) -> float:
    total = counts.sum()
    share = counts / total if total else np.zeros_like(counts)
    return float(np.sum(np.clip(target - share, 0, None)[mask]))


def _choose_fill(
    items: list[Item], episodes: list[list[Item]], targets: dict[str, float], categories: list[str]
) -> list[list[Item]]:
    """Greedy: add the episode that most lowers the summed shortfall under the targets, until none does."""
    target = np.array([targets.get(c, 0.0) for c in categories])
    mask = np.array([c in targets for c in categories])
    counts = _class_counts([it for it in items if it.split == "train"], categories)
    pool = [(ep, _class_counts([it for it in ep if it.split == "train"], categories)) for ep in episodes]
    chosen = []
    current = _shortfall(counts, target, mask)
    while pool and current > 1e-12:
        scores = [_shortfall(counts + c, target, mask) for _, c in pool]
        best = int(np.argmin(scores))
        if scores[best] >= current - 1e-12:
            break
        ep, c = pool.pop(best)
        chosen.append(ep)
        counts = counts + c
        current = scores[best]
    return chosen


def _as_dataset(plan: MixPlan, items: list[Item]) -> Dataset:
    cats = {i + 1: n for i, n in enumerate(plan.categories)}
    ids = {n: i for i, n in cats.items()}
    anns = []
    for n, it in enumerate(items):
        anns += [Annotation(**{**a.__dict__, "image_id": n, "category_id": ids[a.category]}) for a in it.anns]
    images = [
        ImageRecord(id=n, file_name=it.file_name, width=it.image.width, height=it.image.height, split=it.split)
        for n, it in enumerate(items)
    ]
    return Dataset(root=Path("."), kind="mix", categories=cats, images=images, annotations=anns)


def _name_and_number(plan: MixPlan) -> None:
    """Output file names (unique per split) and ids 1..N in real-then-synthetic order."""
    taken: set[str] = set()
    index = {str(ds.root): k for k, ds in enumerate(plan.synthetic)}
    for n, it in enumerate(plan.items, start=1):
        it.id = n
        base = Path(it.image.file_name).name
        name = f"s{index[it.source]}_{base}" if it.synthetic else base
        if Path(name).stem in taken:  # unique across splits: VOC keeps every split in one folder
            name = f"{'s' if it.synthetic else 'r'}{it.image.id}_{name}"
        taken.add(Path(name).stem)
        it.file_name = name


def _place(src: Path, dst: Path, link: str) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        if link == "hardlink":
            os.link(src, dst)
        elif link == "symlink":
            os.symlink(src.resolve(), dst)
        else:
            shutil.copy2(src, dst)
    except OSError as err:
        raise SimgenError(
            f"cannot {link} {src} to {dst}: {err.strerror}", hint="try --link symlink or --link copy"
        ) from err


def provenance(plan: MixPlan, it: Item) -> dict[str, Any]:
    """The provenance record of one image (COCO image fields and provenance.jsonl)."""
    rec: dict[str, Any] = {
        "synthetic": it.synthetic,
        "source": it.source,
        "original_id": it.image.id,
        "original_file_name": it.image.file_name,
    }
    if it.synthetic:
        rec.update(scenario=it.scenario, episode=it.image.episode, frame=it.image.frame, camera=it.image.camera)
    return rec


def write_mix(plan: MixPlan, out: Path, formats: list[str], link: str = "hardlink") -> dict[str, Any]:
    """Write the planned mix to ``out`` (which must not exist or be empty); returns a summary."""
    bad = [f for f in formats if f not in MIX_FORMATS]
    if bad or not formats:
        raise SimgenError(
            f"mix writes {', '.join(MIX_FORMATS)}; not {', '.join(bad) or 'nothing'}", hint="e.g. --formats coco,yolo"
        )
    if link not in LINK_MODES:
        raise SimgenError(f"--link must be one of {', '.join(LINK_MODES)}, got '{link}'")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SimgenError(f"output folder {out} exists and is not empty", hint="choose a new --out")
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        _write_all(plan, tmp, formats, link, out)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary(plan)


def _write_all(plan: MixPlan, root: Path, formats: list[str], link: str, final: Path) -> None:
    from simgen.core.fileio import write_json, write_text

    cat_id = {n: i + 1 for i, n in enumerate(plan.categories)}
    splits = sorted({it.split for it in plan.items}, key=lambda s: (s != "train", s != "val", s))
    if "coco" in formats:
        ann_id = 0
        for split in splits:
            doc: dict[str, Any] = {
                "info": {
                    **plan.real.info,
                    "description": f"hybrid dataset: {plan.real.info.get('description', 'real data')}"
                    " + simgen synthetic frames",
                    "synthetic": "mixed",
                },
                "licenses": plan.real.licenses,
                "images": [],
                "annotations": [],
                "categories": [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(plan.categories)],
            }
            for it in (x for x in plan.items if x.split == split):
                assert it.image.path is not None
                _place(it.image.path, root / "coco" / "images" / split / it.file_name, link)
                carried = (
                    {} if it.synthetic else {k: v for k, v in it.image.extra.items() if k not in ("id", "file_name")}
                )
                doc["images"].append(
                    {
                        **carried,
                        "id": it.id,
                        "file_name": it.file_name,
                        "width": it.image.width,
                        "height": it.image.height,
                        **provenance(plan, it),
                    }
                )
                for a in it.anns:
                    ann_id += 1
                    raw = dict(a.raw or {"bbox": list(a.bbox), "area": a.area, "iscrowd": int(a.iscrowd)})
                    raw.update(id=ann_id, image_id=it.id, category_id=cat_id[a.category])
                    doc["annotations"].append(raw)
            write_json(root / "coco" / "annotations" / f"instances_{split}.json", doc)
    if "yolo" in formats:
        for it in plan.items:
            assert it.image.path is not None
            _place(it.image.path, root / "yolo" / "images" / it.split / it.file_name, link)
            lines = []
            for a in it.anns:
                x, y, w, h = a.bbox
                if a.iscrowd or w <= 0 or h <= 0:
                    continue
                W, H = it.image.width, it.image.height
                vals = ((x + w / 2) / W, (y + h / 2) / H, w / W, h / H)
                lines.append(f"{cat_id[a.category] - 1} " + " ".join(f"{v:.6f}" for v in vals))
            label = root / "yolo" / "labels" / it.split / f"{Path(it.file_name).stem}.txt"
            write_text(label, "".join(line + "\n" for line in lines), durable=False)
        from simgen.export.data_yaml import write_data_yaml

        write_data_yaml(root / "yolo", splits, plan.categories, "simgen mix: real + synthetic images")
    if "voc" in formats:
        _write_voc(plan, root / "voc", link)
    lines = []
    for it in plan.items:
        rec = {"id": it.id, "split": it.split, "file_name": it.file_name, **provenance(plan, it)}
        lines.append(json.dumps(rec, sort_keys=True))
    write_text(root / "provenance.jsonl", "\n".join(lines) + "\n")
    write_text(root / "DATASET_CARD.md", card(plan))


def _write_voc(plan: MixPlan, root: Path, link: str) -> None:
    """VOC with simgen's VOC writer pieces; JPEG sources are linked, others re-encoded (VOC wants JPEG)."""
    from xml.sax.saxutils import escape

    import cv2

    from simgen.core.fileio import write_bytes, write_text
    from simgen.export.voc import labelmap, object_xml

    per_split: dict[str, list[str]] = {}
    for it in plan.items:
        assert it.image.path is not None
        stem = Path(it.file_name).stem
        jpg = f"{stem}.jpg"
        if it.image.path.suffix.lower() in (".jpg", ".jpeg"):
            _place(it.image.path, root / "JPEGImages" / jpg, link)
        else:
            bgr = cv2.imread(str(it.image.path), cv2.IMREAD_COLOR)
            ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95]) if bgr is not None else (False, None)
            if not ok or buf is None:
                raise SimgenError(f"cannot read image {it.image.path} to convert it to JPEG for VOC")
            write_bytes(root / "JPEGImages" / jpg, buf.tobytes(), durable=False)
        objects = "".join(
            object_xml(a.category, a.bbox, truncation=a.truncation, occlusion=a.occlusion, ignore=a.iscrowd)
            for a in it.anns
        )
        source = "simgen (synthetic)" if it.synthetic else "real"
        xml = (
            "<annotation>\n  <folder>JPEGImages</folder>\n"
            f"  <filename>{escape(jpg)}</filename>\n  <source><database>{source}</database></source>\n"
            f"  <size><width>{it.image.width}</width><height>{it.image.height}</height><depth>3</depth></size>\n"
            f"  <segmented>0</segmented>\n{objects}</annotation>\n"
        )
        write_text(root / "Annotations" / f"{stem}.xml", xml, durable=False)
        per_split.setdefault(it.split, []).append(stem)
    for split, stems in per_split.items():
        write_text(root / "ImageSets" / "Main" / f"{split}.txt", "".join(f"{s}\n" for s in stems))
    write_text(root / "labelmap.txt", labelmap(plan.categories))


def summary(plan: MixPlan) -> dict[str, Any]:
    """Counts per split and class, real against synthetic, and the targets' outcome."""
    out: dict[str, Any] = {"splits": {}, "classes": {}, "ratio": plan.ratio}
    for it in plan.items:
        s = out["splits"].setdefault(it.split, {"real": 0, "synthetic": 0})
        s["synthetic" if it.synthetic else "real"] += 1
        for a in it.anns:
            c = out["classes"].setdefault(a.category, {"real": 0, "synthetic": 0})
            c["synthetic" if it.synthetic else "real"] += 1
    out["classes"] = {n: out["classes"].get(n, {"real": 0, "synthetic": 0}) for n in plan.categories}
    if plan.achieved is not None:
        out["targets"] = plan.achieved
    out["notes"] = list(plan.notes)
    return out


def card(plan: MixPlan) -> str:
    """DATASET_CARD.md of the mix: sources, real/synthetic split per class, split policy, targets."""
    s = summary(plan)
    info = plan.real.info
    lines = [
        "# Dataset card: hybrid (real + synthetic)",
        "",
        "**Part of this dataset is synthetic.** Each image says which in its COCO entry (`synthetic`,",
        "`source`, `original_id`, and for synthetic frames `scenario`, `episode`, `frame`) and in",
        "`provenance.jsonl`.",
        "",
        "## Real data that went in",
        f"- `{plan.real.root}`: {sum(1 for it in plan.items if not it.synthetic)} images",
        f"- info: {json.dumps(info, sort_keys=True) if info else '(none given)'}",
        f"- licenses: {json.dumps(plan.real.licenses, sort_keys=True) if plan.real.licenses else '(none given)'}",
        "- simgen read only the files given to it (the COCO file and its images); it reads no other",
        "  personal data. Audit the real part through the list above and `provenance.jsonl`.",
        "",
        "## Synthetic data that went in",
    ]
    for k, ds in enumerate(plan.synthetic):
        sc = (ds.manifest or {}).get("scenario") or {}
        n = sum(1 for it in plan.items if it.synthetic and it.source == str(ds.root))
        mapped = {a: b for a, b in plan.mapping[k].items() if a != b}
        lines.append(
            f"- `{ds.root}` (scenario {sc.get('name')}, sha256 `{sc.get('sha256')}`): {n} images"
            + (f"; classes mapped {mapped}" if mapped else "")
        )
    lines += ["", "## Images per split", "| split | real | synthetic |", "|---|---|---|"]
    lines += [f"| {k} | {v['real']} | {v['synthetic']} |" for k, v in s["splits"].items()]
    lines += ["", "## Annotations per class", "| class | real | synthetic |", "|---|---|---|"]
    lines += [f"| {k} | {v['real']} | {v['synthetic']} |" for k, v in s["classes"].items()]
    r = s["ratio"]
    lines += [
        "",
        "## Mixing",
        f"- synthetic share of training images: {100 * r['achieved']:.1f} %"
        + (f" (target {100 * r['target']:.1f} %)" if "target" in r else ""),
    ]
    for name, v in ((s.get("targets") or {}).get("classes") or {}).items():
        lines.append(
            f"- class {name}: {100 * v['achieved']:.1f} % of training annotations (target {100 * v['target']:.1f} %)"
            + (" UNDER TARGET" if v["under"] else "")
        )
    lines += [f"- {n}" for n in plan.notes]
    lines.append(
        "- splits: real images keep their split; synthetic frames are whole episodes, in "
        + ("their own splits" if any(it.synthetic and it.split != "train" for it in plan.items) else "train only")
    )
    return "\n".join(lines) + "\n"


__all__ = [
    "LINK_MODES",
    "MIX_FORMATS",
    "MixPlan",
    "card",
    "parse_fill",
    "plan_mix",
    "provenance",
    "summary",
    "write_mix",
]
