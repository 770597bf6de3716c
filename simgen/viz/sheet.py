"""Contact sheets: frames in a grid with instance masks tinted, boxes and class names drawn."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from simgen.frame import Frame


def class_color(category_id: int) -> tuple[int, int, int]:
    """A distinct, stable RGB colour per category id (golden-ratio hue steps)."""
    h = (category_id * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_labels(frame: Frame, *, mask_alpha: float = 0.35) -> np.ndarray:
    """(H, W, 3) uint8 RGB copy of the frame with masks tinted and labeled boxes drawn."""
    img = frame.rgb.astype(np.float32)
    lut = np.zeros((max([o.instance_id for o in frame.objects], default=0) + 1, 3), dtype=np.float32)
    for lab in frame.labels:
        lut[lab.instance_id] = class_color(lab.category_id)
    tinted = frame.instance > 0
    labeled = np.isin(frame.instance, [lab.instance_id for lab in frame.labels]) & tinted
    img[labeled] = (1 - mask_alpha) * img[labeled] + mask_alpha * lut[frame.instance[labeled]]
    out = np.ascontiguousarray(img.clip(0, 255).astype(np.uint8))
    return draw_boxes(out, [(lab.bbox, lab.category_id, lab.class_name) for lab in frame.labels])


def draw_boxes(rgb: np.ndarray, boxes: list[tuple[tuple[float, float, float, float], int, str]]) -> np.ndarray:
    """Draw ``(bbox [x, y, w, h] pixels, category id, caption)`` boxes onto (H, W, 3) uint8 RGB, in place.

    Shared by contact sheets and the dataset report, which has only a file's boxes, not a Frame.
    """
    out = rgb
    scale = max(0.35, min(out.shape[:2]) / 900)
    for (x, y, w, h), category_id, text in boxes:
        color = class_color(category_id)
        p0, p1 = (int(x), int(y)), (int(x + w) - 1, int(y + h) - 1)
        cv2.rectangle(out, p0, p1, color, 1, cv2.LINE_AA)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(int(y), th + base)
        cv2.rectangle(out, (int(x), ty - th - base), (int(x) + tw + 2, ty), color, -1)
        cv2.putText(out, text, (int(x) + 1, ty - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def contact_sheet(frames: list[Frame], *, columns: int = 4, tile_width: int = 480) -> np.ndarray:
    """(H, W, 3) uint8 grid of labeled frames, each captioned with episode/frame/camera."""
    if not frames:
        raise ValueError("contact_sheet needs at least one frame")
    tiles = []
    for fr in frames:
        img = draw_labels(fr)
        h, w = img.shape[:2]
        th = max(1, int(round(h * tile_width / w)))
        img = cv2.resize(img, (tile_width, th), interpolation=cv2.INTER_AREA)
        caption = np.full((22, tile_width, 3), 30, dtype=np.uint8)
        text = f"ep {fr.episode}  frame {fr.index}  {fr.camera.name}  {len(fr.labels)} labels"
        cv2.putText(caption, text, (6, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)
        tiles.append(np.vstack([caption, img]))
    th = max(t.shape[0] for t in tiles)
    tiles = [np.vstack([t, np.zeros((th - t.shape[0], tile_width, 3), np.uint8)]) for t in tiles]
    cols = min(columns, len(tiles))
    rows = -(-len(tiles) // cols)
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (rows * cols - len(tiles))
    pad = 4
    grid_rows = [
        np.hstack([np.pad(t, ((pad, pad), (pad, pad), (0, 0))) for t in tiles[r * cols : (r + 1) * cols]])
        for r in range(rows)
    ]
    return np.vstack(grid_rows)
