"""Quick mode's detector: a small centre-point detector (CenterNet-style) that learns on a CPU.

A plain strided conv backbone (stride 32) with a light top-down path back to stride 4, and three
heads there: a heatmap per class (object centres), box size (log width/height in feature cells)
and the sub-cell offset of the centre. Trained from scratch with a penalty-reduced focal loss on
Gaussian centre targets and L1 on size and offset, regressed on every cell near a centre
(weighted by its Gaussian) rather than on the peak cell only, which gives many more positives
per box and is what makes it learn within minutes (the idea of TTFNet, Liu et al. 2019).

Why not torchvision's detectors on a CPU: a two-stage detector built for pretrained backbones
reached mAP@0.5 0.09 for the oracle after 250 steps from scratch; this one is built to start
from nothing. Inputs are padded (and scale-jittered when training) onto a fixed canvas whose
sides are multiples of 32. Randomness: ``torch.manual_seed(seed)`` before construction, the
batch order and augmentations from a numpy generator of ``SeedSequence([seed, ...])``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from simgen.study.data import DetectionSet

STRIDE = 4
GAUSS_ALPHA = 0.54  # Gaussian sigma = alpha * side / 6 (TTFNet)
REG_THRESHOLD = 0.3  # cells whose own Gaussian is above this regress size and offset


@dataclass(frozen=True)
class Canvas:
    """The fixed input size of the network and the scale from image pixels to it."""

    width: int
    height: int
    scale: float

    @classmethod
    def for_images(cls, width: int, height: int, max_side: int) -> Canvas:
        """Scale so the longer side is ``max_side``; sides rounded up to multiples of 32."""
        scale = max_side / max(width, height)
        return cls(_ceil32(width * scale), _ceil32(height * scale), scale)


def _ceil32(v: float) -> int:
    return int(math.ceil(v / 32.0) * 32)


def build_centernet(num_classes: int, width: int = 32, seed: int = 0) -> Any:
    """The network: conv backbone to stride 32, top-down to stride 4, heat/size/offset heads."""
    import torch
    from torch import nn

    torch.manual_seed(seed)

    def conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
        )

    w = width
    chans = [w // 2, w, 2 * w, 3 * w, 4 * w]  # strides 2, 4, 8, 16, 32

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = conv(3, chans[0], 2)
            self.stages = nn.ModuleList(
                [nn.Sequential(conv(chans[i - 1], chans[i], 2), conv(chans[i], chans[i])) for i in range(1, 5)]
            )
            self.lateral = nn.ModuleList([nn.Conv2d(chans[i], w, 1) for i in range(1, 5)])
            self.smooth = conv(w, w)
            heat_in = conv(w, w)
            heat_out = nn.Conv2d(w, num_classes, 1)
            if heat_out.bias is not None:
                nn.init.constant_(heat_out.bias, -2.19)  # prior 0.1: a stable start for the focal loss
            self.heat = nn.Sequential(heat_in, heat_out)
            self.reg = nn.Sequential(conv(w, w), nn.Conv2d(w, 4, 1))

        def forward(self, x: Any) -> tuple[Any, Any]:
            feats = []
            x = self.stem(x)
            for stage in self.stages:
                x = stage(x)
                feats.append(x)
            top = self.lateral[3](feats[3])
            for i in (2, 1, 0):
                top = nn.functional.interpolate(top, size=feats[i].shape[-2:], mode="nearest")
                top = top + self.lateral[i](feats[i])
            top = self.smooth(top)
            return self.heat(top), self.reg(top)

    return Net()


def encode(
    boxes: np.ndarray, labels: np.ndarray, num_classes: int, fw: int, fh: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets on the ``fh`` x ``fw`` feature grid for boxes (x1, y1, x2, y2 in canvas pixels).

    Returns (heat (C, fh, fw), reg (4, fh, fw): dx, dy, log w, log h in cells, weight (fh, fw)).
    Larger boxes are written first so a small box keeps the cells it shares with a large one.
    """
    heat = np.zeros((num_classes, fh, fw), np.float32)
    reg = np.zeros((4, fh, fw), np.float32)
    weight = np.zeros((fh, fw), np.float32)
    ys, xs = np.arange(fh, dtype=np.float32)[:, None], np.arange(fw, dtype=np.float32)[None, :]
    b = boxes / STRIDE
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    for k in np.argsort(-areas):
        x1, y1, x2, y2 = b[k]
        bw, bh = x2 - x1, y2 - y1
        if bw < 0.25 or bh < 0.25:
            continue
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        ix, iy = min(int(cx), fw - 1), min(int(cy), fh - 1)
        if cx < 0 or cy < 0:
            continue
        sx, sy = max(GAUSS_ALPHA * bw / 6, 0.5), max(GAUSS_ALPHA * bh / 6, 0.5)
        g = np.exp(-((xs - ix) ** 2) / (2 * sx * sx) - ((ys - iy) ** 2) / (2 * sy * sy))
        c = int(labels[k]) - 1
        np.maximum(heat[c], g, out=heat[c])
        heat[c, iy, ix] = 1.0
        cells = g > REG_THRESHOLD
        reg[0][cells] = (cx - xs.repeat(fh, 0))[cells]
        reg[1][cells] = (cy - ys.repeat(fw, 1))[cells]
        reg[2][cells] = math.log(bw)
        reg[3][cells] = math.log(bh)
        weight[cells] = g[cells] * math.log(max(bw * bh, 2.0))  # larger boxes weigh a little more (TTFNet)
    return heat, reg, weight


