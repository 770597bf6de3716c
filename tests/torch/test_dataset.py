"""SimDataset streams exactly what `simgen render` writes: same PNG pixels, same COCO boxes, any worker count."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.conftest import SMALL_SCENARIO

torch = pytest.importorskip("torch", reason="simgen.torch needs the study extra (torch)")
pytest.importorskip("torchvision", reason="simgen.torch needs the study extra (torchvision)")

from simgen.errors import SimgenError  # noqa: E402
from simgen.torch import SimDataset  # noqa: E402

# Partly hidden objects become crowd regions, so the stream must leave some labels out of its boxes.
CROWDED = SMALL_SCENARIO.replace(
    "labels:\n  min_visible_pixels: 4\n",
    "labels:\n  min_visible_pixels: 4\n  min_visibility: 0.99\n  ignore_regions: true\n",
)
EXTRAS = ("masks", "visibility", "iscrowd", "area", "boxes3d")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario file, dataset) of the crowded small scenario rendered by the batch runner, seed 3."""
    import simgen

    folder = tmp_path_factory.mktemp("stream")
    scenario = folder / "crowded.yaml"
    scenario.write_text(CROWDED, encoding="utf-8")
    simgen.render(simgen.load(scenario), folder / "out", seed=3, renderer="tiny", progress=False)
    return scenario, folder / "out"


def _coco(out: Path) -> dict[str, tuple[str, dict, list[dict]]]:
    """Image stem -> (split, image entry, annotations) of every COCO split in ``out``."""
    found = {}
    for path in sorted((out / "coco" / "annotations").glob("instances_*.json")):
        doc = json.loads(path.read_text())
        split = path.stem.removeprefix("instances_")
        for img in doc["images"]:
            anns = [a for a in doc["annotations"] if a["image_id"] == img["id"]]
            found[Path(img["file_name"]).stem] = (split, img, anns)
    return found


def _xyxy(anns: list[dict]) -> np.ndarray:
    boxes = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    return boxes.astype(np.float32)


def _assert_matches_render(items: list, out: Path) -> None:
    coco = _coco(out)
    assert sorted(target["image_id"] for _, target in items) == sorted(coco)
    crowds = 0
    for image, target in items:
        split, img, anns = coco[target["image_id"]]
        png = cv2.cvtColor(cv2.imread(str(out / "coco" / "images" / split / img["file_name"])), cv2.COLOR_BGR2RGB)
        assert image.dtype == torch.uint8 and tuple(image.shape) == (3, img["height"], img["width"])
        assert np.array_equal(image.permute(1, 2, 0).numpy(), png)
        objects = [a for a in anns if not a["iscrowd"]]
        crowd = [a for a in anns if a["iscrowd"]]
        crowds += len(crowd)
        assert target["boxes"].dtype == torch.float32 and target["labels"].dtype == torch.int64
        assert np.array_equal(target["boxes"].numpy(), _xyxy(objects))
        assert target["labels"].tolist() == [a["category_id"] for a in objects]
        assert np.array_equal(target["crowd_boxes"].numpy(), _xyxy(crowd))
        assert target["iscrowd"].tolist() == [0] * len(objects)
        assert target["area"].tolist() == [a["area"] for a in objects]
        assert np.allclose(target["visibility"].numpy(), [a["visibility"] for a in objects])
        masks = [mask_utils.decode(a["segmentation"]) for a in objects]
        assert np.array_equal(target["masks"].numpy(), np.array(masks).reshape(-1, *png.shape[:2]))
        centers = [a["box3d"]["center_cam"] for a in objects]
        assert np.allclose(target["boxes3d_center"].numpy(), np.array(centers).reshape(-1, 3), atol=1e-5)
    assert crowds > 0, "the scenario should produce crowd regions"


@pytest.mark.parametrize("workers", [0, 2])
def test_stream_matches_render_pixel_for_pixel_and_box_for_box(rendered: tuple[Path, Path], workers: int) -> None:
    scenario, out = rendered
    ds = SimDataset(scenario, seed=3, episodes=2, renderer="tiny", extras=EXTRAS)
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers)
    _assert_matches_render(list(loader), out)


def test_endless_stream_goes_past_the_scenario_episodes_and_starts_like_render(rendered: tuple[Path, Path]) -> None:
    scenario, out = rendered
    items = list(itertools.islice(SimDataset(scenario, seed=3, renderer="tiny", extras=EXTRAS), 6))
    assert [t["image_id"] for _, t in items] == [f"e{e:06d}_f{f:06d}_cam" for e in range(3) for f in range(2)]
    _assert_matches_render(items[:4], out)


def test_seed_changes_the_samples(rendered: tuple[Path, Path]) -> None:
    scenario, _ = rendered
    a = next(iter(SimDataset(scenario, seed=3, episodes=1, frames=1, renderer="tiny")))
    b = next(iter(SimDataset(scenario, seed=4, episodes=1, frames=1, renderer="tiny")))
    assert a[1]["image_id"] == b[1]["image_id"] == "e000000_f000000_cam"
    assert not torch.equal(a[0], b[0])


def test_transforms_move_boxes_with_pixels(rendered: tuple[Path, Path]) -> None:
    from torchvision.transforms import v2

    scenario, _ = rendered
    plain = SimDataset(scenario, seed=3, episodes=1, frames=1, renderer="tiny")
    flipped = SimDataset(
        scenario, seed=3, episodes=1, frames=1, renderer="tiny", transforms=v2.RandomHorizontalFlip(1.0)
    )
    (image, target), (fimage, ftarget) = next(iter(plain)), next(iter(flipped))
    assert torch.equal(fimage, image.flip(-1))
    width = image.shape[-1]
    expected = torch.stack(
        [width - target["boxes"][:, 2], target["boxes"][:, 1], width - target["boxes"][:, 0], target["boxes"][:, 3]], 1
    )
    assert torch.equal(ftarget["boxes"], expected)


def test_cameras_keep_only_named_cameras_and_bad_names_are_refused(rendered: tuple[Path, Path]) -> None:
    scenario, _ = rendered
    with pytest.raises(SimgenError, match="unknown camera 'cma'.*did you mean 'cam'"):
        SimDataset(scenario, cameras=["cma"], renderer="tiny")
    with pytest.raises(SimgenError, match="unknown target extra 'mask'"):
        SimDataset(scenario, extras=["mask"], renderer="tiny")
    with pytest.raises(SimgenError, match="episodes must be at least 1"):
        SimDataset(scenario, episodes=0, renderer="tiny")


def test_shipped_scenario_by_name_and_camera_filter() -> None:
    """The multi-camera tabletop scenario: only the asked cameras stream, stems name them."""
    import simgen

    names = [c.name for c in simgen.load(simgen.resources.scenario_path("tabletop_6d_pose")).cameras]
    ds = SimDataset("tabletop_6d_pose", episodes=1, renderer="tiny", cameras=names[1:3])
    ids = [t["image_id"] for _, t in ds]
    assert ids == [f"e000000_f000000_{n}" for n in names[1:3]]


def test_dataset_pickles_for_spawned_workers(rendered: tuple[Path, Path]) -> None:
    """DataLoader(multiprocessing_context='spawn') pickles the dataset into each worker."""
    import pickle

    scenario, _ = rendered
    ds = pickle.loads(pickle.dumps(SimDataset(scenario, seed=3, episodes=2, renderer="tiny", cameras=["cam"])))
    assert (ds.seed, ds.episodes, ds.renderer, ds.cameras) == (3, 2, "tiny", frozenset({"cam"}))
    assert [list(ds.episode_indices(k, 2)) for k in range(2)] == [[0], [1]]
