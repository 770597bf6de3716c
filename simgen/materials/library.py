"""The material library: tileable procedural textures and named material factories.

Textures (registered with :func:`simgen.materials.textures.texture`, so every renderer and the
on-disk cache treat them like any other): ``asphalt``, ``concrete``, ``bricks``, ``grass``,
``soil``, ``wood``, ``metal``, ``fabric``, ``car_paint``. Each is a pure function of
``(params, rng, size)`` returning ``(size, size, 3) uint8`` that tiles seamlessly (noise grids
wrap, stripes and courses divide the side), parameterised by ``color`` (RGB 0..1 base tone) and
``wear`` (0 new .. 1 worn: cracks, stains, scratches, fading).

Factories (:data:`MATERIALS`, :func:`material`) turn a name, an rng and optional overrides into
a :class:`Material` with per-instance colour and wear drawn from the rng: two cars from one
factory differ in paint and dirt, and the same rng state gives the same Material.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from simgen.materials.material import Material, Texture
from simgen.materials.textures import _to_u8, texture

TEXTURE_SIZE = 128  # pixels per tile side: enough for pybullet's rasterisers at street distances
PATTERNS = 8  # pattern seeds per library texture: bounds the texture files a large dataset writes


def value_noise(rng: np.random.Generator, size: int, octaves: int = 4, base: int = 4) -> np.ndarray:
    """(size, size) float32 fractal value noise in 0..1 that tiles exactly.

    Each octave interpolates a random ``cells`` x ``cells`` lattice with smoothstep weights and
    indices taken modulo ``cells``, so the last pixel row blends back into the first.
    """
    out = np.zeros((size, size), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2**o
        grid = rng.random((cells, cells)).astype(np.float32)
        u = np.arange(size, dtype=np.float32) * cells / size
        i0 = np.floor(u).astype(int) % cells
        i1 = (i0 + 1) % cells
        f = u - np.floor(u)
        w = f * f * (3 - 2 * f)
        rows = grid[i0] * (1 - w)[:, None] + grid[i1] * w[:, None]
        out += amp * (rows[:, i0] * (1 - w)[None, :] + rows[:, i1] * w[None, :])
        total += amp
        amp *= 0.5
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / (hi - lo + 1e-9)


def _color(params: dict[str, Any], default: tuple[float, float, float]) -> np.ndarray:
    return np.asarray(params.get("color", default), dtype=np.float32)[:3]


def _wear(params: dict[str, Any]) -> float:
    return float(np.clip(params.get("wear", 0.3), 0.0, 1.0))


def _shade(base: np.ndarray, field: np.ndarray, amount: float) -> np.ndarray:
    """Base colour modulated by a 0..1 field: ``amount`` is the relative brightness swing."""
    return base[None, None, :] * (1.0 + amount * (field[:, :, None] - 0.5) * 2.0)


def _cracks(rng: np.random.Generator, size: int, wear: float) -> np.ndarray:
    """(size, size) 0..1 mask of thin dark cracks; more and longer with wear (wraps at the edges)."""
    out = np.zeros((size, size), np.float32)
    for _ in range(int(round(wear * 6))):
        x, y = rng.uniform(0, size, 2)
        ang = rng.uniform(0, 2 * np.pi)
        for _ in range(int(size * rng.uniform(0.2, 0.6))):
            ang += rng.normal(0, 0.35)
            x, y = (x + np.cos(ang)) % size, (y + np.sin(ang)) % size
            out[int(y), int(x)] = 1.0
    return out


@texture("asphalt", version=2)
def asphalt(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Dark aggregate: fine grain, larger tone patches, cracks and fading with ``wear``."""
    wear = _wear(params)
    base = _color(params, (0.22, 0.22, 0.23)) * (1.0 + 0.5 * wear)
    grain = rng.random((size, size)).astype(np.float32)
    patches = value_noise(rng, size, octaves=3, base=4)
    img = _shade(base, 0.6 * grain + 0.4 * patches, 0.35)
    img *= 1.0 - 0.6 * _cracks(rng, size, wear)[:, :, None]
    return _to_u8(img)


