"""Post-render sensor effects: they change pixels (and depth / LiDAR sensor outputs), never labels.

Each effect is a pure, vectorised numpy/OpenCV function (tested against analytic answers) plus a
small registered applier that reads its drawn parameters. :class:`EffectStack` runs the
scenario's ``effects:`` entries in list order on each labeled frame:

1. per entry and camera, a draw (scope ``frame``: new values every frame; ``episode``: one draw
   per camera for the whole episode) from generators keyed as in :mod:`simgen.scenario.draws`;
   the draw lands in ``EpisodeSpec.effect_log[key][camera]`` (a list per frame, ``null`` where
   the entry's ``probability`` draw said no; one dict for episode scope);
2. pixel-level randomness (noise fields, rain streak positions) from a generator keyed by
   (entry, camera, frame), so any frame is reproducible alone from the episode seed.

Effects that can hide an object (fog, low light) multiply an estimate into
``InstanceLabel.effect_visibility`` (1 = untouched, 0 = invisible); labels are never removed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np

from simgen.randomize.haze import apply_haze, koschmieder_density, transmittance
from simgen.randomize.registry import EFFECTS, register_effect
from simgen.scenario.draws import Draws, crc

COMMON_KEYS = {"type", "name", "probability", "scope", "cameras"}


@dataclasses.dataclass
class EffectContext:
    """What an effect may read and change for one frame.

    ``depth`` is the clean metric depth (fog uses it even after depth noise); ``sky`` (H, W)
    bool marks pixels with no surface; ``velocities`` maps a label id to ``(v, w, com)`` world
    linear (m/s) and angular (rad/s) velocity and centre of mass, and ``camera_velocity`` is
    ``(v, w)`` of the camera (zeros when static); ``light_direction`` points towards the light.
    """

    frame: Any
    depth: np.ndarray
    sky: np.ndarray
    rng: np.random.Generator
    layout: np.random.Generator
    velocities: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)
    camera_velocity: tuple[np.ndarray, np.ndarray] | None = None
    light_direction: Any = None
    visibility: dict[int, float] = dataclasses.field(default_factory=dict)


def draw_params(entry: Any, d: Draws) -> dict[str, Any]:
    """Draw every range of an effect entry (common keys excluded); returns the recorded values."""
    out: dict[str, Any] = {}
    for field in type(entry).model_fields:
        if field in COMMON_KEYS:
            continue
        v = getattr(entry, field)
        if isinstance(v, tuple):
            out[field] = [_num(x) for x in d.vector(v, field)]
        else:
            out[field] = _num(d.value(v, field))
    return out


def _num(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 9)
    return v


# --- pure functions ----------------------------------------------------------------------------


def _lut(rgb: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Apply a (256,) or (256, 3) float lookup table, rounded and clipped to uint8."""
    import cv2

    t = np.clip(np.rint(table), 0, 255).astype(np.uint8)
    t = t.reshape(1, 256, -1)
    if t.shape[2] == 1:
        t = np.repeat(t, 3, axis=2)
    return cv2.LUT(np.ascontiguousarray(rgb), t)


def exposure(rgb: np.ndarray, ev: float) -> np.ndarray:
    """(H, W, 3) uint8 scaled by ``2 ** ev`` and clipped."""
    return _lut(rgb, np.arange(256, dtype=np.float64) * 2.0**ev)


def gamma(rgb: np.ndarray, g: float) -> np.ndarray:
    """(H, W, 3) uint8 ``255 * (x / 255) ** (1 / g)``."""
    return _lut(rgb, 255.0 * (np.arange(256) / 255.0) ** (1.0 / g))


def white_balance(rgb: np.ndarray, kelvin: float) -> np.ndarray:
    """Tint as a camera balanced for 6500 K would record light of ``kelvin``: per-channel gains, mean 1."""
    from simgen.scenario.randomizers import kelvin_rgb

    gains = np.asarray(kelvin_rgb(kelvin)) / np.asarray(kelvin_rgb(6500.0))
    gains = gains / gains.mean()
    return _lut(rgb, np.arange(256)[:, None] * gains[None, :])


@functools.lru_cache(maxsize=8)
def _radius2(h: int, w: int) -> np.ndarray:
    """(H, W) float32 squared distance from the image centre, 1 at the corners."""
    y = (np.arange(h, dtype=np.float32) - (h - 1) / 2) / ((h - 1) / 2 or 1)
    x = (np.arange(w, dtype=np.float32) - (w - 1) / 2) / ((w - 1) / 2 or 1)
    return (y[:, None] ** 2 + x[None, :] ** 2) / 2


