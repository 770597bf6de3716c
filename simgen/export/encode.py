"""Shared helpers for exporters: image encoding (cached per frame), staged file names, label JSON.

Several formats write the same RGB PNG; encoding it once per frame and reusing the bytes keeps
"all formats at once" close to the cost of the slowest single format.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from simgen.sensors.frame import Frame, InstanceLabel

# The last frame whose encodings are cached: (frame, {kind: bytes}). Exporters handle one frame
# after another in the same process, so one slot suffices; holding the frame keeps its id unique.
_LAST: list[Any] = [None, {}]


def _encode(image: np.ndarray, ext: str, params: list[int]) -> bytes:
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise RuntimeError(f"{ext} encoding failed")
    return buf.tobytes()


def encoded_rgb(frame: Frame, kind: str = "png") -> bytes:
    """PNG (compression 3) or JPEG (quality 95) bytes of ``frame.rgb``, encoded once per frame."""
    if _LAST[0] is not frame:
        _LAST[0], _LAST[1] = frame, {}
    cache = _LAST[1]
    if kind not in cache:
        bgr = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR)
        if kind == "png":
            cache[kind] = _encode(bgr, ".png", [cv2.IMWRITE_PNG_COMPRESSION, 3])
        elif kind == "jpg":
            cache[kind] = _encode(bgr, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95])
        else:
            raise ValueError(f"unknown image kind {kind!r}")
    return cache[kind]


def encode_png_gray(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W) uint8 or uint16 image (fast compression)."""
    return _encode(np.ascontiguousarray(image), ".png", [cv2.IMWRITE_PNG_COMPRESSION, 1])


def depth_mm(depth: np.ndarray) -> np.ndarray:
    """(H, W) uint16 depth in millimetres (0 = no return; saturates at 65.535 m)."""
    return np.clip(np.rint(depth.astype(np.float64) * 1000.0), 0, 65535).astype(np.uint16)


def promote(staged: Path, final: Path) -> None:
    """Rename a file written under its frame stem to its final dataset-order name.

    Idempotent: if ``final`` already exists and ``staged`` is gone (an earlier ``finish``
    ran), nothing happens; a missing file raises.
    """
    if staged == final:
        return
    if staged.exists():
        os.replace(staged, final)
    elif not final.exists():
        raise FileNotFoundError(f"neither {staged} nor {final} exists")


def safe_token(name: str) -> str:
    """A class name as one whitespace-free token (KITTI and similar space-separated formats)."""
    return "_".join(name.split())


def label_json(lab: InstanceLabel) -> dict[str, Any]:
    """Every field of a label as JSON-safe values (lists for tuples)."""
    out: dict[str, Any] = {}
    for key, value in lab.__dict__.items():
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[key] = value
    return out


def rows(m: np.ndarray | tuple[tuple[float, ...], ...]) -> np.ndarray:
    """(3, 3) float64 array from a nested tuple rotation."""
    return np.asarray(m, dtype=np.float64)
