"""``simgen compare``: how far a dataset is from a real reference dataset, feature by feature.

For each feature both datasets have (class frequency; box size, aspect, position; with images:
brightness, contrast, sharpness, saturation and per-channel colour histograms) it reports:

- ``kl``: KL divergence ``KL(reference || dataset)`` in nats between histograms on shared bins,
  smoothed by adding ``alpha`` (0.5, Jeffreys) to every bin so that an empty bin gives a large
  but finite value. The direction asks "how badly does the synthetic data cover the real data":
  real mass where the synthetic data has none costs the most.
- ``wasserstein``: the 1-D Wasserstein (earth mover's) distance between the raw samples, in the
  feature's unit, and ``wasserstein_rel``: the same divided by the reference's standard deviation,
  so features of different units rank together.

Features whose KL exceeds :data:`KL_FLAG` or whose relative Wasserstein distance exceeds
:data:`W_FLAG` are flagged; ``most_different`` lists them worst first. Aspect is compared on a log
scale (a 2:1 box is as far from square as a 1:2 box). Class names must match, or be mapped with
``--map synthetic=real``; a class the reference lacks is an error that suggests a mapping.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import numpy as np

from simgen.dataset.reader import Annotation, Dataset
from simgen.dataset.stats import feature_values
from simgen.errors import SimgenError

ALPHA = 0.5  # additive smoothing per histogram bin (Jeffreys prior)
BINS = 20
KL_FLAG = 0.5  # nats
W_FLAG = 0.5  # reference standard deviations
MAX_IMAGES = 200  # images sampled per dataset for the image statistics
COLOUR_BINS = 32
BOX_FEATURES = ("size", "aspect", "cx", "cy")


def smoothed(counts: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Probabilities from histogram counts with ``alpha`` added to every bin."""
    c = np.asarray(counts, dtype=np.float64) + alpha
    return c / c.sum()


def kl_divergence(p_counts: np.ndarray, q_counts: np.ndarray, alpha: float = ALPHA) -> float:
    """KL(P || Q) in nats of two histograms on the same bins, each smoothed by ``alpha``.

    With ``alpha=0`` an empty Q bin under non-empty P gives ``inf``.

    Example:
        >>> round(kl_divergence([1, 1], [1, 3], alpha=0), 4)
        0.1438
    """
    p, q = smoothed(p_counts, alpha), smoothed(q_counts, alpha)
    if p.shape != q.shape:
        raise ValueError(f"histograms differ in bins: {p.shape} vs {q.shape}")
    nz = p > 0
    with np.errstate(divide="ignore"):
        return float(np.sum(p[nz] * (np.log(p[nz]) - np.log(q[nz]))))


def wasserstein_1d(u: np.ndarray, v: np.ndarray) -> float:
    """1-D Wasserstein distance between two samples: the area between their empirical CDFs.

    Example:
        >>> wasserstein_1d(np.array([0.0, 1.0]), np.array([2.0, 3.0]))
        2.0
    """
    u, v = np.sort(np.asarray(u, dtype=np.float64)), np.sort(np.asarray(v, dtype=np.float64))
    if u.size == 0 or v.size == 0:
        raise ValueError("wasserstein_1d needs two non-empty samples")
    xs = np.concatenate([u, v])
    xs.sort(kind="mergesort")
    deltas = np.diff(xs)
    cdf_u = np.searchsorted(u, xs[:-1], side="right") / u.size
    cdf_v = np.searchsorted(v, xs[:-1], side="right") / v.size
    return float(np.sum(np.abs(cdf_u - cdf_v) * deltas))


def compare_samples(ours: np.ndarray, ref: np.ndarray, *, bins: int = BINS) -> dict[str, Any] | None:
    """KL and Wasserstein of one scalar feature (finite values only), or None when a side is empty."""
    a, b = ours[np.isfinite(ours)], ref[np.isfinite(ref)]
    if a.size == 0 or b.size == 0:
        return None
    lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    ha, _ = np.histogram(a, edges)
    hb, _ = np.histogram(b, edges)
    w = wasserstein_1d(a, b)
    sd = float(b.std())
    return {
        "n": int(a.size),
        "n_reference": int(b.size),
        "mean": float(a.mean()),
        "mean_reference": float(b.mean()),
        "kl": kl_divergence(hb, ha),
        "wasserstein": w,
        "wasserstein_rel": w / sd if sd > 0 else (0.0 if w == 0 else float("inf")),
        "histogram": {"edges": edges.tolist(), "counts": ha.tolist(), "counts_reference": hb.tolist()},
    }


def parse_mapping(text: str | None) -> dict[str, str]:
    """``a=b,c=d``, or a YAML/JSON file of ``synthetic: real`` lines, as a dict."""
    if not text:
        return {}
    path = Path(text)
    if path.is_file():
        import yaml

        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise SimgenError(f"class mapping file is not valid YAML: {err}", file=str(path)) from err
        if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in doc.items()):
            raise SimgenError("class mapping file must hold 'synthetic_name: real_name' lines", file=str(path))
        return dict(doc)
    out = {}
    for part in text.split(","):
        name, sep, target = part.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise SimgenError(f"--map '{text}' is not a list of synthetic=real pairs", hint="e.g. --map crate=box")
        out[name.strip()] = target.strip()
    return out