def vignette(rgb: np.ndarray, strength: float) -> np.ndarray:
    """Multiply by ``1 - strength * r**2`` (r = 1 at the corners)."""
    import cv2

    gain = 1.0 - strength * _radius2(*rgb.shape[:2])
    return cv2.multiply(rgb, cv2.merge([gain, gain, gain]), dtype=cv2.CV_8U)


def chromatic_aberration(rgb: np.ndarray, shift: float) -> np.ndarray:
    """Red channel magnified, blue shrunk about the centre so each moves ``shift`` px at the corner."""
    import cv2

    h, w = rgb.shape[:2]
    corner = math.hypot((w - 1) / 2, (h - 1) / 2)
    out = rgb.copy()
    for ch, sign in ((0, 1.0), (2, -1.0)):
        s = 1.0 + sign * shift / corner
        m = np.array([[s, 0, (1 - s) * (w - 1) / 2], [0, s, (1 - s) * (h - 1) / 2]], dtype=np.float64)
        out[:, :, ch] = cv2.warpAffine(rgb[:, :, ch], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out


def add_noise(rgb: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """uint8 ``rgb + noise`` rounded and clipped (noise float32, broadcastable)."""
    out = rgb.astype(np.float32)
    out += noise
    np.rint(out, out=out)
    return np.clip(out, 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def _unit_quantiles() -> np.ndarray:
    """(65536,) float64 standard normal quantiles at the centres of 65536 equal-probability bins."""
    from scipy.special import ndtri

    return ndtri((np.arange(65536) + 0.5) / 65536)


def integer_gaussian(shape: tuple[int, ...], std: float, rng: np.random.Generator) -> np.ndarray:
    """int16 samples of ``round(N(0, std**2))`` by inverse-CDF lookup of 16-bit uniforms.

    Adding rounded noise to an integer image is exactly rounding the noisy image, so this is
    the same distribution as float noise followed by quantisation (tails cut at 4.3 sigma, a
    probability of 1.5e-5), at a fraction of the cost of ``standard_normal`` on every pixel.
    """
    table = np.clip(np.rint(_unit_quantiles() * std), -32768, 32767).astype(np.int16)
    return table[rng.integers(0, 65536, size=shape, dtype=np.uint16)]


def add_integer_noise(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """uint8 ``img + noise`` (int16) clipped to 0..255."""
    import cv2

    return np.clip(cv2.add(img.astype(np.int16), noise), 0, 255).astype(np.uint8)


def gaussian_noise(rgb: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Additive zero-mean Gaussian read noise of standard deviation ``std`` (8-bit DN), per pixel and channel."""
    return add_integer_noise(rgb, integer_gaussian(rgb.shape, std, rng))


def shot_noise(rgb: np.ndarray, full_well: float, rng: np.random.Generator) -> np.ndarray:
    """Photon shot noise: a pixel of value x collected ``x / 255 * full_well`` electrons.

    Poisson with that mean is drawn through its normal approximation (variance = mean), exact to
    well under 1 DN above ~10 electrons and ~20x faster than ``Generator.poisson`` at 640x480;
    the std in DN is ``sqrt(x * 255 / full_well)``, so darker (underexposed) images are noisier.
    """
    std = np.sqrt(rgb.astype(np.float32) * np.float32(255.0 / full_well))
    return add_noise(rgb, rng.standard_normal(rgb.shape, dtype=np.float32) * std)


def salt_pepper(rgb: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """A share ``amount`` of pixels set to black or white (half each)."""
    h, w = rgb.shape[:2]
    n = int(rng.binomial(h * w, amount))
    out = rgb.copy()
    if n:
        idx = rng.choice(h * w, size=n, replace=False)
        out.reshape(-1, 3)[idx] = np.where(rng.random(n) < 0.5, 0, 255)[:, None].astype(np.uint8)
    return out


def disc_kernel(radius: float) -> np.ndarray:
    """Normalised pillbox kernel of ``radius`` pixels (anti-aliased edge)."""
    r = int(math.ceil(radius))
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.sqrt(x * x + y * y), 0, 1)
    return k / k.sum()


def defocus(rgb: np.ndarray, radius: float) -> np.ndarray:
    """Defocus blur with a disc of ``radius`` pixels (no-op below half a pixel)."""
    import cv2

    if radius < 0.5:
        return rgb
    return cv2.filter2D(rgb, -1, disc_kernel(radius), borderType=cv2.BORDER_REFLECT)


def pixel_motion(
    depth: np.ndarray,
    K: np.ndarray,
    world_from_camera: np.ndarray,
    instance: np.ndarray,
    velocities: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    camera_velocity: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(H, W, 2) float32 image velocity in pixels per second of every surface point.

    A point X (world) on a body moving with (v, w) about centre c moves at ``v + w x (X - c)``;
    the camera's own (v_c, w_c) is subtracted (``v_c + w_c x (X - p_c)``); the relative velocity
    in camera axes projects as ``du/dt = fx (Vx Z - X Vz) / Z**2`` (same for v with fy).
    Background (label 0, e.g. the ground) is static; pixels without depth get 0. With a static
    camera only pixels of moving bodies are computed.
    """
    h, w = depth.shape
    out = np.zeros((h, w, 2), np.float32)
    moving = {k: v for k, v in velocities.items() if np.any(v[0]) or np.any(v[1])}
    cam_moves = camera_velocity is not None and (np.any(camera_velocity[0]) or np.any(camera_velocity[1]))
    if not moving and not cam_moves:
        return out
    valid = depth > 0
    if not cam_moves:
        valid &= np.isin(instance, np.fromiter(moving, dtype=instance.dtype))
    rows, cols = np.nonzero(valid)
    if len(rows) == 0:
        return out
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    z = depth[rows, cols].astype(np.float64)
    xc, yc = (cols - cx) / fx * z, (rows - cy) / fy * z
    R, t = world_from_camera[:3, :3], world_from_camera[:3, 3]
    # Explicit 3x3 products instead of (N, 3) @ (3, 3): a BLAS call on millions of rows with
    # threads on a busy machine cost 100x more (and left its threads spinning afterwards).
    pw = [xc * R[i, 0] + yc * R[i, 1] + z * R[i, 2] + t[i] for i in range(3)]
    vel = [np.zeros_like(z) for _ in range(3)]
    labels = instance[rows, cols]
    for label, (lv, av, com) in moving.items():
        m = labels == label
        if m.any():
            d = [pw[i][m] - com[i] for i in range(3)]
            for i, c in enumerate(_cross(av, d)):
                vel[i][m] = lv[i] + c
    if cam_moves:
        cv_, cw = camera_velocity  # type: ignore[misc]
        for i, c in enumerate(_cross(cw, [pw[k] - t[k] for k in range(3)])):
            vel[i] -= cv_[i] + c
    vc = [vel[0] * R[0, j] + vel[1] * R[1, j] + vel[2] * R[2, j] for j in range(3)]  # R^T v
    out[rows, cols, 0] = fx * (vc[0] * z - xc * vc[2]) / z**2
    out[rows, cols, 1] = fy * (vc[1] * z - yc * vc[2]) / z**2
    return out


def _cross(a: np.ndarray, b: list[np.ndarray]) -> list[np.ndarray]:
    """``a x b`` for a constant 3-vector ``a`` and components ``b`` (three arrays)."""
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def motion_blur(rgb: np.ndarray, displacement: np.ndarray, samples: int = 8) -> np.ndarray:
    """Average of the image sampled along each pixel's path during the exposure.

    ``displacement`` (H, W, 2) float32 pixels moved during the exposure (image velocity x exposure
    time), centred on the capture instant: pixel p averages ``rgb`` at ``p - s * displacement``
    for ``s`` evenly spaced in [-1/2, 1/2]. A sharp edge moving L pixels becomes a linear ramp L
    pixels wide (the box-filter streak of a shutter open for the whole exposure).
    """
    import cv2

    longest = float(np.abs(displacement).max()) if displacement.size else 0.0
    if longest < 0.5:
        return rgb
    n = max(2, min(samples, int(math.ceil(longest)) + 1))
    h, w = rgb.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    acc = np.zeros(rgb.shape, np.float32)
    for s in (np.arange(n, dtype=np.float32) + 0.5) / n - 0.5:
        acc += cv2.remap(
            rgb,
            gx - s * displacement[..., 0],
            gy - s * displacement[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
    return np.clip(np.rint(acc / n), 0, 255).astype(np.uint8)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """Encode as JPEG at ``quality`` and decode back."""
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


def rain(
    rgb: np.ndarray, drops: int, length: float, angle: float, brightness: float, rng: np.random.Generator
) -> np.ndarray:
    """Thin slanted streaks (``angle`` degrees from vertical) brightening the image by ``brightness``."""
    import cv2

    h, w = rgb.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    x0 = rng.uniform(-length, w + length, drops)
    y0 = rng.uniform(-length, h, drops)
    ln = length * rng.uniform(0.6, 1.0, drops)
    dx, dy = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    pts = np.stack([x0, y0, x0 + dx * ln, y0 + dy * ln], axis=1).round().astype(np.int32).reshape(-1, 2, 2)
    cv2.polylines(mask, list(pts), False, 255, 1, cv2.LINE_AA)
    a = mask.astype(np.float32) * np.float32(brightness / 255.0)
    out = rgb.astype(np.float32)
    out += (255.0 - out) * a[:, :, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def low_light(rgb: np.ndarray, gain: float, noise: float, g: float, rng: np.random.Generator) -> np.ndarray:
    """Underexpose by ``gain`` (quantised as the ADC would), add read noise ``noise`` (DN), lift with gamma ``g``."""
    dark = _lut(rgb, np.arange(256, dtype=np.float64) * gain)
    noisy = add_integer_noise(dark, integer_gaussian(rgb.shape, noise, rng))
    return _lut(noisy, 255.0 * (np.arange(256) / 255.0) ** (1.0 / g))


def glare_position(direction: Any, K: np.ndarray, world_from_camera: np.ndarray) -> tuple[float, float] | None:
    """Pixel (u, v) where the light at infinity along ``direction`` appears, or None behind the camera."""
    if direction is None:
        return None
    d = world_from_camera[:3, :3].T @ np.asarray(direction, dtype=float)
    if d[2] <= 1e-6:
        return None
    return (float(K[0, 0] * d[0] / d[2] + K[0, 2]), float(K[1, 1] * d[1] / d[2] + K[1, 2]))


def glare(rgb: np.ndarray, center: tuple[float, float], strength: float, radius: float) -> np.ndarray:
    """Additive bloom (Gaussian of ``radius`` px) and a horizontal streak at ``center``."""
    h, w = rgb.shape[:2]
    y = (np.arange(h, dtype=np.float32) - center[1])[:, None]
    x = (np.arange(w, dtype=np.float32) - center[0])[None, :]
    bloom = np.exp(-(x * x + y * y) / np.float32(2 * radius * radius))
    streak = np.exp(-(y * y) / np.float32(2 * (radius / 12) ** 2)) * np.exp(-np.abs(x) / np.float32(4 * radius))
    add = (np.float32(255 * strength) * (bloom + 0.5 * streak))[:, :, None]
    return np.clip(np.rint(rgb.astype(np.float32) + add), 0, 255).astype(np.uint8)


def dirt_mask(shape: tuple[int, int], spots: int, size: float, opacity: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 share of light blocked by soft smudges (Gaussian blobs, peak ``opacity``)."""
    h, w = shape
    mask = np.zeros((h, w), np.float32)
    for _ in range(spots):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = size * rng.uniform(0.5, 1.5)
        x0, x1 = max(0, int(cx - 3 * r)), min(w, int(cx + 3 * r) + 1)
        y0, y1 = max(0, int(cy - 3 * r)), min(h, int(cy + 3 * r) + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        yy = (np.arange(y0, y1, dtype=np.float32) - cy)[:, None]
        xx = (np.arange(x0, x1, dtype=np.float32) - cx)[None, :]
        blob = opacity * np.exp(-(xx * xx + yy * yy) / np.float32(2 * r * r))
        mask[y0:y1, x0:x1] = 1 - (1 - mask[y0:y1, x0:x1]) * (1 - blob)
    return mask


def depth_noise(
    depth: np.ndarray, sigma: float, quantization: float, edge_holes: int, edge_jump: float, rng: np.random.Generator
) -> np.ndarray:
    """Structured-light depth: noise, disparity quantisation and holes at depth edges.

    Noise std is ``sigma * z**2`` and disparity steps of ``quantization`` give depth steps of
    ``quantization * z**2`` (both grow with depth squared, as for a Kinect-style sensor); pixels
    within ``edge_holes`` of a depth jump larger than ``edge_jump`` are set to 0 (missing).
    """
    import cv2

    z = depth.astype(np.float32)
    valid = z > 0
    noisy = z + rng.standard_normal(z.shape, dtype=np.float32) * np.float32(sigma) * z * z
    if quantization > 0:
        disparity = np.where(valid, 1.0 / np.maximum(noisy, 1e-6), 0.0)
        disparity = np.rint(disparity / quantization) * quantization
        noisy = np.where(disparity > 0, 1.0 / np.maximum(disparity, 1e-12), 0.0).astype(np.float32)
    out = np.where(valid, noisy, 0.0).astype(np.float32)
    if edge_holes > 0:
        jx = np.abs(np.diff(z, axis=1)) > edge_jump
        jy = np.abs(np.diff(z, axis=0)) > edge_jump
        edge = np.zeros(z.shape, np.uint8)  # both pixels on either side of a jump
        edge[:, :-1] |= jx
        edge[:, 1:] |= jx
        edge[:-1, :] |= jy
        edge[1:, :] |= jy
        k = 2 * int(edge_holes) - 1
        if k > 1:
            edge = np.asarray(cv2.dilate(edge, np.ones((k, k), np.uint8)))
        out[edge > 0] = 0.0
    return out


def label_means(instance: np.ndarray, values: np.ndarray, labels: list[int]) -> dict[int, float]:
    """Mean of ``values`` over each label's pixels in ``instance`` (labels with no pixels omitted)."""
    n = int(max(labels, default=0)) + 1
    idx = np.clip(instance.ravel(), 0, n)
    counts = np.bincount(idx, minlength=n + 1)
    sums = np.bincount(idx, weights=values.ravel().astype(np.float64), minlength=n + 1)
    return {lab: float(sums[lab] / counts[lab]) for lab in labels if 0 < lab < n + 1 and counts[lab] > 0}


def _visibility(ctx: EffectContext, per_label: dict[int, float]) -> None:
    for lab, v in per_label.items():
        ctx.visibility[lab] = ctx.visibility.get(lab, 1.0) * float(np.clip(v, 0.0, 1.0))


def _labels(ctx: EffectContext) -> list[int]:
    return [lab.instance_id for lab in ctx.frame.labels]


# --- registered appliers: (ctx, params) -> None, changing ctx.frame ---------------------------------


@register_effect("exposure")
def _exposure(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = exposure(ctx.frame.rgb, p["ev"])


@register_effect("gamma")
def _gamma(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = gamma(ctx.frame.rgb, p["gamma"])


@register_effect("white_balance")
def _white_balance(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = white_balance(ctx.frame.rgb, p["temperature"])


@register_effect("vignette")
def _vignette(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = vignette(ctx.frame.rgb, p["strength"])


@register_effect("chromatic_aberration")
def _chromatic(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = chromatic_aberration(ctx.frame.rgb, p["shift"])


@register_effect("gaussian_noise")
def _gaussian(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = gaussian_noise(ctx.frame.rgb, p["std"], ctx.rng)


@register_effect("shot_noise")
def _shot(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = shot_noise(ctx.frame.rgb, p["full_well"], ctx.rng)


@register_effect("salt_pepper")
def _salt_pepper(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = salt_pepper(ctx.frame.rgb, p["amount"], ctx.rng)


@register_effect("defocus")
def _defocus(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = defocus(ctx.frame.rgb, p["radius"])


@register_effect("motion_blur")
def _motion_blur(ctx: EffectContext, p: dict[str, Any]) -> None:
    cam = ctx.frame.camera
    motion = pixel_motion(
        ctx.depth, cam.K, cam.world_from_camera, ctx.frame.instance, ctx.velocities, ctx.camera_velocity
    )
    ctx.frame.rgb = motion_blur(ctx.frame.rgb, motion * np.float32(p["exposure"]), int(p["samples"]))


@register_effect("jpeg")
def _jpeg(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = jpeg(ctx.frame.rgb, p["quality"])


@register_effect("fog")
def _fog(ctx: EffectContext, p: dict[str, Any]) -> None:
    density = koschmieder_density(p["visibility"])
    ctx.frame.rgb = apply_haze(ctx.frame.rgb, ctx.depth, density, p["airlight"], ctx.sky)
    # share of each object's own light still reaching the camera
    _visibility(ctx, label_means(ctx.frame.instance, transmittance(ctx.depth, density, ctx.sky), _labels(ctx)))


@register_effect("rain")
def _rain(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.rgb = rain(ctx.frame.rgb, int(p["drops"]), p["length"], p["angle"], p["brightness"], ctx.rng)


@register_effect("low_light")
def _low_light(ctx: EffectContext, p: dict[str, Any]) -> None:
    import cv2

    luma = cv2.cvtColor(ctx.frame.rgb, cv2.COLOR_RGB2GRAY)
    ctx.frame.rgb = low_light(ctx.frame.rgb, p["gain"], p["noise"], p["gamma"], ctx.rng)
    # an object counts as fully visible when its mean underexposed signal stands 3 noise std above black
    means = label_means(ctx.frame.instance, luma, _labels(ctx))
    snr = {k: v * p["gain"] / (3.0 * max(p["noise"], 0.5)) for k, v in means.items()}
    _visibility(ctx, snr)


@register_effect("glare")
def _glare(ctx: EffectContext, p: dict[str, Any]) -> None:
    cam = ctx.frame.camera
    at = glare_position(ctx.light_direction, cam.K, cam.world_from_camera)
    if at is None:
        return
    h, w = ctx.frame.rgb.shape[:2]
    r = p["radius"]
    if -r <= at[0] <= w + r and -r <= at[1] <= h + r:
        ctx.frame.rgb = glare(ctx.frame.rgb, at, p["strength"], r)


@register_effect("lens_dirt")
def _lens_dirt(ctx: EffectContext, p: dict[str, Any]) -> None:
    import cv2

    mask = dirt_mask(ctx.frame.rgb.shape[:2], int(p["spots"]), p["size"], p["opacity"], ctx.layout)
    keep = 1.0 - mask
    ctx.frame.rgb = cv2.multiply(ctx.frame.rgb, cv2.merge([keep, keep, keep]), dtype=cv2.CV_8U)


@register_effect("depth_noise")
def _depth_noise(ctx: EffectContext, p: dict[str, Any]) -> None:
    ctx.frame.depth = depth_noise(
        ctx.frame.depth, p["sigma"], p["quantization"], int(p["edge_holes"]), p["edge_jump"], ctx.rng
    )


@register_effect("lidar_noise")
def _lidar_noise(ctx: EffectContext, p: dict[str, Any]) -> None:
    cloud = ctx.frame.lidar
    if cloud is None or len(cloud.points) == 0:
        return
    pts = cloud.points.copy()
    r = np.linalg.norm(pts[:, :3], axis=1)
    r_new = np.maximum(r + ctx.rng.standard_normal(len(r)) * p["range_std"], 0.0)
    pts[:, :3] *= (r_new / np.maximum(r, 1e-9))[:, None].astype(np.float32)
    keep = ctx.rng.random(len(r)) >= p["dropout"]
    az = np.degrees(np.arctan2(pts[:, 1], pts[:, 0]))
    for start in ctx.rng.uniform(-180, 180, int(p["sectors"])):
        keep &= ((az - start) % 360.0) >= p["sector_width"]
    ctx.frame.lidar = dataclasses.replace(cloud, points=pts[keep], instance=cloud.instance[keep])


# --- the per-episode stack ------------------------------------------------------------------------


class EffectStack:
    """The scenario's effects for one episode: draws, records and applies them per frame."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.entries = list(spec.effects)
        self._episode: dict[tuple[str, str], dict[str, Any] | None] = {}

    def draw(self, key: str, entry: Any, camera: str, frame: int) -> tuple[dict[str, Any] | None, Draws]:
        """Parameters of ``entry`` for this camera and frame (None when its probability says no)."""
        if entry.scope == "episode":
            d = Draws(self.spec.seed, key, (crc(camera),))
            if (key, camera) not in self._episode:
                self._episode[(key, camera)] = draw_params(entry, d) if d.applies(entry.probability) else None
                self.spec.effect_log.setdefault(key, {})[camera] = self._episode[(key, camera)]
            return self._episode[(key, camera)], d
        d = Draws(self.spec.seed, key, (crc(camera), frame))
        params = draw_params(entry, d) if d.applies(entry.probability) else None
        log = self.spec.effect_log.setdefault(key, {}).setdefault(camera, [])
        log.extend([None] * (frame + 1 - len(log)))
        log[frame] = params
        return params, d

    def __call__(self, ctx_base: dict[str, Any], frame: Any) -> None:
        """Apply every entry to ``frame`` in list order; set ``effect_visibility`` on its labels."""
        cam = frame.camera.name
        visibility: dict[int, float] = {}
        for key, entry in self.entries:
            if entry.cameras and cam not in entry.cameras:
                continue
            params, d = self.draw(key, entry, cam, frame.index)
            if params is None:
                continue
            pixels = Draws(self.spec.seed, key, (crc(cam), frame.index)).rng("pixels")
            ctx = EffectContext(frame=frame, rng=pixels, layout=d.rng("layout"), visibility=visibility, **ctx_base)
            EFFECTS[entry.type](ctx, params)
        for lab in frame.labels:
            if lab.instance_id in visibility:
                lab.effect_visibility = round(visibility[lab.instance_id], 6)
