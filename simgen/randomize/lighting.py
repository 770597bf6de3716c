"""Apply the scene light's intensity and colour, and paint the sky, on a rendered image.

pybullet's renderers take the light's direction and ambient/diffuse/specular coefficients, but
the EGL plugin ignores light colour; applying intensity x colour as a per-channel gain here makes
both back-ends agree and lets dusk and night come out darker.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def apply_light(rgb: np.ndarray, depth: np.ndarray, light: dict[str, Any], sky: Any | None) -> np.ndarray:
    """Lit image: surfaces scaled by ``intensity * color``, pixels with no surface (depth 0) set to ``sky``.

    Args:
        rgb: (H, W, 3) uint8 rendered image.
        depth: (H, W) float32 metres, 0 where nothing was hit.
        light: resolved light (``intensity``, ``color`` RGB 0..1).
        sky: RGB 0..1 background colour, or None to keep the renderer's.

    Returns:
        (H, W, 3) uint8.
    """
    gain = float(light["intensity"]) * np.asarray(light["color"], dtype=np.float32)[:3]
    out = rgb.astype(np.float32) * gain
    if sky is not None:
        out = np.where((depth <= 0)[:, :, None], np.asarray(sky, dtype=np.float32)[:3] * 255.0, out)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