def _words(name: str) -> tuple[str, ...]:
    """Lower-case words of a class name, plurals made singular: ``Sports_Balls`` -> (sports, ball)."""
    import re

    out = []
    for w in re.split(r"[^0-9a-z]+", name.lower()):
        if not w:
            continue
        if len(w) > 3 and w.endswith("es") and w[:-2].endswith(("s", "x", "ch", "sh")):
            w = w[:-2]
        elif len(w) > 2 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return tuple(out)


def suggest(name: str, choices: list[str]) -> str | None:
    """A reference class the name plainly means, or None: no guess without evidence.

    Evidence is the same words (case, separators and plurals aside: ``Balls`` = ``ball``), one
    name's words all inside the other's (``ball`` in ``sports ball``, ``crate`` in
    ``box_crate``), or a near-identical spelling (a typo, similarity >= 0.85). Letters in common
    are not evidence: ``child`` is never offered ``vehicle``.
    """
    mine = _words(name)
    if not mine:
        return None
    for c in choices:
        if _words(c) == mine:
            return c
    for c in choices:
        theirs = set(_words(c))
        if theirs and (set(mine) <= theirs or theirs <= set(mine)):
            return c
    joined = {" ".join(_words(c)): c for c in choices}
    close = difflib.get_close_matches(" ".join(mine), list(joined), n=1, cutoff=0.85)
    return joined[close[0]] if close else None


