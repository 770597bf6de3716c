"""Study reports: ``results.json``, ``results.md`` (tables) and ``plots/*.png`` (matplotlib, Agg).

``results.md`` has one table of mAP, mAP@0.5 and gap to the oracle per arm and target, a
per-class AP table for the held-out target, and the sets rendered. Plots: ``map_by_arm.png``
(mAP per arm and target, bars with the seed interval when there is one), ``per_class_ap.png``
(held-out target) and ``training_loss.png``. All files are written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from simgen.core.fileio import write_bytes, write_json, write_text


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _gap(gap: dict[str, Any] | None) -> str:
    if gap is None:
        return "–"
    if gap["mean"] is None:
        return "undefined (oracle mAP 0)"
    text = f"{100 * gap['mean']:.1f} %"
    if gap["ci95"] is not None:
        lo, hi = gap["ci95"]
        text += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
    return text


def _ci(stat: dict[str, Any], percent: bool = False) -> str:
    """``mean [lo, hi]`` of a summary statistic (``–`` without values; no interval under 2 seeds)."""
    if stat["mean"] is None:
        return "–"
    k, d = (100.0, 1) if percent else (1.0, 3)
    text = f"{k * stat['mean']:.{d}f}"
    if stat["ci95"] is not None:
        lo, hi = stat["ci95"]
        text += f" [{k * lo:.{d}f}, {k * hi:.{d}f}]"
    return text + (" %" if percent else "")


def summary_table(results: dict[str, Any]) -> list[str]:
    """Markdown rows: held-out mAP@0.5 and gap to the oracle per arm, mean [95 % t-interval] over seeds."""
    arms = {a["name"]: a for a in results["arms"]}
    lines = [
        "| arm | heldout mAP@0.5 | heldout mAP | gap to oracle (mAP@0.5) | source mAP@0.5 |",
        "|---|---|---|---|---|",
    ]
    for name, s in results["summary"]["arms"].items():
        label = arms[name]["label"] if name in arms else name
        if s["status"] != "ran":
            lines.append(f"| {label} | skipped: {s['reason']} | | | |")
            continue
        source = arms[name]["summary"].get("source", {}).get("map50")
        gap = "(reference)" if name == "oracle" else _ci(s["gap_to_oracle"], percent=True)
        lines.append(
            f"| {label} | {_ci(s['heldout']['map50'])} | {_ci(s['heldout']['map'])} | {gap} | {_num(source)} |"
        )
    return lines


def ablation_table(results: dict[str, Any]) -> list[str]:
    """Markdown rows: per left-out entry, held-out mAP@0.5, gap and what the entry carries."""
    ablation = results.get("ablation")
    if not ablation:
        return []
    full = results["summary"]["arms"]["randomized"]
    lines = [
        "| randomized arm | heldout mAP@0.5 | gap to oracle | carries (mAP@0.5, full minus without) |",
        "|---|---|---|---|",
        f"| all entries | {_ci(full['heldout']['map50'])} | {_ci(full['gap_to_oracle'], percent=True)} | |",
    ]
    for e in ablation["entries"]:
        lines.append(
            f"| {e['label']} | {_ci(e['heldout']['map50'])} | {_ci(e['gap_to_oracle'], percent=True)} "
            f"| {_ci(e['carries'])} |"
        )
    return lines


def _summary_lines(results: dict[str, Any]) -> list[str]:
    """The summary over seeds, the ablation table and the CPU time, when the results have them."""
    lines: list[str] = []
    if "summary" in results:
        lines += ["Summary over seeds " + ", ".join(map(str, results["summary"]["seeds"])) + ":", ""]
        lines += summary_table(results) + [""]
    if results.get("ablation"):
        lines += ["Ablation: the randomized arm with one `randomize:`/`effects:` entry left out:", ""]
        lines += ablation_table(results) + [""]
    if "cpu" in results:
        c = results["cpu"]
        lines += [
            f"CPU time: {c['total_seconds']:.0f} s ({c['render_seconds']:.0f} s rendering, "
            f"{c['train_seconds']:.0f} s training and evaluation); idle wall estimate "
            f"{c['idle_wall_estimate_seconds'] / 60:.1f} min (CPU time / cores).",
            "",
            "All targets, mAP .50:.95 and gap on it:",
            "",
        ]
    return lines


def markdown(results: dict[str, Any]) -> str:
    """The markdown report of a study's results."""
    targets = list(results["targets"])
    opts = results["options"]
    lines = [
        f"# Utility study: {results['scenario']} ({results['mode']} mode)",
        "",
        f"Detector `{opts['train']['model']}` trained from scratch"
        + (f" from `{opts['train']['weights']}`" if opts["train"]["weights"] else "")
        + f", {opts['train']['steps']} steps of {opts['train']['batch_size']} images on {opts['image_budget']} images"
        f" per arm ({opts['width']}x{opts['height']}), {opts['train_seeds']} training seed(s); "
        f"torch {results['environment']['torch']} on {results['environment']['device']}, "
        f"{results['environment']['threads']} thread(s); {results['seconds']:.0f} s in all.",
        f"Randomization: {results['randomization']}; photoreal: "
        + ("available" if results["photoreal"]["available"] else f"skipped ({results['photoreal']['reason']})")
        + ".",
        "",
        "Targets: " + ", ".join(f"`{t}` ({results['targets'][t]['images']} images)" for t in targets) + ". "
        "`heldout` = scenes no arm saw (other seeds, other colours and light); `source` = held-out "
        "scenes of the source domain; `real` = the user's real set. Gap = relative mAP drop to the "
        "oracle on `heldout`, mean over seeds [95 % t-interval].",
        "",
    ]
    lines += _summary_lines(results)
    header = "| arm | " + " | ".join(f"{t} mAP | {t} mAP@0.5" for t in targets) + " | gap to oracle |"
    lines += [header, "|" + "---|" * (2 + 2 * len(targets))]
    for arm in results["arms"]:
        if arm["status"] != "ran":
            lines.append(f"| {arm['label']} | skipped: {arm['reason']} |" + " |" * (2 * len(targets)))
            continue
        cells = []
        for t in targets:
            s = arm["summary"][t]
            cells += [_num(s["map"]), _num(s["map50"])]
        gap = arm["summary"].get("heldout", {}).get("gap")
        lines.append(
            f"| {arm['label']} | "
            + " | ".join(cells)
            + f" | {_gap(gap) if arm['name'] != 'oracle' else '(reference)'} |"
        )
    classes = results["classes"]
    lines += [
        "",
        "Per-class AP on `heldout`:",
        "",
        "| arm | " + " | ".join(classes) + " |",
        "|" + "---|" * (1 + len(classes)),
    ]
    for arm in results["arms"]:
        if arm["status"] == "ran" and "heldout" in arm["summary"]:
            per = arm["summary"]["heldout"]["per_class_ap"]
            lines.append(f"| {arm['name']} | " + " | ".join(_num(per[c]) for c in classes) + " |")
    lines += [
        "",
        "Sets rendered:",
        "",
        "| set | domain | renderer | seed | images | annotations | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in results["sets"].items():
        lines.append(
            f"| {name} | {s['domain']} | {s['renderer_used'] or s['renderer']} | {s['seed']} "
            f"| {s['images']} | {s['annotations']} | "
            + (f"reused from {s['reused_from']} |" if s.get("reused_from") else f"{s['seconds']:.1f} |")
        )
    return "\n".join(lines) + "\n"


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def plots(results: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes of each plot by file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    ran = [a for a in results["arms"] if a["status"] == "ran"]
    targets = list(results["targets"])
    width = 0.8 / max(len(targets), 1)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for j, t in enumerate(targets):
        xs = [i + j * width for i in range(len(ran))]
        ys = [a["summary"][t]["map"] or 0.0 for a in ran]
        err = []
        for a in ran:
            ci = a["summary"][t]["map_ci95"]
            m = a["summary"][t]["map"] or 0.0
            err.append(0.0 if ci is None else (ci[1] - ci[0]) / 2 if m else 0.0)
        ax.bar(xs, ys, width, yerr=err if any(err) else None, capsize=3, label=t)
    ax.set_xticks([i + width * (len(targets) - 1) / 2 for i in range(len(ran))], [a["name"] for a in ran])
    ax.set_ylabel("COCO mAP (IoU .50:.95)")
    ax.set_title(f"{results['scenario']}: mAP by training arm ({results['mode']})")
    ax.legend(title="target")
    out["map_by_arm.png"] = _png(fig)
    plt.close(fig)

    classes = results["classes"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.8 / max(len(ran), 1)
    for j, a in enumerate(ran):
        per = a["summary"].get("heldout", {}).get("per_class_ap", {})
        ax.bar(
            [i + j * width for i in range(len(classes))], [per.get(c) or 0.0 for c in classes], width, label=a["name"]
        )
    ax.set_xticks([i + width * (len(ran) - 1) / 2 for i in range(len(classes))], classes)
    ax.set_ylabel("AP on heldout")
    ax.set_title("per-class AP on the held-out target")
    ax.legend()
    out["per_class_ap.png"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.8))
    for a in ran:
        for run in a["runs"]:
            if run["losses"]:
                steps, losses = zip(*run["losses"], strict=True)
                ax.plot(steps, losses, label=f"{a['name']} seed {run['seed']}")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title("training loss")
    ax.legend(fontsize=7)
    out["training_loss.png"] = _png(fig)
    plt.close(fig)
    return out


def write_reports(results: dict[str, Any], out: Path) -> None:
    """Write results.json, results.md and plots/*.png into ``out``."""
    for name, data in plots(results).items():
        write_bytes(out / "plots" / name, data)
    write_text(out / "results.md", markdown(results))
    write_json(out / "results.json", results, indent=2)
