"""The ``simgen`` command line. User errors print one line each and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simgen.errors import SimgenError

# The same names as simgen.sensors.render.RENDERERS (checked by `simgen list`), kept here so that
# building the parser imports neither OpenCV nor pybullet.
RENDERER_CHOICES = ["auto", "egl", "tiny", "cycles", "eevee", "workbench"]

if TYPE_CHECKING:
    from simgen.scenario.models import Scenario

EXIT_USER_ERROR = 2
EXIT_EPISODES_FAILED = 3  # the dataset was written, but some episodes failed every attempt (see the manifest)

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
            warnings = acceptance_warnings(sc, args.acceptance_samples)
        except SimgenError as err:
            bad += 1
            for issue in err.issues:
                print(issue.format() if issue.file else f"{arg}: {issue.format()}", file=sys.stderr)
            continue
        for issue in warnings:
            print(issue.format() if issue.file else f"{arg}: {issue.format()}", file=sys.stderr)
        if not args.quiet:
            print(f"{arg}: ok ({len(sc.objects)} object kinds, {len(sc.cameras)} cameras, {sc.episodes} episodes)")
    return EXIT_USER_ERROR if bad else 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import an OpenSCENARIO file as a simgen scenario; print every element that was not mapped."""
    from simgen.interop.openscenario.writer import import_file

    out = Path(args.output)
    if out.suffix not in (".yaml", ".yml"):
        raise SimgenError(f"output must be a .yaml file, got {out.name!r}", hint="e.g. -o scenario.yaml")
    if out.exists() and out.is_dir():
        raise SimgenError(f"{out} is a folder", hint="name the scenario file to write, e.g. -o scenario.yaml")
    out.parent.mkdir(parents=True, exist_ok=True)
    skipped = import_file(Path(args.source), out)
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    print(f"{out}: written ({len(skipped)} element(s) not mapped, listed above)" if skipped else f"{out}: written")
    return 0


def acceptance_warnings(sc, samples: int) -> list:  # noqa: ANN001 - Scenario, Issue; imported lazily
    """``require:``: the estimated share of accepted attempts, as a warning when it is below 5 %."""
    from simgen.scenario.loader import issue_at
    from simgen.scenario.requirements import ACCEPTANCE_WARNING, acceptance_estimate

    est = acceptance_estimate(sc, samples) if samples > 0 else None
    if est is None or est.rate >= ACCEPTANCE_WARNING:
        return []
    worst = max(est.conditions.items(), key=lambda kv: kv[1][2] / max(kv[1][1], 1))
    parts = "; ".join(f"'{text}' failed {f} of {c} checks" for text, c, f in est.conditions.values())
    message = (
        f"warning: the requirements held in {est.accepted} of {est.attempts} sampled attempts "
        f"({100 * est.rate:.0f} %), so each episode needs many attempts ({parts})"
    )
    return [issue_at(sc, worst[0], message, f"max_attempts is {sc.max_attempts}; loosen the condition or raise it")]