def class_mapping(ours: list[str], ref: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Each of our class names -> a reference class name; raises with a suggested ``--map`` when one has none."""
    unknown_keys = sorted(set(mapping) - set(ours))
    if unknown_keys:
        raise SimgenError(
            f"--map names classes the dataset does not have: {', '.join(unknown_keys)}",
            hint=f"its classes are: {', '.join(ours)}",
        )
    out, missing = {}, []
    for name in ours:
        target = mapping.get(name, name)
        if target in ref:
            out[name] = target
        else:
            missing.append(name)
    if missing:
        pairs = [f"{n}={suggest(n, ref)}" for n in missing if suggest(n, ref)]
        hint = f"map them, e.g. --map {','.join(pairs)}" if pairs else "map them with --map synthetic=real"
        raise SimgenError(
            f"classes not in the reference: {', '.join(missing)} (reference classes: {', '.join(ref)})", hint=hint
        )
    return out


def _box_features(ds: Dataset, anns: list[Annotation] | None = None) -> dict[str, np.ndarray]:
    v = feature_values(ds, anns)
    v["aspect"] = np.log(np.where(v["aspect"] > 0, v["aspect"], np.nan))
    return {k: v[k] for k in BOX_FEATURES}


def image_features(ds: Dataset, max_images: int = MAX_IMAGES) -> dict[str, Any] | None:
    """Per sampled image: brightness, contrast, sharpness, saturation; summed colour histograms.

    Brightness and contrast are the mean and standard deviation of the grey image (0-255);
    sharpness is log10 of the variance of its Laplacian; saturation the mean HSV S (0-255).
    Images are sampled evenly in dataset order (deterministic). None when no image can be read.
    """
    import cv2

    paths = [im.path for im in ds.images if im.path is not None]
    if not paths:
        return None
    if len(paths) > max_images:
        paths = [paths[int(i)] for i in np.linspace(0, len(paths) - 1, max_images)]
    rows: dict[str, list[float]] = {"brightness": [], "contrast": [], "sharpness": [], "saturation": []}
    colour = np.zeros((3, COLOUR_BINS), dtype=np.int64)
    for p in paths:
        bgr = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        rows["brightness"].append(float(grey.mean()))
        rows["contrast"].append(float(grey.std()))
        rows["sharpness"].append(float(np.log10(cv2.Laplacian(grey, cv2.CV_64F).var() + 1e-6)))
        rows["saturation"].append(float(cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 1].mean()))
        for ch, c in enumerate((2, 1, 0)):  # R, G, B
            colour[ch] += np.bincount((bgr[..., c] // (256 // COLOUR_BINS)).ravel(), minlength=COLOUR_BINS)
    if not rows["brightness"]:
        return None
    return {"scalars": {k: np.asarray(v) for k, v in rows.items()}, "colour": colour, "images": len(rows["brightness"])}


def compare_datasets(ours: Dataset, ref: Dataset, mapping: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything ``simgen compare`` reports (see the module docstring), JSON-ready."""
    names = class_mapping(ours.class_names, ref.class_names, mapping or {})
    shared = sorted(set(names.values()), key=ref.class_names.index)
    ours_counts = {c: 0 for c in shared}
    for a in ours.annotations:
        if not a.iscrowd:
            ours_counts[names[a.category]] += 1
    ref_counts = {c: 0 for c in shared}
    ref_other = 0
    for a in ref.annotations:
        if a.iscrowd:
            continue
        if a.category in ref_counts:
            ref_counts[a.category] += 1
        else:
            ref_other += 1
    oc, rc = np.array(list(ours_counts.values())), np.array(list(ref_counts.values()))
    classes = {
        "mapping": {k: v for k, v in names.items() if k != v},
        "share": {c: float(ours_counts[c] / max(1, oc.sum())) for c in shared},
        "share_reference": {c: float(ref_counts[c] / max(1, rc.sum())) for c in shared},
        "reference_only": sorted(set(ref.class_names) - set(shared)),
        "reference_annotations_of_other_classes": ref_other,
        "kl": kl_divergence(rc, oc) if oc.sum() and rc.sum() else None,
    }
    ref_anns = [a for a in ref.annotations if a.category in ref_counts]
    fa, fb = _box_features(ours), _box_features(ref, ref_anns)
    features = {k: compare_samples(fa[k], fb[k]) for k in BOX_FEATURES}
    images: dict[str, Any] | None = None
    ia, ib = image_features(ours), image_features(ref)
    if ia is not None and ib is not None:
        images = {"images": ia["images"], "images_reference": ib["images"]}
        for k in ia["scalars"]:
            features[f"image.{k}"] = compare_samples(ia["scalars"][k], ib["scalars"][k])
        images["colour_kl"] = {ch: kl_divergence(ib["colour"][i], ia["colour"][i]) for i, ch in enumerate("RGB")}
        images["colour_histogram"] = {ch: ia["colour"][i].tolist() for i, ch in enumerate("RGB")}
        images["colour_histogram_reference"] = {ch: ib["colour"][i].tolist() for i, ch in enumerate("RGB")}
    scored = [(k, v) for k, v in features.items() if v is not None]
    if classes["kl"] is not None:
        scored.append(("classes", {"kl": classes["kl"], "wasserstein_rel": 0.0}))
    if images:
        scored += [(f"image.colour.{ch}", {"kl": v, "wasserstein_rel": 0.0}) for ch, v in images["colour_kl"].items()]
    flagged = [
        k
        for k, v in sorted(scored, key=lambda kv: -max(kv[1]["kl"] / KL_FLAG, kv[1]["wasserstein_rel"] / W_FLAG))
        if v["kl"] > KL_FLAG or v["wasserstein_rel"] > W_FLAG
    ]
    return {
        "dataset": str(ours.root),
        "reference": str(ref.root),
        "classes": classes,
        "features": features,
        "images": images,
        "thresholds": {"kl": KL_FLAG, "wasserstein_rel": W_FLAG, "alpha": ALPHA, "bins": BINS},
        "most_different": flagged,
    }


def format_compare(result: dict[str, Any]) -> str:
    """The comparison as terminal lines, the flagged features marked with ``!``."""
    from simgen.dataset.stats import table

    c = result["classes"]
    lines = [f"{result['dataset']} against reference {result['reference']}", ""]
    if c["mapping"]:
        lines.append("class mapping: " + ", ".join(f"{k} -> {v}" for k, v in c["mapping"].items()))
    rows = [[n, f"{100 * c['share'][n]:.1f} %", f"{100 * c['share_reference'][n]:.1f} %"] for n in c["share"]]
    lines += table(["class", "share", "reference share"], rows)
    if c["reference_only"]:
        lines.append(f"reference classes with no synthetic counterpart: {', '.join(c['reference_only'])}")
    kl = "n/a" if c["kl"] is None else f"{c['kl']:.3f}"
    lines += [f"class frequency KL(reference || dataset): {kl} nats", ""]
    flagged = set(result["most_different"])
    rows = []
    for name, v in result["features"].items():
        if v is None:
            continue
        mark = "!" if name in flagged else ""
        rows.append(
            [
                f"{mark}{name}",
                f"{v['mean']:.3g}",
                f"{v['mean_reference']:.3g}",
                f"{v['kl']:.3f}",
                f"{v['wasserstein']:.3g}",
                f"{v['wasserstein_rel']:.2f}",
            ]
        )
    if rows:
        lines += table(["feature", "mean", "mean ref", "KL", "W1", "W1/sd ref"], rows)
    else:
        lines.append("box features: skipped (no annotations on one side)")
    if result["images"]:
        ck = result["images"]["colour_kl"]
        lines.append("colour histogram KL: " + ", ".join(f"{k} {v:.3f}" for k, v in ck.items()))
    else:
        lines.append("image statistics: skipped (images of one side not found)")
    lines += ["", "most different: " + (", ".join(result["most_different"]) or "none over the thresholds")]
    return "\n".join(lines)


def to_json(result: dict[str, Any]) -> str:
    """JSON text of a result (infinities written as null)."""
    return json.dumps(_finite(result), indent=2)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


__all__ = [
    "class_mapping",
    "compare_datasets",
    "compare_samples",
    "format_compare",
    "kl_divergence",
    "parse_mapping",
    "smoothed",
    "to_json",
    "wasserstein_1d",
]
