"""Fog/haze from metric depth (pybullet has no fog): Beer-Lambert blend towards the haze colour."""

from __future__ import annotations

from typing import Any

import numpy as np


def transmittance(depth: np.ndarray, density: float, sky: np.ndarray | None = None) -> np.ndarray:
    """(H, W) float32 fraction of surface light reaching the camera, ``exp(-density * depth)``.

    Pixels with no surface (``sky`` True, or depth 0) get 0: fully hazed sky.
    """
    t = np.exp(-float(density) * depth.astype(np.float32))
    none = depth <= 0 if sky is None else sky
    return np.where(none, 0.0, t).astype(np.float32)


def apply_haze(
    rgb: np.ndarray, depth: np.ndarray, density: float, color: Any, sky: np.ndarray | None = None
) -> np.ndarray:
    """(H, W, 3) uint8 ``rgb * T + color * 255 * (1 - T)`` with ``T = transmittance(depth, density, sky)``."""
    t = transmittance(depth, density, sky)[:, :, None]
    haze = np.asarray(color, dtype=np.float32)[:3] * 255.0
    out = rgb.astype(np.float32) * t + haze * (1.0 - t)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


KOSCHMIEDER = 3.912  # -ln(0.02): the 2 % contrast threshold of Koschmieder's visibility definition


def koschmieder_density(visibility: float) -> float:
    """Extinction coefficient (1/m) of fog with meteorological visibility ``visibility`` metres.

    Koschmieder's law: a black object's contrast against the horizon falls as ``exp(-beta d)``
    and is at the 2 % threshold at the visibility distance, so ``beta = 3.912 / visibility``.
    """
    return KOSCHMIEDER / float(visibility)
