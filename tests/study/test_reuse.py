"""``--reuse``: a rendered set is copied from an earlier study only when its recipe is identical."""

from __future__ import annotations

import json
from pathlib import Path

import simgen
from simgen.batch.runner import resolved_config
from simgen.study.run import RenderedSet, _split_only, reuse_set


def _earlier(tmp_path: Path, rendered: RenderedSet, scenario, renderer: str, seed: int) -> Path:
    folder = tmp_path / "earlier" / "data" / rendered.name
    folder.mkdir(parents=True)
    manifest = {
        "scenario": {"config": resolved_config(_split_only(rendered, scenario))},
        "run": {"seed": seed, "episodes": rendered.episodes, "renderer": renderer},
        "counts": {"images": 8, "annotations": 21},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path / "earlier"


def _set(tmp_path: Path, renderer: str = "auto") -> RenderedSet:
    return RenderedSet("train_source", "nominal", renderer, 5, 2, "train", tmp_path / "new" / "data" / "train_source")


def test_an_identical_recipe_is_copied(small_scenario_path: Path, tmp_path: Path) -> None:
    scenario = simgen.load(small_scenario_path)
    rendered = _set(tmp_path)
    earlier = _earlier(tmp_path, rendered, scenario, "tiny", seed=5)
    assert reuse_set(rendered, scenario, earlier)
    assert (rendered.path / "manifest.json").is_file() and rendered.images == 8 and rendered.annotations == 21
    assert rendered.renderer_used == "tiny" and rendered.reused_from == str(earlier / "data" / "train_source")


def test_another_seed_renderer_or_scenario_is_rendered_again(small_scenario_path: Path, tmp_path: Path) -> None:
    scenario = simgen.load(small_scenario_path)
    rendered = _set(tmp_path)
    assert not reuse_set(rendered, scenario, _earlier(tmp_path / "a", rendered, scenario, "tiny", seed=6))
    # 'auto' picks a raster renderer: a set rendered photoreal is not what it would render.
    assert not reuse_set(rendered, scenario, _earlier(tmp_path / "b", rendered, scenario, "cycles", seed=5))
    assert not reuse_set(_set(tmp_path, "egl"), scenario, _earlier(tmp_path / "c", rendered, scenario, "tiny", seed=5))
    other = scenario.model_copy(update={"frames": scenario.frames + 1})
    assert not reuse_set(rendered, other, _earlier(tmp_path / "d", rendered, scenario, "tiny", seed=5))
    assert not reuse_set(rendered, scenario, tmp_path / "nothing")
    assert not rendered.path.exists() and rendered.reused_from is None
