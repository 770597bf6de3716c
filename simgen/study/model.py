"""The study's detector: a small torchvision model trained from scratch, and its predictions.

torch and torchvision come with the ``simgen[study]`` extra and are imported only here, lazily;
without them the study stops with the install command. Nothing is downloaded: models are built
with ``weights=None, weights_backbone=None``; ``--weights PATH`` loads a local state dict, either
of a whole detector of the same architecture (the class-specific layers are skipped when the
class count differs) or of its MobileNetV3-Large classification backbone (``features.*`` keys).

Randomness: the model's initial weights come from ``torch.manual_seed(seed)`` just before it is
built (torch has no per-module generator for initialisers); the batch order and the flips come
from a ``numpy.random.Generator`` of ``SeedSequence(seed)``. With a fixed thread count the run
is repeatable on one machine; across machines and BLAS builds, float sums may differ.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import DependencyError, SimgenError
from simgen.study.data import DetectionSet

CENTERNET = "centernet_small"
MODELS = (CENTERNET, "fasterrcnn_mobilenet_v3_large_320_fpn", "ssdlite320_mobilenet_v3_large")
INSTALL_HINT = "pip install 'simgen[study]'"


def require_torch() -> Any:
    """Import torch and torchvision, or raise a DependencyError with the install command."""
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as err:
        raise DependencyError(f"the utility study needs torch and torchvision ({err})", hint=INSTALL_HINT) from err
    return torch


def torch_available() -> bool:
    """True when torch and torchvision import."""
    try:
        require_torch()
    except DependencyError:
        return False
    return True


@dataclass
class TrainConfig:
    """How one detector is trained: the same for every arm of a study."""

    model: str = "fasterrcnn_mobilenet_v3_large_320_fpn"
    steps: int = 300
    batch_size: int = 4
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 20
    min_size: int = 320  # shorter image side the model resizes to (torchvision's 320 variant default)
    max_size: int = 640
    proposals: int = 2000  # RPN proposals kept in training (torchvision's default)
    rpn_samples: int = 256  # anchors sampled per image for the RPN loss (torchvision's default)
    roi_samples: int = 512  # proposals sampled per image for the box head (torchvision's default)
    weights: Path | None = None
    flip: bool = True
    width: int = 32  # centernet_small: channels at strides 4 and 4 (backbone 16-128)
    scale_jitter: float = 0.3  # centernet_small: image scale drawn log-uniform in exp(+-this)
    device: str = "cpu"  # torch device: 'cpu', 'cuda', 'cuda:1', ...


@dataclass
class TrainLog:
    """What a training run did: loss every few steps, seconds, tensors loaded from ``--weights``."""

    losses: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    loaded_tensors: int = 0


def build_detector(config: TrainConfig, num_classes: int, seed: int) -> Any:
    """A torchvision detector with ``num_classes`` classes (background excluded), seeded init."""
    torch = require_torch()
    from torchvision.models import detection

    torch.manual_seed(seed)
    n = num_classes + 1  # + background
    if config.model == "fasterrcnn_mobilenet_v3_large_320_fpn":
        model = detection.fasterrcnn_mobilenet_v3_large_320_fpn(
            weights=None,
            weights_backbone=None,
            num_classes=n,
            min_size=config.min_size,
            max_size=config.max_size,
            rpn_pre_nms_top_n_train=config.proposals,
            rpn_post_nms_top_n_train=config.proposals,
            rpn_batch_size_per_image=config.rpn_samples,
            box_batch_size_per_image=config.roi_samples,
        )
    elif config.model == "ssdlite320_mobilenet_v3_large":
        model = detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=n)
    else:
        from simgen.errors import did_you_mean

        raise SimgenError(
            f"unknown model '{config.model}'; expected one of {', '.join(MODELS)}",
            hint=did_you_mean(config.model, MODELS),
        )
    return model


def load_weights(model: Any, path: Path) -> int:
    """Load a local state dict into ``model``; returns how many tensors were taken.

    Accepts a detector checkpoint (keys ``backbone.*``, ``rpn.*``, ``roi_heads.*``, ``head.*``)
    or a MobileNetV3-Large classifier (keys ``features.N.*`` go to the detector's backbone body).
    Tensors whose shape differs (the class-specific predictor) are skipped.
    """
    torch = require_torch()
    if not Path(path).is_file():
        raise SimgenError(f"--weights '{path}' does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises pickle, zip and runtime errors for a bad file
        raise SimgenError(f"--weights '{path}' is not a torch state dict ({type(err).__name__}: {err})") from err
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if not isinstance(state, dict):
        raise SimgenError(f"--weights '{path}' holds no state dict")
    own = model.state_dict()
    renamed: dict[str, Any] = {}
    for key, tensor in state.items():
        if key.startswith("features."):  # classification backbone -> detector backbone body
            for prefix in ("backbone.body.", "backbone.features."):
                candidate = prefix + key[len("features.") :]
                if candidate in own:
                    key = candidate
                    break
        if key in own and tuple(own[key].shape) == tuple(tensor.shape):
            renamed[key] = tensor
    if not renamed:
        raise SimgenError(
            f"--weights '{path}': no tensor matches the {type(model).__name__} being trained",
            hint="pass a state dict of the same torchvision detector or of mobilenet_v3_large",
        )
    model.load_state_dict(renamed, strict=False)
    return len(renamed)


class ImageCache:
    """Images of a set as (3, H, W) float tensors in 0..1, read once."""

    def __init__(self, dataset: DetectionSet) -> None:
        self.dataset = dataset
        self._cache: dict[int, Any] = {}

    def get(self, image_id: int) -> Any:
        """The image as a float tensor, (3, H, W), 0..1."""
        if image_id not in self._cache:
            from PIL import Image

            torch = require_torch()
            with Image.open(self.dataset.paths[image_id]) as img:
                arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
            self._cache[image_id] = torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()
        return self._cache[image_id].float().div_(255.0)


def _lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 5 % of the base rate."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    span = max(config.steps - config.warmup_steps, 1)
    progress = (step - config.warmup_steps) / span
    return config.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_detector(
    train_set: DetectionSet, classes: list[str], config: TrainConfig, seed: int, log_every: int = 25, echo: Any = None
) -> tuple[Any, TrainLog]:
    """Train a fresh detector on ``train_set`` for ``config.steps`` steps; returns (model, log)."""
    torch = require_torch()
    if config.model == CENTERNET:
        if config.weights is not None:
            raise SimgenError(f"--weights is for the torchvision detectors, not {CENTERNET}")
        from simgen.study import centernet

        return centernet.train(train_set, classes, config, seed, log_every=log_every, echo=echo)
    model = build_detector(config, len(classes), seed)
    log = TrainLog()
    if config.weights is not None:
        log.loaded_tensors = load_weights(model, config.weights)
    model.to(config.device)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    ids = train_set.image_ids
    if not ids:
        raise SimgenError(f"training set '{train_set.name}' has no images")
    targets = train_set.targets()
    cache = ImageCache(train_set)
    order: list[int] = []
    t0 = time.perf_counter()
    running = 0.0
    for step in range(config.steps):
        batch_ids: list[int] = []
        while len(batch_ids) < config.batch_size:
            if not order:
                order = list(rng.permutation(len(ids)))
            batch_ids.append(ids[order.pop()])
        images, batch_targets = [], []
        for image_id in batch_ids:
            img = cache.get(image_id)
            boxes = torch.tensor(targets[image_id][0], dtype=torch.float32).reshape(-1, 4)
            labels = torch.tensor(targets[image_id][1], dtype=torch.int64)
            if config.flip and rng.random() < 0.5:
                width = img.shape[-1]
                img = img.flip(-1)
                boxes = torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], dim=1)
            images.append(img.to(config.device))
            batch_targets.append({"boxes": boxes.to(config.device), "labels": labels.to(config.device)})
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, config)
        losses = model(images, batch_targets)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            raise RuntimeError(f"training diverged at step {step}: loss {float(loss)}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        optimizer.step()
        running += float(loss.detach())
        if (step + 1) % log_every == 0 or step + 1 == config.steps:
            n = (step % log_every) + 1
            log.losses.append((step + 1, running / n))
            if echo is not None:
                echo(f"step {step + 1}/{config.steps} loss {running / n:.3f}")
            running = 0.0
    log.seconds = time.perf_counter() - t0
    return model, log


def predict(model: Any, dataset: DetectionSet, batch_size: int = 8, device: str = "cpu") -> list[dict[str, Any]]:
    """COCO detections (``image_id``, ``category_id``, ``bbox`` xywh pixels, ``score``) for every image."""
    torch = require_torch()
    if hasattr(model, "canvas"):
        from simgen.study import centernet

        return centernet.predict(model, dataset, device=device)
    model.to(device)
    model.eval()
    cache = ImageCache(dataset)
    detections: list[dict[str, Any]] = []
    ids = dataset.image_ids
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            outputs = [{k: v.cpu() for k, v in o.items()} for o in model([cache.get(i).to(device) for i in chunk])]
            for image_id, out in zip(chunk, outputs, strict=True):
                for box, label, score in zip(
                    out["boxes"].tolist(), out["labels"].tolist(), out["scores"].tolist(), strict=True
                ):
                    x1, y1, x2, y2 = box
                    detections.append(
                        {
                            "image_id": image_id,
                            "category_id": int(label),
                            "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                            "score": round(float(score), 5),
                        }
                    )
    return detections