def losses(heat_logits: Any, reg_pred: Any, heat_t: Any, reg_t: Any, weight: Any) -> tuple[Any, Any]:
    """(focal loss on the heatmap per centre, weighted L1 on offset and log size)."""
    import torch

    p = heat_logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = heat_t.eq(1).float()
    neg = 1.0 - pos
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - heat_t) ** 4 * neg
    n_pos = pos.sum().clamp(min=1.0)
    focal = -(pos_loss.sum() + neg_loss.sum()) / n_pos
    w = weight.unsqueeze(1)
    l1 = ((reg_pred - reg_t).abs() * w).sum() / w.sum().clamp(min=1e-4)
    return focal, l1


def decode(heat_logits: Any, reg_pred: Any, top_k: int = 100, min_score: float = 0.01) -> list[list[tuple]]:
    """Per image: [(x1, y1, x2, y2 canvas pixels, class 1.., score)] from the 3x3 peaks of the heatmap."""
    import torch

    heat = heat_logits.sigmoid()
    peaks = heat * (torch.nn.functional.max_pool2d(heat, 3, 1, 1) == heat).float()
    n, c, fh, fw = heat.shape
    scores, idx = peaks.reshape(n, -1).topk(min(top_k, c * fh * fw))
    out = []
    for b in range(n):
        dets = []
        for s, i in zip(scores[b].tolist(), idx[b].tolist(), strict=True):
            if s < min_score:
                break
            cls, cell = divmod(i, fh * fw)
            iy, ix = divmod(cell, fw)
            dx, dy, lw, lh = reg_pred[b, :, iy, ix].tolist()
            cx, cy = (ix + dx) * STRIDE, (iy + dy) * STRIDE
            w, h = math.exp(min(lw, 8.0)) * STRIDE, math.exp(min(lh, 8.0)) * STRIDE
            dets.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, cls + 1, s))
        out.append(dets)
    return out


