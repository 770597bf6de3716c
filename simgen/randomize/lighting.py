"""Apply the scene light's intensity and colour, and paint the sky, on a rendered image.

pybullet's renderers take the light's direction and ambient/diffuse/specular coefficients, but
the EGL plugin ignores light colour; applying intensity x colour as a per-channel gain here makes
both back-ends agree and lets dusk and night come out darker.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np


def sky_mask(depth: np.ndarray, far: float) -> np.ndarray:
    """(H, W) bool: pixels where no surface was hit.

    Depth is 0 there, or (TinyRenderer clears its depth buffer to the largest float32 below 1)
    within a hair of the far plane.
    """
    return (depth <= 0) | (depth >= far * (1 - 1e-4))


def apply_light(rgb: np.ndarray, sky: np.ndarray, light: dict[str, Any], sky_color: Any | None) -> np.ndarray:
    """Lit image: surfaces scaled by ``intensity * color``, pixels with no surface set to ``sky_color``.

    Args:
        rgb: (H, W, 3) uint8 rendered image.
        sky: (H, W) bool, True where no surface was hit (:func:`sky_mask`).
        light: resolved light (``intensity``, ``color`` RGB 0..1).
        sky_color: RGB 0..1 background colour, or None to keep the renderer's.

    Returns:
        (H, W, 3) uint8.
    """
    gain = float(light["intensity"]) * np.asarray(light["color"], dtype=np.float32)[:3]
    out = rgb
    if (gain != 1.0).any():
        # Per-channel lookup table: the same float32 products and rounding as scaling every pixel.
        lut = np.clip(np.rint(np.arange(256, dtype=np.float32)[:, None] * gain), 0, 255).astype(np.uint8)
        out = cv2.LUT(np.ascontiguousarray(rgb), lut.reshape(1, 256, 3))
    if sky_color is not None:
        colour = np.clip(np.rint(np.asarray(sky_color, dtype=np.float32)[:3] * 255.0), 0, 255).astype(np.uint8)
        out = out.copy() if out is rgb else out
        out[sky] = colour
    return out