def cmd_render(args: argparse.Namespace) -> int:
    """Render and export a dataset."""
    from simgen.batch.config import RunConfig
    from simgen.batch.runner import run

    sc = _load(args.scenario)
    if args.splits:
        sc = _with_splits(sc, args.splits)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats:
        raise SimgenError("--formats is empty", hint="e.g. --formats coco")
    config = RunConfig(
        out=Path(args.out),
        episodes=args.episodes,
        frames=args.frames,
        seed=args.seed,
        workers=args.workers,
        formats=tuple(formats),
        renderer=args.renderer,
        resume=args.resume,
        progress="none" if args.no_progress else args.progress,
        retries=args.retries,
        shard=parse_shard(args.shard),
        backend=args.backend,
        address=args.address,
        max_episodes_per_worker=args.worker_max_episodes,
        only=tuple(args.episode) if args.episode else None,
    )
    summary = run(sc, config)
    print(summary.line())
    return EXIT_EPISODES_FAILED if summary.failed else 0


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``--shard 'I/N'`` -> (I, N) with 0 <= I < N (None when absent); a :class:`SimgenError` otherwise."""
    if text is None:
        return None
    from simgen.batch.config import check_shard

    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as err:
        raise SimgenError(
            f"--shard '{text}' is not I/N", hint="e.g. --shard 0/4 (shards are numbered 0 to N-1)"
        ) from err
    return check_shard(i, n)


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
        draws=args.draws,
    )
    print(f"simgen: wrote a contact sheet of {n} frames to {args.output}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files."""
    from simgen.scenario.schema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def _list_assets() -> None:
    """Procedural asset types by group (each an object type), scene layouts and library materials."""
    from simgen.assets.registry import load_builtin
    from simgen.materials.library import MATERIALS
    from simgen.scenario.layouts import SCENE_TYPES

    assets = load_builtin()
    groups: dict[str, list[str]] = {}
    for name, gen in sorted(assets.items()):
        groups.setdefault(gen.group, []).append(name)
    print("procedural asset types (objects[].type; parameters in 'simgen schema'):")
    for group, names in groups.items():
        print(f"  {group}:")
        for name in names:
            print(f"    {name:15s} {assets[name].doc}")
    print("scene layouts (scene.type):")
    print("  " + ", ".join(SCENE_TYPES))
    print("library materials (procedural textures):")
    print("  " + ", ".join(sorted(MATERIALS)))
    print("pybullet_data models (type: urdf, path: pybullet_data:NAME; see docs/assets.md):")
    print("  duck_vhacd.urdf, r2d2.urdf, teddy_vhacd.urdf, table/table.urdf, tray/traybox.urdf, ...")


def cmd_list(args: argparse.Namespace) -> int:
    """List what this installation offers."""
    from simgen.export.base import EXPORTERS, load_builtin
    from simgen.resources import shipped_scenarios
    from simgen.scenario.models import ASSET_MODELS, OBJECT_TYPES
    from simgen.sensors.render import RENDERERS

    load_builtin()
    print("exporters (--formats):")
    for name in sorted(EXPORTERS):
        print(f"  {name:10s} {EXPORTERS[name].summary}")
    print("renderers (--renderer):")
    print("  auto       EGL when available, else TinyRenderer")
    print("  egl        OpenGL through pybullet's EGL plugin (GPU or Mesa llvmpipe)")
    print("  tiny       pybullet TinyRenderer (CPU, always available)")
    print("  cycles     Blender Cycles path tracing, photoreal RGB; labels from pybullet (simgen[blender])")
    print("  eevee      Blender EEVEE rasteriser, photoreal RGB; labels from pybullet (simgen[blender])")
    print("  workbench  Blender Workbench, fast flat shading; labels from pybullet (simgen[blender])")
    assert set(RENDERERS) == set(RENDERER_CHOICES)
    from simgen.sensors.registry import load_sensor_types

    sensor_types = load_sensor_types()
    print("sensors (cameras[], and sensors[].type):")
    for name in sorted(sensor_types):
        print(f"  {name:10s} {sensor_types[name].summary}")
    print("object types (objects[].type):")
    print("  " + ", ".join(t for t in OBJECT_TYPES if t not in ASSET_MODELS))
    _list_assets()
    from simgen.scenario import world_models as wm

    print("actor behaviours (objects[].behavior.type):")
    print("  " + ", ".join(wm.BEHAVIOR_TYPES))
    print("placement regions (objects[].placement.region):")
    print("  " + ", ".join(wm.PLACEMENT_REGIONS))
    print("placements relative to other objects or cameras (objects[].placement):")
    print("  " + ", ".join(wm.PLACED_AFTER))
    print("event triggers (events[].trigger.type):")
    print("  " + ", ".join(wm.TRIGGER_TYPES))
    print("event actions and sensor faults (events[].actions[].type):")
    print("  " + ", ".join(wm.action_types()))
    from simgen.randomize.registry import EFFECTS
    from simgen.randomize.registry import load_builtin as load_randomizers
    from simgen.scenario.randomizers import RANDOMIZERS

    load_randomizers()
    print("randomizers (randomize[].type):")
    print("  " + ", ".join(sorted(RANDOMIZERS)))
    print("sensor effects (effects[].type):")
    print("  " + ", ".join(sorted(EFFECTS)))
    from simgen.materials.textures import TEXTURES

    print("procedural textures (randomize[].generators):")
    print("  " + ", ".join(sorted(TEXTURES)))
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
    size: dict[str, Any] = {}
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
        threads=args.threads or (1 if args.quick else (os.cpu_count() or 1)),
        jobs=args.jobs or opts.jobs,
        ablate=args.ablate,
        reuse=args.reuse or [],
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
    _add_validate(sub, fmt)
    _add_render(sub, fmt)
    _add_merge(sub, fmt)
    _add_preview(sub, fmt)
    _add_study(sub, fmt)
    _add_import(sub, fmt)
    p = sub.add_parser("schema", help="print the scenario JSON Schema (draft 2020-12)")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("list", help="exporters, renderers, object types, shipped scenarios")
    p.set_defaults(func=cmd_list)
    _add_dataset_commands(sub, fmt)
    return parser


