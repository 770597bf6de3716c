"""``simgen report``: one self-contained HTML file about a dataset, readable offline and by email.

Every picture is embedded as a ``data:`` URI (PNG plots drawn by matplotlib's Agg backend, JPEG
thumbnails of frames with their boxes drawn by :func:`simgen.viz.sheet.draw_boxes`); the page has
no scripts and loads nothing from the network. Sections, in order: counts and label sanity, class
and split/variant/sweep-cell bars, feature distributions, sample frames, the rarest classes' and the
edge cases' (variants') frames, the sampled randomization ranges from ``manifest.json``, per-sensor
summaries (LiDAR points per object, IMU/GNSS noise against ground truth from ``raw/sensors``), the
comparison against a reference (when given) and the dataset card.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from simgen.dataset.reader import Annotation, Dataset, ImageRecord
from simgen.errors import DependencyError

SAMPLE_FRAMES = 12
EXAMPLES_PER_GROUP = 4
RAREST_CLASSES = 3
THUMB_WIDTH = 320
MAX_PARAM_PLOTS = 24

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}
.grid{display:flex;flex-wrap:wrap;gap:8px}.grid figure{margin:0;width:320px}
figcaption{font-size:.8em;color:#555}img.plot{max-width:100%;display:block;margin:.5em 0}
pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}
"""


def _plt() -> Any:
    try:
        import matplotlib
    except ImportError as err:
        raise DependencyError("simgen report needs matplotlib for its plots", hint="pip install 'simgen[qa]'") from err
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _fig_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    _plt().close(fig)
    return _data_uri(buf.getvalue(), "image/png")


def _plot(uri: str, alt: str) -> str:
    return f'<img class="plot" src="{uri}" alt="{html.escape(alt)}">'


def _bar(labels: list[str], values: list[float], title: str, ylabel: str) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(labels) + 2), 3))
    ax.bar(range(len(labels)), values, color="#4c78a8")
    ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 6 else 0, ha="right")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    return _plot(_fig_uri(fig), title)


def _hist_grid(hists: dict[str, dict[str, Any]], title: str, columns: int = 4) -> str:
    """Small multiples of ``name -> {edges, counts[, counts_reference]}`` histograms."""
    plt = _plt()
    names = list(hists)
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        h = hists[name]
        edges = np.asarray(h["edges"])
        width = np.diff(edges)
        counts = np.asarray(h["counts"], dtype=float)
        if "counts_reference" in h:
            ref = np.asarray(h["counts_reference"], dtype=float)
            ax.step(edges[:-1], counts / max(1, counts.sum()), where="post", label="dataset", color="#4c78a8")
            ax.step(edges[:-1], ref / max(1, ref.sum()), where="post", label="reference", color="#e45756")
            ax.legend(fontsize=7)
        else:
            ax.bar(edges[:-1], counts, width=width, align="edge", color="#4c78a8")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return _plot(_fig_uri(fig), title)


