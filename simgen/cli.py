"""The ``simgen`` command line. User errors print one line each and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simgen.errors import SimgenError

if TYPE_CHECKING:
    from simgen.scenario.models import Scenario

EXIT_USER_ERROR = 2

EPILOG = """\
examples:
  simgen validate scenarios/quickstart.yaml
  simgen render quickstart --out data/quick            # a shipped scenario by name
  simgen render my.yaml --out data/run1 --episodes 100 --workers 2 --seed 7
  simgen render my.yaml --out data/run1 --episodes 100 --resume   # continue after Ctrl-C
  simgen preview my.yaml -o sheet.png                   # look before you render
  simgen schema > simgen.schema.json                    # editor autocompletion
  simgen list
  simgen study quickstart --quick --out out/study     # train a detector on it, test it elsewhere

Scenario files are YAML; see scenarios/quickstart.yaml and the README's scenario section.
"""


def _scenario_path(arg: str) -> Path:
    """A path as given, or a shipped scenario's name (``quickstart``)."""
    p = Path(arg)
    if p.exists() or "/" in arg or arg.endswith((".yaml", ".yml")):
        return p
    from simgen.resources import scenario_path

    shipped = scenario_path(arg)
    return shipped if shipped.exists() else p


def _load(arg: str):  # noqa: ANN202 - returns Scenario; imported lazily
    from simgen.scenario.loader import load

    return load(_scenario_path(arg))


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each file, report every error, exit 2 if any file is invalid."""
    bad = 0
    for arg in args.scenarios:
        try:
            sc = _load(arg)
            from simgen.scenario.sampling import check_sampling

            problems = check_sampling(sc)
            if problems:
                raise SimgenError(issues=problems)
        except SimgenError as err:
            bad += 1
            for issue in err.issues:
                print(issue.format() if issue.file else f"{arg}: {issue.format()}", file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{arg}: ok ({len(sc.objects)} object kinds, {len(sc.cameras)} cameras, {sc.episodes} episodes)")
    return EXIT_USER_ERROR if bad else 0


def cmd_render(args: argparse.Namespace) -> int:
    """Render and export a dataset."""
    from simgen.batch.runner import render_dataset

    sc = _load(args.scenario)
    if args.splits:
        sc = _with_splits(sc, args.splits)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats:
        raise SimgenError("--formats is empty", hint="e.g. --formats coco")
    summary = render_dataset(
        sc,
        args.out,
        episodes=args.episodes,
        frames=args.frames,
        seed=args.seed,
        workers=args.workers,
        formats=formats,
        renderer=args.renderer,
        resume=args.resume,
        progress=None if not args.no_progress else False,
    )
    print(summary.line())
    return 0


def _with_splits(sc: Scenario, text: str) -> Scenario:
    """The scenario with ``output.splits`` replaced by ``--splits train=0.8,val=0.2``."""
    from pydantic import ValidationError

    splits: dict[str, float] = {}
    try:
        for part in text.split(","):
            name, share = part.split("=")
            splits[name.strip()] = float(share)
        output = type(sc.output).model_validate({**sc.output.model_dump(), "splits": splits})
    except (ValueError, ValidationError) as err:
        raise SimgenError(
            f"--splits '{text}' is not a list of name=share pairs with valid names and shares >= 0",
            hint="e.g. --splits train=0.8,val=0.1,test=0.1",
        ) from err
    if sum(splits.values()) <= 0:
        raise SimgenError(f"--splits '{text}' gives no episodes to any split", hint="use shares > 0")
    return sc.model_copy(update={"output": output})


def cmd_preview(args: argparse.Namespace) -> int:
    """Render a few frames and save a labeled contact sheet."""
    from simgen.batch.preview import write_preview

    sc = _load(args.scenario)
    n = write_preview(
        sc,
        args.output,
        episodes=args.episodes,
        frames=args.frames,
        renderer=args.renderer,
        columns=args.columns,
        seed=args.seed,
    )
    print(f"simgen: wrote a contact sheet of {n} frames to {args.output}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files."""
    from simgen.scenario.schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List what this installation offers."""
    from simgen.export.base import EXPORTERS, load_builtin
    from simgen.resources import shipped_scenarios
    from simgen.scenario.models import OBJECT_TYPES
    from simgen.sensors.render import RENDERERS

    load_builtin()
    print("exporters (--formats):")
    for name in sorted(EXPORTERS):
        print(f"  {name:10s} {EXPORTERS[name].summary}")
    print("renderers (--renderer):")
    print("  auto       EGL when available, else TinyRenderer")
    print("  egl        OpenGL through pybullet's EGL plugin (GPU or Mesa llvmpipe)")
    print("  tiny       pybullet TinyRenderer (CPU, always available)")
    assert set(RENDERERS) == {"auto", "egl", "tiny"}
    from simgen.sensors.registry import SENSORS
    from simgen.sensors.registry import load_builtin as load_sensors

    load_sensors()
    print("sensors (cameras[], and sensors[].type):")
    for name in sorted(SENSORS):
        print(f"  {name:10s} {SENSORS[name].summary}")
    print("object types (objects[].type):")
    print("  " + ", ".join(OBJECT_TYPES))
    from simgen.scenario import world_models as wm

    print("actor behaviours (objects[].behavior.type):")
    print("  " + ", ".join(wm.BEHAVIOR_TYPES))
    print("placement regions (objects[].placement.region):")
    print("  " + ", ".join(wm.PLACEMENT_REGIONS))
    print("event triggers (events[].trigger.type):")
    print("  " + ", ".join(wm.TRIGGER_TYPES))
    print("event actions and sensor faults (events[].actions[].type):")
    print("  " + ", ".join(wm.ACTION_TYPES))
    print("asset sources (objects[].path):")
    print("  pybullet_data:NAME  pybullet's bundled URDFs and meshes")
    print("  assets:NAME         simgen's shipped assets")
    print("  NAME                a file next to the scenario")
    print("shipped scenarios (simgen render NAME):")
    for path in shipped_scenarios():
        print(f"  {path.stem:28s} {_first_comment(path)}")
    return 0


def _first_comment(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def cmd_study(args: argparse.Namespace) -> int:
    """Run the utility study: train a detector on this scenario's data, test it where it was not trained."""
    import os
    from dataclasses import replace

    from simgen.study.data import parse_class_map
    from simgen.study.run import preset, run_study

    sc = _load(args.scenario)
    opts = preset("quick" if args.quick else "full")
    train = opts.train
    for name in ("steps", "batch_size", "lr"):
        if getattr(args, name) is not None:
            train = replace(train, **{name: getattr(args, name)})
    if args.model:
        train = replace(train, model=args.model)
    if args.weights:
        train = replace(train, weights=Path(args.weights))
    size = {}
    if args.image_size:
        try:
            w, h = (int(v) for v in args.image_size.lower().split("x"))
        except ValueError as err:
            raise SimgenError(
                f"--image-size '{args.image_size}' is not WIDTHxHEIGHT", hint="e.g. --image-size 320x240"
            ) from err
        size = {"width": w, "height": h}
        train = replace(train, min_size=min(w, h), max_size=max(w, h))  # the model sees the rendered size
    opts = replace(
        opts,
        **size,
        train=train,
        classes=[c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None,
        renderer=args.renderer,
        photoreal_renderer=args.photoreal_renderer,
        workers=args.workers,
        threads=args.threads or (os.cpu_count() or 1),
        device=args.device,
        real=args.real,
        class_map=parse_class_map(args.class_map),
    )
    for name in ("train_images", "test_images", "train_seeds", "frames", "shift_seed"):
        if getattr(args, name) is not None:
            opts = replace(opts, **{name: getattr(args, name)})
    def echo(message: str) -> None:
        print(f"simgen study: {message}", file=sys.stderr, flush=True)

    results = run_study(sc, args.out, opts, echo=None if args.quiet else echo)
    print(
        f"simgen: utility study of {results['scenario']} written to {args.out} "
        f"(results.md, results.json, plots/) in {results['seconds']:.0f} s"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to render ``--help`` in the README)."""
    from simgen import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="simgen",
        description="Labeled synthetic sensor data from physics simulation (pybullet).",
        epilog=EPILOG,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"simgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "validate",
        help="check scenario files; all errors at once",
        formatter_class=fmt,
        description="Check scenario files. Prints file:line:col: key.path: message for every error; exit 2 if any.",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario file or shipped scenario name")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "render",
        help="render a scenario into a dataset",
        formatter_class=fmt,
        description="Render a scenario and export it.",
        epilog="example:\n  simgen render quickstart --out data/quick --episodes 8 --workers 2",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or shipped scenario name")
    p.add_argument("--out", "-o", required=True, help="output folder (must be empty unless --resume)")
    p.add_argument("--episodes", type=int, help="number of episodes (default: the scenario's)")
    p.add_argument("--frames", type=int, help="frames per episode (default: the scenario's)")
    p.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (output is identical for any count)")
    p.add_argument("--formats", default="coco", help="comma-separated exporters (see 'simgen list'); default coco")
    p.add_argument("--renderer", default="auto", choices=["auto", "egl", "tiny"], help="render backend (default auto)")
    p.add_argument("--splits", help="episode split shares, overriding the scenario's, e.g. train=0.8,val=0.2")
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run in --out, skipping finished episodes"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser(
        "preview",
        help="contact sheet of a few labeled frames",
        formatter_class=fmt,
        description="Render a few frames in memory and save them as one image with labels drawn.",
    )
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("-o", "--output", required=True, help="image file to write (.png or .jpg)")
    p.add_argument("--episodes", type=int, default=2, help="episodes to show (default 2)")
    p.add_argument("--frames", type=int, default=4, help="frames per episode to show (default 4)")
    p.add_argument("--columns", type=int, default=4, help="tiles per row (default 4)")
    p.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    p.add_argument("--renderer", default="auto", choices=["auto", "egl", "tiny"])
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser(
        "study",
        help="utility study: train a detector on the scenario's data, test it where it was not trained",
        formatter_class=fmt,
        description=(
            "Render training sets for each arm (source; + randomization and sensor effects; photoreal when\n"
            "Blender is installed; oracle trained on the target domain), train a small torchvision detector\n"
            "from scratch on each with the same budget, evaluate COCO mAP on held-out scenes (and --real data),\n"
            "and write results.json, results.md and plots/ to --out. Needs pip install 'simgen[study]'."
        ),
        epilog="examples:\n  simgen study quickstart --quick --out out/study_quick\n"
        "  simgen study my.yaml --out out/study --device cuda --real real/val.json:real/images",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or shipped scenario name")
    p.add_argument("--out", "-o", required=True, help="output folder (new or empty)")
    p.add_argument("--quick", action="store_true", help="about 15 min on a 2-core CPU (default: full size, for a GPU)")
    p.add_argument(
        "--real", metavar="REAL.json:IMAGES", help="also evaluate on real COCO data with the scenario's class names"
    )
    p.add_argument("--class-map", metavar="REAL=OURS,...", help="map --real category names onto scenario classes")
    p.add_argument("--weights", metavar="PATH", help="local state dict to start from (detector or mobilenet_v3_large)")
    p.add_argument("--model", choices=["fasterrcnn_mobilenet_v3_large_320_fpn", "ssdlite320_mobilenet_v3_large"])
    p.add_argument("--classes", help="comma-separated subset of the scenario's classes")
    p.add_argument("--image-size", metavar="WxH", help="rendered image size (quick 240x180, full 640x480)")
    p.add_argument("--frames", type=int, help="frames per episode (default 4)")
    p.add_argument("--train-images", type=int, help="training images per arm (quick 240, full 4000)")
    p.add_argument("--test-images", type=int, help="images per test set (quick 120, full 1000)")
    p.add_argument("--steps", type=int, help="training steps per model (quick 250, full 6000)")
    p.add_argument("--batch-size", type=int, help="images per step (quick 4, full 8)")
    p.add_argument("--lr", type=float, help="AdamW learning rate (default 0.001)")
    p.add_argument("--train-seeds", type=int, help="training seeds per arm (quick 1, full 3)")
    p.add_argument("--shift-seed", type=int, help="seed of the target domain's appearance (default 7)")
    p.add_argument("--renderer", default="auto", choices=["auto", "egl", "tiny"], help="raster renderer (default auto)")
    p.add_argument("--photoreal-renderer", default="cycles", help="renderer of the photoreal arm (default cycles)")
    p.add_argument("--workers", type=int, default=1, help="render worker processes")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: CPU count)")
    p.add_argument(
        "--device", default="auto", help="torch device for training: auto, cpu, cuda, cuda:1 (auto: cuda if any)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_study)

    p = sub.add_parser("schema", help="print the scenario JSON Schema (draft 2020-12)")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("list", help="exporters, renderers, object types, shipped scenarios")
    p.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USER_ERROR
    counts = ("steps", "batch_size", "train_images", "test_images", "train_seeds", "threads")
    for name in ("episodes", "frames", "workers", "columns", *counts):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            print(f"simgen: error: --{name.replace('_', '-')} must be at least 1, got {value}", file=sys.stderr)
            return EXIT_USER_ERROR
    try:
        return int(args.func(args))
    except SimgenError as err:
        for issue in err.issues:
            print(f"simgen: error: {issue.format()}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("simgen: interrupted; finished episodes are kept, rerun with --resume to continue", file=sys.stderr)
        return 130