def place(
    img: np.ndarray, boxes: np.ndarray, canvas: Canvas, scale: float, shift: tuple[float, float], flip: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resize ``img`` (H, W, 3 uint8) by ``scale``, paste it at ``shift`` on the canvas (grey fill), flip.

    Returns (canvas image, boxes on the canvas clipped to it, mask of boxes still a pixel wide).
    """
    import cv2

    h, w = img.shape[:2]
    nw, nh = max(int(round(w * scale)), 1), max(int(round(h * scale)), 1)
    resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else img
    out = np.full((canvas.height, canvas.width, 3), 114, np.uint8)
    ox, oy = int(round(shift[0])), int(round(shift[1]))
    sx0, sy0 = max(-ox, 0), max(-oy, 0)
    dx0, dy0 = max(ox, 0), max(oy, 0)
    cw, ch = min(nw - sx0, canvas.width - dx0), min(nh - sy0, canvas.height - dy0)
    if cw > 0 and ch > 0:
        out[dy0 : dy0 + ch, dx0 : dx0 + cw] = resized[sy0 : sy0 + ch, sx0 : sx0 + cw]
    b = boxes.astype(np.float32) * scale + np.array([ox, oy, ox, oy], np.float32)
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, canvas.width)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, canvas.height)
    if flip:
        out = out[:, ::-1]
        b = np.stack([canvas.width - b[:, 2], b[:, 1], canvas.width - b[:, 0], b[:, 3]], axis=1)
    keep = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
    return np.ascontiguousarray(out), b, keep


def read_rgb(path: Any) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB."""
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _to_tensor(batch: list[np.ndarray]) -> Any:
    import torch

    arr = np.stack(batch).astype(np.float32) / 255.0
    arr = (arr - 0.45) / 0.25
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()


def _lr(step: int, steps: int, lr: float, warmup: int) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(steps - warmup, 1)
    return lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(
    train_set: DetectionSet, classes: list[str], config: Any, seed: int, log_every: int = 25, echo: Any = None
) -> tuple[Any, Any]:
    """Train a fresh centre-point detector on ``train_set``; returns (model, TrainLog)."""
    import torch

    from simgen.study.model import TrainLog

    ids = train_set.image_ids
    images = {i: read_rgb(train_set.paths[i]) for i in ids}
    targets = train_set.targets()
    h0, w0 = images[ids[0]].shape[:2]
    canvas = Canvas.for_images(w0, h0, config.max_size)
    model = build_centernet(len(classes), config.width, seed).to(config.device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCE7]))
    log, running, t0 = TrainLog(), 0.0, time.perf_counter()
    order: list[int] = []
    fw, fh = canvas.width // STRIDE, canvas.height // STRIDE
    for step in range(config.steps):
        batch, heats, regs, weights = [], [], [], []
        for _ in range(config.batch_size):
            if not order:
                order = list(rng.permutation(len(ids)))
            image_id = ids[order.pop()]
            img = images[image_id]
            boxes = np.asarray(targets[image_id][0], np.float32).reshape(-1, 4)
            labels = np.asarray(targets[image_id][1], np.int64)
            s = canvas.scale * float(np.exp(rng.uniform(-config.scale_jitter, config.scale_jitter)))
            free = (canvas.width - img.shape[1] * s, canvas.height - img.shape[0] * s)
            shift = (rng.uniform(min(free[0], 0), max(free[0], 0)), rng.uniform(min(free[1], 0), max(free[1], 0)))
            arr, placed, keep = place(img, boxes, canvas, s, shift, bool(config.flip and rng.random() < 0.5))
            heat, reg, wgt = encode(placed[keep], labels[keep], len(classes), fw, fh)
            batch.append(arr)
            heats.append(heat)
            regs.append(reg)
            weights.append(wgt)
        for group in opt.param_groups:
            group["lr"] = _lr(step, config.steps, config.lr, config.warmup_steps)
        heat_logits, reg_pred = model(_to_tensor(batch).to(config.device))
        focal, l1 = losses(
            heat_logits,
            reg_pred,
            torch.from_numpy(np.stack(heats)).to(config.device),
            torch.from_numpy(np.stack(regs)).to(config.device),
            torch.from_numpy(np.stack(weights)).to(config.device),
        )
        loss = focal + l1
        if not torch.isfinite(loss):
            raise RuntimeError(f"training diverged at step {step}: loss {float(loss)}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        running += float(loss.detach())
        if (step + 1) % log_every == 0 or step + 1 == config.steps:
            n = (step % log_every) + 1
            log.losses.append((step + 1, running / n))
            if echo is not None:
                echo(f"step {step + 1}/{config.steps} loss {running / n:.3f}")
            running = 0.0
    log.seconds = time.perf_counter() - t0
    model.canvas = canvas
    return model, log


def predict(model: Any, dataset: DetectionSet, batch_size: int = 16, device: str = "cpu") -> list[dict[str, Any]]:
    """COCO detections (xywh in the image's own pixels) for every image of ``dataset``."""
    import torch

    canvas: Canvas = model.canvas
    model.to(device)
    model.eval()
    ids = dataset.image_ids
    detections: list[dict[str, Any]] = []
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            batch, sizes = [], []
            for image_id in chunk:
                img = read_rgb(dataset.paths[image_id])
                sizes.append(img.shape[:2])
                batch.append(place(img, np.zeros((0, 4), np.float32), canvas, canvas.scale, (0, 0), False)[0])
            heat, reg = model(_to_tensor(batch).to(device))
            for image_id, (h, w), dets in zip(chunk, sizes, decode(heat.cpu(), reg.cpu()), strict=True):
                for x1, y1, x2, y2, label, score in dets:
                    x1, x2 = (min(max(v / canvas.scale, 0.0), w) for v in (x1, x2))
                    y1, y2 = (min(max(v / canvas.scale, 0.0), h) for v in (y1, y2))
                    if x2 - x1 < 0.5 or y2 - y1 < 0.5:
                        continue
                    detections.append(
                        {
                            "image_id": image_id,
                            "category_id": int(label),
                            "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                            "score": round(float(score), 5),
                        }
                    )
    return detections