def _table(header: list[str], rows: list[list[Any]], bad: set[int] | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = ""
    for i, r in enumerate(rows):
        cls = ' class="bad"' if bad and i in bad else ""
        body += f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def _thumb(im: ImageRecord, anns: list[Annotation], highlight: str | None = None) -> str | None:
    """A figure with the frame's boxes drawn (only ``highlight``'s class when given), or None if unreadable."""
    import cv2

    from simgen.viz.sheet import draw_boxes

    if im.path is None:
        return None
    bgr = cv2.imread(str(im.path), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    boxes = [(a.bbox, a.category_id, a.category) for a in anns if highlight is None or a.category == highlight]
    rgb = draw_boxes(rgb, boxes)
    h, w = rgb.shape[:2]
    rgb = cv2.resize(rgb, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return None
    meta = f"{im.split}/{im.file_name}"
    if im.variant:
        meta += f" · variant {im.variant}"
    if im.sweep:
        meta += f" · {im.sweep}"
    cap = html.escape(f"{meta} · {len(anns)} labels")
    src = _data_uri(buf.tobytes(), "image/jpeg")
    return f'<figure><img src="{src}" alt="{html.escape(meta)}"><figcaption>{cap}</figcaption></figure>'


def _grid(items: list[str | None]) -> str:
    tiles = [t for t in items if t]
    return f'<div class="grid">{"".join(tiles)}</div>' if tiles else "<p>(no readable images)</p>"


def _evenly(seq: list[Any], n: int) -> list[Any]:
    if len(seq) <= n:
        return list(seq)
    return [seq[int(i)] for i in np.linspace(0, len(seq) - 1, n)]


def sampled_parameters(manifest: dict[str, Any] | None) -> dict[str, np.ndarray]:
    """Numeric values the randomizers drew per key path (see :func:`simgen.export.manifest.sampled_ranges`)."""
    from simgen.export.manifest import sampled_ranges

    return {k: np.asarray(v) for k, v in sampled_ranges(manifest or {}).items()}


def parameter_labels(keys: list[str], manifest: dict[str, Any] | None) -> dict[str, str]:
    """Key path -> what a reader calls it, in scenario order: ``objects[10].floors`` -> ``building_row.floors``.

    Objects are named from the manifest's resolved config; keys are ordered by object index as a
    number (not as text, which put ``objects[10]`` before ``objects[2]``), then by key.
    """
    import re

    objects = (((manifest or {}).get("scenario") or {}).get("config") or {}).get("objects") or []

    def order(key: str) -> tuple[int, int, str]:
        m = re.match(r"^objects\[(\d+)\]", key)
        return (1, int(m.group(1)), key) if m else (0, 0, key)

    out = {}
    for key in sorted(keys, key=order):
        m = re.match(r"^objects\[(\d+)\]\.?(.*)$", key)
        j = int(m.group(1)) if m else -1
        if m and j < len(objects) and isinstance(objects[j], dict) and objects[j].get("name"):
            out[key] = f"{objects[j]['name']}.{m.group(2)}" if m.group(2) else str(objects[j]["name"])
        else:
            out[key] = key
    return out


def sensor_summaries(ds: Dataset) -> list[dict[str, Any]]:
    """Per non-camera sensor in ``raw/sensors``: samples, and noise (measured - true) where recorded."""
    if ds.sensors_dir is None:
        return []
    acc: dict[str, dict[str, Any]] = {}
    for f in sorted(ds.sensors_dir.glob("e*/*.npz")):
        kind, _, name = f.stem.partition("_")
        if kind not in ("lidar", "imu", "gnss"):
            continue
        with np.load(f, allow_pickle=False) as d:
            row = acc.setdefault(f"{kind} {name}", {"sensor": name, "type": kind, "samples": 0, "errors": {}})
            n = len(d["capture_time"])
            row["samples"] += n
            if kind == "lidar":
                row.setdefault("points", []).append(int(d["xyz"].shape[0]))
            for key in ("accel", "gyro", "position", "velocity"):
                if key in d.files and f"{key}_true" in d.files:
                    row["errors"].setdefault(key, []).append(np.asarray(d[key] - d[f"{key}_true"], dtype=float))
    out = []
    for row in acc.values():
        item: dict[str, Any] = {"sensor": row["sensor"], "type": row["type"], "samples": row["samples"]}
        if "points" in row:
            item["points_per_scan"] = float(sum(row["points"]) / max(1, row["samples"]))
        for key, errs in row["errors"].items():
            e = np.concatenate(errs)
            e = e[np.all(np.isfinite(e), axis=1)] if e.ndim == 2 else e[np.isfinite(e)]
            if e.size:
                item[f"{key}_error_std"] = [float(s) for s in np.atleast_1d(e.std(axis=0))]
        out.append(item)
    return out


def build_report(ds: Dataset, stats: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    """The whole HTML document as text (see the module docstring for its sections)."""
    c = stats["counts"]
    name = (ds.manifest or {}).get("scenario", {}).get("name") or ds.root.name
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>simgen report: {html.escape(name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Dataset report: {html.escape(name)}</h1>",
        f"<p>{html.escape(str(ds.root))} ({ds.kind}) · {c['images']} images · {c['annotations']} annotations · "
        f"{c['episodes']} episodes · empty frames {100 * c['empty_frame_rate']:.1f} %"
        + (" · <b>synthetic</b>" if (ds.manifest or {}).get("synthetic") else "")
        + "</p>",
    ]
    parts += _counts_section(stats)
    parts += _sanity_section(stats)
    parts += _distributions_section(stats)
    parts += _samples_section(ds, c)
    parts += _randomization_section(ds)
    parts += _sensors_section(ds)
    if comparison is not None:
        parts.append(_compare_section(comparison))
    if ds.card:
        from simgen.dataset.markdown import markdown_html

        parts += ["<h2 id='card'>Dataset card</h2>", f"<div class='card'>{markdown_html(ds.card)}</div>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def _counts_section(stats: dict[str, Any]) -> list[str]:
    """Annotations per class, and per split, variant and sweep cell; the targets table when set."""
    c = stats["counts"]
    parts: list[str] = []
    parts.append("<h2 id='counts'>Counts</h2>")
    per_class = c["per_class"]
    total = max(1, c["annotations"])
    parts.append(
        _table(
            ["class", "annotations", "share", "images"],
            [
                [k, v["annotations"], f"{100 * v['annotations'] / total:.1f} %", v["images"]]
                for k, v in per_class.items()
            ],
        )
    )
    if per_class:
        parts.append(
            _bar(
                list(per_class), [v["annotations"] for v in per_class.values()], "annotations per class", "annotations"
            )
        )
    for key, title in (("per_split", "split"), ("per_variant", "variant"), ("per_sweep_cell", "sweep cell")):
        if key in c:
            groups = c[key]
            parts.append(
                _table(
                    [title, "episodes", "images", "annotations"],
                    [[k, v["episodes"], v["images"], v["annotations"]] for k, v in groups.items()],
                )
            )
            parts.append(_bar(list(groups), [v["images"] for v in groups.values()], f"images per {title}", "images"))
    if "targets" in stats:
        t = stats["targets"]
        rows: list[list[Any]] = []
        bad: set[int] = set()
        for kind in ("classes", "variants"):
            for k, v in (t.get(kind) or {}).items():
                if v["under"]:
                    bad.add(len(rows))
                rows.append(
                    [f"{kind} {k}", f"{v['target']:.3f}", f"{v['achieved']:.3f}", "under" if v["under"] else "ok"]
                )
        parts += ["<h3>Targets</h3>", _table(["target", "target share", "achieved", ""], rows, bad)]
    return parts


def _sanity_section(stats: dict[str, Any]) -> list[str]:
    """Labels failing each sanity check, with examples, and the near-duplicate counts."""
    parts: list[str] = []
    s = stats["sanity"]
    parts.append("<h2 id='sanity'>Label sanity</h2>")
    parts.append(
        _table(
            ["check", "labels failing"],
            [[k.replace("_", " "), v] for k, v in s["counts"].items()],
            {i for i, v in enumerate(s["counts"].values()) if v},
        )
    )
    for examples in s.get("examples", {}).values():
        parts.append("<ul>" + "".join(f"<li>{html.escape(e)}</li>" for e in examples[:5]) + "</ul>")
    if "duplicates" in stats:
        d = stats["duplicates"]
        parts.append(
            f"<p>Near-duplicates (dHash ≤ {d['max_distance']} of 64 bits, {d['hashed_images']} images): "
            f"{d['pairs']} pairs, {d['pairs_same_episode']} inside one episode, "
            f"{d['pairs_across_episodes']} across episodes, <span class='{'bad' if d['pairs_across_splits'] else ''}'>"
            f"{d['pairs_across_splits']} across splits</span>.</p>"
        )
    return parts


def _distributions_section(stats: dict[str, Any]) -> list[str]:
    """Histograms and quantiles of per-annotation features."""
    parts: list[str] = []
    hists = {k: v["histogram"] for k, v in stats["distributions"].items() if v is not None}
    if hists:
        parts += ["<h2 id='distributions'>Distributions</h2>", _hist_grid(hists, "per-annotation features")]
        rows = [
            [k, v["n"], *(f"{v[q]:.3g}" for q in ("min", "p5", "median", "mean", "p95", "max"))]
            for k, v in stats["distributions"].items()
            if v is not None
        ]
        parts.append(_table(["feature", "n", "min", "p5", "median", "mean", "p95", "max"], rows))
    return parts


def _samples_section(ds: Dataset, c: dict[str, Any]) -> list[str]:
    """Sample frames, the rarest classes' frames and each variant's frames, labels drawn."""
    by_image = ds.by_image()
    images = {im.id: im for im in ds.images}
    per_class = c["per_class"]
    parts: list[str] = []
    parts.append("<h2 id='samples'>Sample frames</h2>")
    parts.append(_grid([_thumb(im, by_image.get(im.id, [])) for im in _evenly(ds.images, SAMPLE_FRAMES)]))
    rare = sorted(((v["annotations"], k) for k, v in per_class.items() if v["annotations"] > 0))[:RAREST_CLASSES]
    if rare:
        parts.append("<h2 id='rare'>Rarest classes</h2>")
        for n, cls in rare:
            ims = [images[i] for i, anns in by_image.items() if any(a.category == cls for a in anns) and i in images]
            parts.append(f"<h3>{html.escape(cls)} ({n} annotations)</h3>")
            parts.append(_grid([_thumb(im, by_image[im.id], highlight=cls) for im in _evenly(ims, EXAMPLES_PER_GROUP)]))
    if "per_variant" in c:
        parts.append("<h2 id='edge-cases'>Edge cases (variants)</h2>")
        for variant, v in sorted(c["per_variant"].items(), key=lambda kv: kv[1]["images"]):
            if variant == "(none)":
                continue
            ims = [im for im in ds.images if im.variant == variant]
            parts.append(f"<h3>{html.escape(variant)} ({v['episodes']} episodes, {v['images']} images)</h3>")
            parts.append(_grid([_thumb(im, by_image.get(im.id, [])) for im in _evenly(ims, EXAMPLES_PER_GROUP)]))
    return parts


def _randomization_section(ds: Dataset) -> list[str]:
    """The values drawn per episode (the manifest's ``sampled``): histograms of those that vary, ranges of all."""
    parts: list[str] = []
    params = sampled_parameters(ds.manifest)
    labels = parameter_labels(list(params), ds.manifest)
    params = {labels[k]: params[k] for k in labels}
    if params:
        parts.append("<h2 id='randomization'>Sampled randomization ranges</h2>")
        varying = {k: v for k, v in params.items() if v.size and np.ptp(v) > 0}
        shown = dict(list(varying.items())[:MAX_PARAM_PLOTS])
        if shown:
            hp = {}
            for k, v in shown.items():
                counts, edges = np.histogram(v, bins=15)
                hp[k] = {"edges": edges.tolist(), "counts": counts.tolist()}
            parts.append(_hist_grid(hp, "values drawn per episode (manifest episodes[].sampled)"))
        parts.append(
            _table(
                ["parameter", "draws", "min", "max"],
                [[k, v.size, f"{v.min():.4g}", f"{v.max():.4g}"] for k, v in params.items()],
            )
        )
    return parts


def _sensors_section(ds: Dataset) -> list[str]:
    """LiDAR points per object and each sensor's sample counts and measured noise."""
    parts: list[str] = []
    lidar = [a.lidar_points for a in ds.annotations if a.lidar_points is not None and a.lidar_points >= 0]
    sensors = sensor_summaries(ds)
    if lidar or sensors:
        parts.append("<h2 id='sensors'>Sensors</h2>")
        if lidar:
            counts, edges = np.histogram(np.asarray(lidar, dtype=float), bins=20)
            parts.append(
                _hist_grid(
                    {"LiDAR points per annotated object": {"edges": edges.tolist(), "counts": counts.tolist()}},
                    "LiDAR points per object",
                    columns=1,
                )
            )
        if sensors:
            rows = []
            for srow in sensors:
                noise = "; ".join(
                    f"{k.removesuffix('_error_std')} σ {', '.join(f'{x:.3g}' for x in v)}"
                    for k, v in srow.items()
                    if k.endswith("_error_std")
                )
                extra = f"{srow['points_per_scan']:.0f} points/scan" if "points_per_scan" in srow else ""
                rows.append([srow["sensor"], srow["type"], srow["samples"], extra, noise])
            parts.append(_table(["sensor", "type", "samples", "", "noise (measured - true, std per axis)"], rows))
    return parts


def _compare_section(r: dict[str, Any]) -> str:
    cls = r["classes"]
    flagged = set(r["most_different"])
    out = [f"<h2 id='compare'>Against the reference {html.escape(r['reference'])}</h2>"]
    if cls["mapping"]:
        out.append(
            "<p>Class mapping: " + html.escape(", ".join(f"{k} → {v}" for k, v in cls["mapping"].items())) + "</p>"
        )
    out.append(
        _table(
            ["class", "share", "reference share"],
            [[k, f"{100 * v:.1f} %", f"{100 * cls['share_reference'][k]:.1f} %"] for k, v in cls["share"].items()],
        )
    )
    rows: list[list[Any]] = []
    bad: set[int] = set()
    for name, v in r["features"].items():
        if v is None:
            continue
        if name in flagged:
            bad.add(len(rows))
        rows.append(
            [
                name,
                f"{v['mean']:.3g}",
                f"{v['mean_reference']:.3g}",
                f"{v['kl']:.3f}",
                f"{v['wasserstein']:.3g}",
                f"{v['wasserstein_rel']:.2f}",
            ]
        )
    out.append(_table(["feature", "mean", "mean ref", "KL (ref‖data)", "W1", "W1 / sd ref"], rows, bad))
    hists = {k: v["histogram"] for k, v in r["features"].items() if v is not None}
    if hists:
        out.append(_hist_grid(hists, "dataset against reference (normalized)"))
    out.append(
        "<p>Most different: " + html.escape(", ".join(r["most_different"]) or "none over the thresholds") + "</p>"
    )
    return "\n".join(out)


def write_report(path: Path, text: str) -> None:
    """Write the HTML atomically."""
    from simgen.core.fileio import write_text

    write_text(path, text)


__all__ = ["build_report", "sampled_parameters", "sensor_summaries", "write_report"]