def _add_validate(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen validate``: check scenario files."""
    p = sub.add_parser(
        "validate",
        help="check scenario files; all errors at once",
        formatter_class=fmt,
        description="Check scenario files. Prints file:line:col: key.path: message for every error; exit 2 if any.",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario file or shipped scenario name")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    p.add_argument(
        "--acceptance-samples",
        type=int,
        default=20,
        metavar="N",
        help="with require: sample N attempts to estimate how many are accepted; warn below 5 %% (0: skip)",
    )
    p.set_defaults(func=cmd_validate)


def _add_render(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen render``: render a scenario into a dataset."""
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
    p.add_argument(
        "--renderer",
        default="auto",
        choices=RENDERER_CHOICES,
        help="render backend (default auto); cycles/eevee/workbench: photoreal RGB via Blender (simgen[blender])",
    )
    p.add_argument("--splits", help="episode split shares, overriding the scenario's, e.g. train=0.8,val=0.2")
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run in --out, skipping finished episodes"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    p.add_argument(
        "--episode",
        type=int,
        action="append",
        metavar="N",
        help="render only episode N of the run (repeatable): regenerates it exactly, randomization included",
    )
    _add_batch_options(p)
    p.set_defaults(func=cmd_render)


def _add_merge(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen merge``: assemble shard folders."""
    p = sub.add_parser(
        "merge",
        help="assemble shard folders into one dataset",
        formatter_class=fmt,
        description="Assemble the folders of 'simgen render --shard I/N' into one dataset, byte-identical to a "
        "single-machine run. Refuses shards of different runs, missing or duplicate shards, unfinished shards.",
        epilog="example:\n  simgen merge data/shard0 data/shard1 data/shard2 --out data/run1",
    )
    p.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="folders written with --shard I/N, all N of them")
    p.add_argument("--out", "-o", required=True, help="output folder (must not exist or be empty)")
    p.set_defaults(func=cmd_merge)


def _add_preview(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen preview``: a contact sheet of labeled frames."""
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
    p.add_argument("--renderer", default="auto", choices=RENDERER_CHOICES)
    p.add_argument(
        "--draws", type=int, help="show episode 0's first frame under N randomization draws (randomize:/effects:)"
    )
    p.set_defaults(func=cmd_preview)


def _add_study(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen study``: the utility study."""
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
    p.add_argument(
        "--quick", action="store_true", help="about 30 min on an idle 2-core CPU (default: full size, for a GPU)"
    )
    p.add_argument(
        "--real", metavar="REAL.json:IMAGES", help="also evaluate on real COCO data with the scenario's class names"
    )
    p.add_argument("--class-map", metavar="REAL=OURS,...", help="map --real category names onto scenario classes")
    p.add_argument("--weights", metavar="PATH", help="local state dict to start from (detector or mobilenet_v3_large)")
    p.add_argument(
        "--model",
        choices=["centernet_small", "fasterrcnn_mobilenet_v3_large_320_fpn", "ssdlite320_mobilenet_v3_large"],
        help="detector (quick: centernet_small, from scratch on a CPU; full: fasterrcnn_mobilenet_v3_large_320_fpn)",
    )
    p.add_argument("--classes", help="comma-separated subset of the scenario's classes")
    p.add_argument("--image-size", metavar="WxH", help="rendered image size (quick 240x180, full 640x480)")
    p.add_argument("--frames", type=int, help="frames per episode (default 4)")
    p.add_argument("--train-images", type=int, help="training images per arm (quick 240, full 4000)")
    p.add_argument("--test-images", type=int, help="images per test set (quick 120, full 1000)")
    p.add_argument("--steps", type=int, help="training steps per model (quick 300, full 6000)")
    p.add_argument("--batch-size", type=int, help="images per step (quick 16, full 8)")
    p.add_argument("--lr", type=float, help="AdamW learning rate (quick 0.002, full 0.001)")
    p.add_argument("--train-seeds", type=int, help="training seeds per arm (default 3)")
    p.add_argument("--shift-seed", type=int, help="seed of the target domain's appearance (default 7)")
    p.add_argument("--renderer", default="auto", choices=["auto", "egl", "tiny"], help="raster renderer (default auto)")
    p.add_argument("--photoreal-renderer", default="cycles", help="renderer of the photoreal arm (default cycles)")
    p.add_argument("--workers", type=int, default=1, help="render worker processes")
    p.add_argument("--threads", type=int, help="torch CPU threads per training (default: quick 1, full CPU count)")
    p.add_argument(
        "--jobs", type=int, help="trainings run at once, one process each (default: quick CPU count, full 1)"
    )
    p.add_argument(
        "--ablate",
        action="store_true",
        help="also train the randomized arm with each randomize:/effects: entry left out, one at a time",
    )
    p.add_argument(
        "--device", default="auto", help="torch device for training: auto, cpu, cuda, cuda:1 (auto: cuda if any)"
    )
    p.add_argument(
        "--reuse",
        metavar="EARLIER_OUT",
        action="append",
        help="copy rendered sets from an earlier study's --out where their recipe is identical (repeatable)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_study)


def _add_import(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``simgen import``: an OpenSCENARIO file as a scenario."""
    p = sub.add_parser(
        "import",
        help="import an ASAM OpenSCENARIO 1.x file (and its OpenDRIVE roads) as a scenario",
        description="Write a simgen scenario (YAML plus road meshes beside it) from an OpenSCENARIO .xosc file. "
        "Elements that cannot be mapped are listed, one located line each. See docs/openscenario.md.",
        formatter_class=fmt,
    )
    p.add_argument("source", metavar="FILE.xosc", help="OpenSCENARIO scenario or ParameterValueDistribution file")
    p.add_argument("-o", "--output", required=True, help="scenario file to write (.yaml)")
    p.set_defaults(func=cmd_import)


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts, distributions, near-duplicates and label sanity of a dataset."""
    from simgen.dataset.reader import open_dataset
    from simgen.dataset.stats import dataset_stats, format_stats

    stats = dataset_stats(open_dataset(args.dataset), duplicates=not args.no_duplicates)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Fidelity of a dataset against a real COCO reference."""
    from simgen.dataset.compare import compare_datasets, format_compare, parse_mapping, to_json
    from simgen.dataset.reader import open_dataset

    ours, ref = open_dataset(args.dataset), open_dataset(args.reference)
    result = compare_datasets(ours, ref, parse_mapping(args.map))
    if args.update_card:
        from simgen.dataset.card import update_card

        update_card(ours, ref, result)
    print(to_json(result) if args.json else format_compare(result))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """One self-contained HTML report of a dataset (and its comparison with a reference)."""
    from simgen.dataset.reader import open_dataset
    from simgen.dataset.report import build_report, write_report
    from simgen.dataset.stats import dataset_stats

    ds = open_dataset(args.dataset)
    comparison = None
    if args.reference:
        from simgen.dataset.compare import compare_datasets, parse_mapping

        comparison = compare_datasets(ds, open_dataset(args.reference), parse_mapping(args.map))
    text = build_report(ds, dataset_stats(ds), comparison)
    write_report(Path(args.output), text)
    print(f"simgen: wrote a report of {len(ds.images)} images to {args.output} ({len(text) / 1e6:.1f} MB)")
    return 0


def cmd_mix(args: argparse.Namespace) -> int:
    """Merge a real COCO dataset with simgen datasets into one hybrid dataset."""
    from simgen.dataset.compare import parse_mapping
    from simgen.dataset.mix import plan_mix, write_mix
    from simgen.dataset.reader import open_dataset

    real = open_dataset(args.real)
    synthetic = [open_dataset(d) for d in args.synthetic]
    plan = plan_mix(
        real,
        synthetic,
        mapping=parse_mapping(args.map),
        ratio=args.ratio,
        fill=args.fill_classes,
        synthetic_val=args.synthetic_val,
        real_val=args.real_val,
        group_by=args.group_by,
        seed=args.seed,
    )
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    summary = write_mix(plan, Path(args.out), formats, args.link)
    splits = ", ".join(f"{k}: {v['real']} real + {v['synthetic']} synthetic" for k, v in summary["splits"].items())
    print(f"simgen: wrote a hybrid dataset to {args.out} ({splits}; {', '.join(formats)})")
    r = summary["ratio"]
    target = f" (target {100 * r['target']:.1f} %)" if "target" in r else ""
    print(f"synthetic share of training images: {100 * r['achieved']:.1f} %{target}")
    for name, v in ((summary.get("targets") or {}).get("classes") or {}).items():
        flag = "  UNDER TARGET" if v["under"] else ""
        share = f"{100 * v['achieved']:.1f} % of training annotations (target {100 * v['target']:.1f} %)"
        print(f"class {name}: {share}{flag}")
    for note in summary.get("notes", []):
        print(f"note: {note}")
    return 0


def _add_dataset_commands(sub: argparse._SubParsersAction, fmt: type[argparse.HelpFormatter]) -> None:
    """``stats``, ``compare`` and ``report``: read-only tools over finished datasets."""
    what = "a simgen output folder, a COCO folder, or a COCO file (X.json[:IMAGES])"
    p = sub.add_parser(
        "stats",
        help="counts, distributions, near-duplicates and label sanity of a dataset",
        formatter_class=fmt,
        description="Statistics of a dataset: per class/split/variant/sweep cell, feature distributions, "
        "empty frames, near-duplicate images, label sanity.",
        epilog="examples:\n  simgen stats out/quickstart\n  simgen stats real/instances_val.json --json",
    )
    p.add_argument("dataset", metavar="DIR", help=what)
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--no-duplicates", action="store_true", help="skip the near-duplicate search (reads every image)")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "compare",
        help="fidelity of a dataset against a real COCO dataset (KL, Wasserstein per feature)",
        formatter_class=fmt,
        description="Compare class frequencies, box size/aspect/position and image statistics with a reference.",
        epilog="example:\n  simgen compare out/run --reference real/instances_val.json:real/images --map crate=box",
    )
    p.add_argument("dataset", metavar="DIR", help=what)
    p.add_argument("--reference", required=True, metavar="REAL.json[:IMAGES]", help="the real dataset")
    p.add_argument("--map", metavar="A=B,...|FILE", help="class names: synthetic=real pairs or a YAML file of them")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--update-card", action="store_true", help="write the gaps found into DIR/DATASET_CARD.md")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "report",
        help="self-contained HTML report with plots and labeled frames",
        formatter_class=fmt,
        description="Write one HTML file (images embedded, no network) with the stats, plots, sample frames, "
        "sampled ranges, sensor summaries, the dataset card and, with --reference, the comparison.",
        epilog="example:\n  simgen report out/run -o report.html --reference real.json:real/images",
    )
    p.add_argument("dataset", metavar="DIR", help=what)
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--reference", metavar="REAL.json[:IMAGES]", help="also compare with this real dataset")
    p.add_argument("--map", metavar="A=B,...|FILE", help="class names: synthetic=real pairs or a YAML file of them")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "mix",
        help="merge a real COCO dataset with simgen datasets (provenance kept per image)",
        formatter_class=fmt,
        description="Merge real COCO data with synthetic simgen datasets into one hybrid dataset. Validation "
        "stays real-only unless --synthetic-val; real images are linked or copied, never re-encoded.",
        epilog="examples:\n  simgen mix --real real/train.json:real/images --synthetic out/run --ratio 0.3 "
        "--out mixed --formats coco,yolo\n  simgen mix --real real.json --synthetic out/a out/b --fill-classes 0.05 "
        "--map pedestrian=person --out mixed",
    )
    p.add_argument("--real", required=True, metavar="REAL.json[:IMAGES]", help="the real COCO dataset")
    p.add_argument("--synthetic", required=True, nargs="+", metavar="DIR", help="simgen dataset folders")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--ratio", type=float, help="synthetic share of training images, e.g. 0.3")
    how.add_argument(
        "--fill-classes",
        nargs="?",
        const="0.05",
        metavar="TARGETS",
        help="add synthetic episodes until classes reach shares: 0.05 (every class, the default) or name=share,...",
    )
    p.add_argument("--out", "-o", required=True, help="output folder (must not exist or be empty)")
    p.add_argument("--formats", default="coco", help="comma-separated: coco, yolo (default coco)")
    p.add_argument("--map", metavar="A=B,...|FILE", help="class names: synthetic=real pairs or a YAML file of them")
    p.add_argument("--link", default="hardlink", choices=["hardlink", "symlink", "copy"], help="how images get there")
    p.add_argument("--synthetic-val", action="store_true", help="keep synthetic frames' own splits (val too)")
    p.add_argument("--real-val", type=float, metavar="SHARE", help="re-split real images: this share of groups to val")
    p.add_argument("--group-by", metavar="FIELD", help="with --real-val: COCO image field that groups images")
    p.add_argument("--seed", type=int, default=0, help="seed of the episode order and real re-split (default 0)")
    p.set_defaults(func=cmd_mix)


