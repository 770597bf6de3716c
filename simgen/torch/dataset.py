"""``SimDataset``: an endless (or finite) stream of labeled frames from a scenario, as a torch dataset.

Each DataLoader worker opens one pybullet client and plays every ``num_workers``-th episode
through :func:`simgen.batch.worker.play_episode`, the episode function the batch runner exports
from, so an item's pixels and boxes are exactly those ``simgen render`` writes for the same
scenario, seed and episode count; which episodes exist never depends on ``num_workers``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import IterableDataset, get_worker_info

from simgen.errors import SimgenError, did_you_mean
from simgen.frame import Frame
from simgen.scenario.models import Scenario
from simgen.torch.target import TARGET_EXTRAS, detection_target

Item = tuple[torch.Tensor, dict[str, Any]]


def load_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A loaded scenario as is; else a path, or a shipped scenario's name (``"quickstart"``)."""
    if isinstance(scenario, Scenario):
        return scenario
    from simgen.resources import scenario_path
    from simgen.scenario.loader import load

    path = Path(scenario)
    text = str(scenario)
    if not path.exists() and "/" not in text and not text.endswith((".yaml", ".yml")):
        shipped = scenario_path(text)
        path = shipped if shipped.exists() else path
    return load(path)


class SimDataset(IterableDataset):
    """Labeled camera frames of ``scenario`` rendered on the fly: ``(image, target)`` items.

    ``image`` is a uint8 (3, H, W) tensor; ``target`` follows torchvision's detection convention
    (see :func:`simgen.torch.target.detection_target`): ``boxes`` (N, 4) float32 XYXY pixels,
    ``labels`` int64 COCO category ids, ``image_id`` the COCO file stem, plus ``extras`` (any of
    :data:`TARGET_EXTRAS`). Both are torchvision ``tv_tensors``, so v2 ``transforms`` (called as
    ``transforms(image, target)``) move boxes and masks with the pixels. ``episodes=None`` streams
    forever; episodes are then sampled as in a run of the scenario's own ``episodes`` count, so the
    first ones equal ``simgen render`` of the scenario as written. ``frames`` overrides the
    scenario's frames per episode; ``cameras`` keeps only the named cameras' images.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        seed: int = 0,
        episodes: int | None = None,
        frames: int | None = None,
        renderer: str = "auto",
        cameras: Iterable[str] | None = None,
        transforms: Callable[..., Any] | None = None,
        extras: Iterable[str] = (),
    ) -> None:
        super().__init__()
        from simgen.scenario.randomizers import texture_safe_renderer
        from simgen.scenario.sampling import sample
        from simgen.sensors.render import resolve_renderer

        sc = load_scenario(scenario)
        if frames is not None:
            if frames < 1:
                raise SimgenError(f"frames must be at least 1, got {frames}")
            sc = sc.model_copy(update={"frames": frames})
        if episodes is not None and episodes < 1:
            raise SimgenError(f"episodes must be at least 1 (or None for an endless stream), got {episodes}")
        self.scenario = sc
        self.seed = seed
        self.episodes = episodes
        self.transforms = transforms
        self.extras = _checked(tuple(extras), TARGET_EXTRAS, "target extra")
        names = [c.name for c in sc.cameras]
        self.cameras = None if cameras is None else frozenset(_checked(tuple(cameras), tuple(names), "camera"))
        self.renderer = resolve_renderer(texture_safe_renderer(sc, renderer))
        sample(sc, 0, episodes=self.plan, seed=seed)  # a sampling mistake fails here, not in a worker

    @property
    def plan(self) -> int:
        """The episode count episodes are sampled for (splits and quotas depend on it)."""
        return self.scenario.episodes if self.episodes is None else self.episodes

    def episode_indices(self, worker: int = 0, workers: int = 1) -> Iterator[int]:
        """Episodes worker ``worker`` of ``workers`` plays: every ``workers``-th from ``worker``."""
        if self.episodes is None:
            return itertools.count(worker, workers)
        return iter(range(worker, self.episodes, workers))

    def labeled_frames(self, worker: int = 0, workers: int = 1) -> Iterator[Frame]:
        """The labeled frames of this worker's episodes, in episode and capture order, on one client."""
        from simgen.batch.worker import play_episode
        from simgen.sim.client import BulletClient
        from simgen.sim.quiet import quiet_stdout

        client = BulletClient()
        try:
            for index in self.episode_indices(worker, workers):
                episode = play_episode(
                    client, self.scenario, index, episodes=self.plan, seed=self.seed, renderer=self.renderer
                )
                while True:
                    with quiet_stdout():  # pybullet's C banners, only while simulating: the caller's prints stay
                        frame = next(episode.frames, None)
                    if frame is None:
                        break
                    if self.cameras is None or frame.camera.name in self.cameras:
                        yield frame
        finally:
            client.close()

    def __iter__(self) -> Iterator[Item]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        for frame in self.labeled_frames(worker, workers):
            yield self.item(frame)

    def item(self, frame: Frame) -> Item:
        """``(image, target)`` of one labeled frame, after ``transforms``."""
        from torchvision import tv_tensors

        h, w = frame.rgb.shape[:2]
        image = tv_tensors.Image(torch.from_numpy(frame.rgb).permute(2, 0, 1).contiguous())
        target: dict[str, Any] = {}
        for key, value in detection_target(frame, self.extras).items():
            if key in ("boxes", "crowd_boxes"):
                value = tv_tensors.BoundingBoxes(torch.from_numpy(value), format="XYXY", canvas_size=(h, w))
            elif key in ("masks", "crowd_masks"):
                value = tv_tensors.Mask(torch.from_numpy(value))
            elif not isinstance(value, str):
                value = torch.from_numpy(value)
            target[key] = value
        if self.transforms is not None:
            return self.transforms(image, target)
        return image, target


def _checked(given: tuple[str, ...], known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """``given`` when every entry is ``known``; else a :class:`SimgenError` naming the first stranger."""
    for name in given:
        if name not in known:
            raise SimgenError(
                f"unknown {what} '{name}'; expected one of {', '.join(known)}", hint=did_you_mean(name, known)
            )
    return given