@texture("concrete", version=2)
def concrete(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Light grey cement: soft mottling, pores and stains with ``wear``."""
    wear = _wear(params)
    base = _color(params, (0.62, 0.61, 0.58))
    mottle = value_noise(rng, size, octaves=4, base=4)
    pores = (rng.random((size, size)) < 0.01).astype(np.float32)
    stains = value_noise(rng, size, octaves=2, base=2)
    img = _shade(base, mottle, 0.12) * (1.0 - 0.35 * pores[:, :, None])
    img *= 1.0 - wear * 0.35 * np.clip(stains - 0.5, 0, 1)[:, :, None] * 2
    img *= 1.0 - 0.5 * _cracks(rng, size, wear * 0.5)[:, :, None]
    return _to_u8(img)


@texture("bricks", version=2)
def bricks(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Running-bond brick courses (``rows`` per tile, 2 bricks per course) with light mortar."""
    wear = _wear(params)
    base = _color(params, (0.55, 0.25, 0.18))
    mortar = np.asarray(params.get("mortar", (0.75, 0.73, 0.68)), dtype=np.float32)
    rows = int(params.get("rows", 8))
    yy, xx = np.mgrid[0:size, 0:size]
    h = size / rows
    row = (yy // h).astype(int)
    shift = (row % 2) * (size / 4)
    w = size / 2
    col = ((xx + shift) // w).astype(int) % 2
    joint = ((yy % h) < max(1, h * 0.12)) | (((xx + shift) % w) < max(1, w * 0.06))
    tones = 1.0 + 0.25 * (rng.random((rows, 2)) - 0.5)
    tone = tones[row % rows, col]
    noise = value_noise(rng, size, octaves=3, base=8)
    img = base[None, None, :] * (tone * (0.9 + 0.2 * noise))[:, :, None]
    img = np.where(joint[:, :, None], mortar[None, None, :] * (1.0 - 0.3 * wear), img)
    return _to_u8(img)


@texture("grass", version=2)
def grass(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Green turf: blade-scale speckle over patchy tone; ``wear`` adds dry, yellowed patches."""
    wear = _wear(params)
    base = _color(params, (0.24, 0.42, 0.16))
    dry = np.array([0.55, 0.5, 0.28], np.float32)
    blades = rng.random((size, size)).astype(np.float32)
    patches = value_noise(rng, size, octaves=3, base=4)
    mix = np.clip((patches - (1.0 - wear)) * 3.0, 0, 1)[:, :, None]
    img = (base[None, None, :] * (1 - mix) + dry[None, None, :] * mix) * (0.75 + 0.5 * blades[:, :, None])
    return _to_u8(img)


@texture("soil", version=2)
def soil(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Brown earth with clods and pebbles; ``wear`` darkens wet patches."""
    wear = _wear(params)
    base = _color(params, (0.36, 0.26, 0.17))
    clods = value_noise(rng, size, octaves=5, base=8)
    pebbles = (rng.random((size, size)) < 0.004).astype(np.float32)
    img = _shade(base, clods, 0.3)
    img = img * (1 - pebbles[:, :, None]) + pebbles[:, :, None] * np.array([0.6, 0.58, 0.55])
    wet = value_noise(rng, size, octaves=2, base=2)
    img *= 1.0 - 0.3 * wear * (wet[:, :, None] > 0.6)
    return _to_u8(img)


@texture("wood", version=2)
def wood(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Planks along u with growth-ring grain; ``planks`` per tile; ``wear`` greys and scuffs."""
    wear = _wear(params)
    base = _color(params, (0.55, 0.38, 0.22))
    planks = int(params.get("planks", 4))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    warp = value_noise(rng, size, octaves=3, base=4)
    rings = 0.5 + 0.5 * np.sin(2 * np.pi * (yy / size * planks * 6 + 2.0 * warp))
    seam = (yy % (size / planks)) < 1.0
    tone = 1.0 + 0.15 * (rng.random(planks) - 0.5)
    img = base[None, None, :] * ((0.8 + 0.3 * rings) * tone[(yy // (size / planks)).astype(int) % planks])[:, :, None]
    img = np.where(seam[:, :, None], base * 0.45, img)
    grey = img.mean(axis=2, keepdims=True)
    img = img * (1 - 0.5 * wear) + grey * 0.5 * wear
    return _to_u8(img)


@texture("metal", version=2)
def metal(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Brushed metal: streaks along u; ``wear`` adds scratches and rust-tinted stains."""
    wear = _wear(params)
    base = _color(params, (0.62, 0.63, 0.65))
    streak = np.repeat(rng.random((size, 1)).astype(np.float32), size, axis=1)
    streak = 0.5 * streak + 0.5 * np.roll(streak, 1, axis=0)
    img = _shade(base, streak, 0.08)
    scratches = _cracks(rng, size, wear)
    img = img * (1 + 0.4 * scratches[:, :, None])
    rust = np.clip(value_noise(rng, size, octaves=3, base=4) - (1.0 - 0.4 * wear), 0, 1)[:, :, None] * 2.5
    img = img * (1 - rust) + np.array([0.45, 0.24, 0.12]) * rust
    return _to_u8(img)


@texture("fabric", version=2)
def fabric(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Woven cloth: warp and weft threads (``threads`` per tile); ``wear`` fades and pills it."""
    wear = _wear(params)
    base = _color(params, (0.3, 0.35, 0.55))
    threads = int(params.get("threads", 32))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    weave = 0.5 + 0.25 * np.sin(2 * np.pi * xx * threads / size) * np.sin(2 * np.pi * yy * threads / size)
    img = _shade(base, weave, 0.25) * (1 - 0.3 * wear) + 0.3 * wear * base.mean()
    pills = value_noise(rng, size, octaves=2, base=8)
    img *= (0.95 + 0.1 * pills)[:, :, None]
    return _to_u8(img)


@texture("car_paint", version=2)
def car_paint(params: dict[str, Any], rng: np.random.Generator, size: int) -> np.ndarray:
    """Glossy paint: faint metallic flake over the ``color``; ``wear`` adds road dirt low down.

    v runs along the vehicle's height on box-projected sides, so dirt darkens the bottom rows.
    """
    wear = _wear(params)
    base = _color(params, (0.6, 0.1, 0.1))
    flake = rng.random((size, size)).astype(np.float32)
    img = _shade(base, flake, 0.04)
    dirt = value_noise(rng, size, octaves=3, base=4)
    img *= (1.0 - 0.35 * wear * dirt)[:, :, None]
    return _to_u8(img)


# --- named material factories ----------------------------------------------------------------------

Factory = Callable[[np.random.Generator, dict[str, Any]], Material]
MATERIALS: dict[str, Factory] = {}


def _factory(name: str) -> Callable[[Factory], Factory]:
    def deco(fn: Factory) -> Factory:
        MATERIALS[name] = fn
        return fn

    return deco


def _jitter(rng: np.random.Generator, color: Any, amount: float) -> tuple[float, float, float]:
    c = np.clip(np.asarray(color, dtype=float)[:3] * (1.0 + rng.uniform(-amount, amount, 3)), 0.0, 1.0)
    return (float(c[0]), float(c[1]), float(c[2]))


def _textured(name: str, rng: np.random.Generator, o: dict[str, Any], color: Any, scale: float, **kw: Any) -> Material:
    """A Material whose texture carries the colour (base colour white), with jittered tone and wear.

    Tone, wear and pattern seed are drawn per instance but snapped to a grid (colour steps of
    1/32, wear steps of 0.1, :data:`PATTERNS` seeds), so a large dataset reuses a bounded set of
    texture files instead of writing one per instance; neighbours still differ visibly.
    """
    col = _jitter(rng, o.get("color", color), float(o.get("variation", 0.08)))
    wear = float(o.get("wear", rng.uniform(0.1, 0.6)))
    tex = Texture.make(
        name,
        seed=int(rng.integers(0, 2**31 - 1)) % PATTERNS,
        size=TEXTURE_SIZE,
        scale=float(o.get("scale", scale)),
        color=[round(round(c * 32) / 32, 5) for c in col],
        wear=round(round(wear * 10) / 10, 2),
    )
    return Material(base_color=(1.0, 1.0, 1.0, 1.0), texture=tex, name=name, **kw)


PAINT_COLORS = (
    (0.8, 0.8, 0.82),
    (0.08, 0.08, 0.09),
    (0.45, 0.46, 0.48),
    (0.62, 0.08, 0.07),
    (0.1, 0.2, 0.5),
    (0.85, 0.85, 0.8),
    (0.2, 0.35, 0.22),
    (0.7, 0.55, 0.2),
)


@_factory("car_paint")
def _car_paint(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    color = o.get("color") or PAINT_COLORS[int(rng.integers(len(PAINT_COLORS)))]
    return _textured("car_paint", rng, o, color, 2.0, roughness=0.25, metallic=0.6, specular=0.8)


@_factory("asphalt")
def _asphalt(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("asphalt", rng, o, (0.22, 0.22, 0.23), 4.0, roughness=0.9, specular=0.1)


@_factory("concrete")
def _concrete(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("concrete", rng, o, (0.62, 0.61, 0.58), 2.0, roughness=0.85, specular=0.1)


@_factory("bricks")
def _bricks(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    color = o.get("color") or ((0.55, 0.25, 0.18), (0.6, 0.4, 0.3), (0.45, 0.2, 0.15))[int(rng.integers(3))]
    return _textured("bricks", rng, o, color, 1.5, roughness=0.9, specular=0.05)


@_factory("grass")
def _grass(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("grass", rng, o, (0.24, 0.42, 0.16), 3.0, roughness=0.95, specular=0.05)


@_factory("soil")
def _soil(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("soil", rng, o, (0.36, 0.26, 0.17), 3.0, roughness=0.95, specular=0.05)


@_factory("wood")
def _wood(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("wood", rng, o, (0.55, 0.38, 0.22), 1.0, roughness=0.7, specular=0.2)


@_factory("metal")
def _metal(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("metal", rng, o, (0.62, 0.63, 0.65), 0.5, roughness=0.35, metallic=1.0, specular=0.9)


@_factory("fabric")
def _fabric(rng: np.random.Generator, o: dict[str, Any]) -> Material:
    return _textured("fabric", rng, o, (0.3, 0.35, 0.55), 0.5, roughness=0.95, specular=0.05)


def plain(
    color: Any, *, name: str | None = None, specular: float = 0.3, emission: Any = (0, 0, 0), **kw: Any
) -> Material:
    """An untextured Material of RGB(A) ``color`` (glass, lamps, rubber, foliage tints)."""
    c = [round(float(v), 6) for v in color]  # as stored in records, so cached == generated
    r, g, b, a = (*c, 1.0) if len(c) == 3 else c
    rgba = (r, g, b, a)
    return Material(base_color=rgba, specular=specular, emission=tuple(emission), name=name, **kw)


def material(name: str, rng: np.random.Generator, **overrides: Any) -> Material:
    """A library Material with per-instance colour and wear drawn from ``rng``.

    Overrides: ``color`` (RGB 0..1 base tone before jitter), ``variation`` (relative colour
    jitter), ``wear`` (0..1; default drawn), ``scale`` (metres per tile).

    Example:
        >>> import numpy as np
        >>> m = material("asphalt", np.random.default_rng(0))
        >>> m.name, m.texture.kind
        ('asphalt', 'asphalt')
    """
    if name not in MATERIALS:
        from simgen.errors import SimgenError, did_you_mean

        raise SimgenError(f"no library material '{name}'", hint=did_you_mean(name, list(MATERIALS)))
    return MATERIALS[name](rng, overrides)


def material_from_dict(d: dict[str, Any]) -> Material:
    """Inverse of :meth:`Material.to_dict` (cached asset records store materials as JSON)."""
    tex = None
    if "texture" in d:
        t = d["texture"]
        tex = Texture.make(t["kind"], seed=t["seed"], size=t["size"], scale=t["scale"], **t.get("params", {}))
        if t.get("path") is not None:
            tex = Texture(tex.kind, tex.params, tex.seed, tex.size, tex.scale, t["path"])
    return Material(
        base_color=tuple(d["base_color"]),
        texture=tex,
        roughness=d["roughness"],
        metallic=d["metallic"],
        specular=d["specular"],
        emission=tuple(d.get("emission", (0.0, 0.0, 0.0))),
        name=d.get("name"),
    )