def _add_batch_options(p: argparse.ArgumentParser) -> None:
    """Options of long and distributed runs (failure isolation, shards, progress, backends)."""
    p.add_argument(
        "--retries",
        type=int,
        default=2,
        help="retries of an episode that fails or kills its worker, each in a fresh process (default 2); "
        "after that it is recorded as failed and the exit code is 3",
    )
    p.add_argument(
        "--progress",
        default="auto",
        choices=["auto", "bar", "json", "none"],
        help="auto: a bar on a terminal; json: one JSON line per finished episode on stderr",
    )
    p.add_argument("--shard", metavar="I/N", help="render only shard I of N (0 <= I < N); assemble with 'simgen merge'")
    p.add_argument("--backend", default="local", choices=["local", "ray"], help="local processes, or a Ray cluster")
    p.add_argument("--address", help="Ray cluster address (with --backend ray; 'auto' joins a 'ray start' cluster)")
    p.add_argument(
        "--worker-max-episodes",
        type=int,
        default=0,
        metavar="K",
        help="replace each worker process after K episodes (a backstop against memory growth; default 0: never)",
    )


def cmd_merge(args: argparse.Namespace) -> int:
    """Merge shard folders into one dataset."""
    from simgen.batch.shards import merge

    summary = merge([Path(s) for s in args.shards], Path(args.out))
    print(summary.line())
    return EXIT_EPISODES_FAILED if summary.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USER_ERROR
    counts = ("steps", "batch_size", "train_images", "test_images", "train_seeds", "threads")
    for name in ("episodes", "frames", "workers", "columns", "draws", *counts):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            print(f"simgen: error: --{name.replace('_', '-')} must be at least 1, got {value}", file=sys.stderr)
            return EXIT_USER_ERROR
    from simgen.core.notices import error, notice, set_json_mode

    set_json_mode(getattr(args, "progress", None) == "json")
    try:
        return int(args.func(args))
    except SimgenError as err:
        for issue in err.issues:
            error(issue.format(), kind="user", file=issue.file, line=issue.line, col=issue.col, path=issue.path)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        notice("interrupted; finished episodes are kept, rerun with --resume to continue", kind="interrupted")
        return 130
    except BrokenPipeError:
        # `simgen list | head`: the reader went away; say nothing more (and nothing at exit's flush).
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
