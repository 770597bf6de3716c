"""Cost per frame of each sensor effect at 640x480, as a ratio to the raw TinyRenderer render.

    PYTHONPATH=$PWD python scripts/bench_effects.py [--frames 8] [--repeats 5] [--markdown]

Renders the quickstart scene without its randomizers (640x480, TinyRenderer) and times the raw
``getCameraImage`` per frame; then, in the same run, applies each registered effect with its
default ranges to copies of those labeled frames, and the default stack (:data:`DEFAULT_STACK`,
the effects the shipped quickstart scenario uses) as a whole. Reports medians and ratios to the
raw render; the target is the whole default stack under 20 % of a raw frame. Motion blur is timed
in its worst case, a camera moving at 0.5 m/s (every pixel moves; a static camera blurs only the
pixels of moving bodies). Texture generation is reported separately: it happens once per
parameter set (cached on disk), never per frame.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import time

import numpy as np

import simgen
from simgen.randomize import effects as fx
from simgen.randomize.lighting import sky_mask
from simgen.scenario.draws import Draws
from simgen.scenario.randomize_models import EFFECT_TYPES
from simgen.scenario.sampling import sample
from simgen.sensors.camera import runtime as camera_mod
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

# The quickstart scenario's effects: mild exposure and white-balance error, vignetting, read
# noise and JPEG recompression.
DEFAULT_STACK = ["exposure", "white_balance", "vignette", "gaussian_noise", "jpeg"]


def _entry(kind: str) -> object:
    from pydantic import TypeAdapter

    from simgen.scenario.randomize_models import EffectModel

    return TypeAdapter(EffectModel).validate_python({"type": kind})


def main() -> int:
    """Run the benchmark and print a table (markdown with --markdown)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    sc = simgen.load(simgen.resources.scenario_path("quickstart"))
    cams = [c.model_copy(update={"width": 640, "height": 480}) for c in sc.cameras]
    # the plain scene (no randomizers): untextured, the cheapest render, so ratios are conservative
    sc = sc.model_copy(update={"cameras": cams, "frames": args.frames, "effects": [], "randomize": []})
    renders: list[float] = []
    real_render = camera_mod.render

    def timed_render(*a: object, **k: object) -> object:
        t = time.perf_counter()
        out = real_render(*a, **k)
        renders.append(time.perf_counter() - t)
        return out

    from simgen.batch.episode import run_episode

    camera_mod.render = timed_render
    try:
        with quiet_stdout(), BulletClient() as client:
            spec = sample(sc, 0)
            frames = list(run_episode(client, spec, "tiny"))
    finally:
        camera_mod.render = real_render
    raw = statistics.median(renders)

    def run(kinds: list[str]) -> float:
        entries = [(k, _entry(k)) for k in kinds]
        times = []
        for _ in range(args.repeats):
            for f in frames:
                frame = copy.copy(f)
                frame.labels = [dataclasses.replace(lab) for lab in f.labels]
                t = time.perf_counter()
                sky = sky_mask(frame.depth, frame.camera.far)
                # worst case for motion blur: the camera itself moves, so every pixel is blurred
                base = {
                    "depth": frame.depth,
                    "sky": sky,
                    "light_direction": (0.3, -0.5, 0.8),
                    "camera_velocity": (np.array([0.5, 0.0, 0.0]), np.zeros(3)),
                }
                for key, entry in entries:
                    d = Draws(spec.seed, key, (frame.index,))
                    params = fx.draw_params(entry, d)
                    ctx = fx.EffectContext(frame=frame, rng=d.rng("pixels"), layout=d.rng("layout"), **base)
                    fx.EFFECTS[entry.type](ctx, params)  # type: ignore[attr-defined]
                times.append(time.perf_counter() - t)
        return statistics.median(times)

    rows = [(k, run([k])) for k in EFFECT_TYPES]
    stack = run(DEFAULT_STACK)
    from simgen.materials.material import Texture
    from simgen.materials.textures import TEXTURES, texture_image

    tex = []
    for kind in sorted(TEXTURES):
        t = time.perf_counter()
        texture_image(Texture.make(kind, seed=1, size=256))
        tex.append((kind, time.perf_counter() - t))

    if args.markdown:
        print(f"Raw TinyRenderer render, 640x480 quickstart: **{raw * 1e3:.1f} ms** per frame (median).\n")
        print("| effect | ms / frame | ratio to raw render |")
        print("|---|---:|---:|")
        for k, t in rows:
            print(f"| {k} | {t * 1e3:.2f} | {t / raw:.3f} |")
        print(f"| **default stack** ({', '.join(DEFAULT_STACK)}) | {stack * 1e3:.2f} | **{stack / raw:.3f}** |")
        print("\nTexture generation (256x256, once per parameter set, cached on disk):\n")
        print("| generator | ms |")
        print("|---|---:|")
        for k, t in tex:
            print(f"| {k} | {t * 1e3:.1f} |")
    else:
        print(f"raw render {raw * 1e3:.1f} ms/frame")
        for k, t in rows:
            print(f"{k:22s} {t * 1e3:7.2f} ms  {t / raw:6.3f} x raw")
        print(f"{'default stack':22s} {stack * 1e3:7.2f} ms  {stack / raw:6.3f} x raw  (target < 0.20)")
        for k, t in tex:
            print(f"texture {k:14s} {t * 1e3:7.1f} ms once")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
