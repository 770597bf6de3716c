"""The shipped quickstart scenario end to end: every object kind renders and the COCO output opens."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import simgen


def test_quickstart_renders_and_opens_in_pycocotools_and_datumaro(tmp_path: Path) -> None:
    import datumaro as dm
    from pycocotools.coco import COCO

    out = tmp_path / "quick"
    summary = simgen.render(
        simgen.resources.scenario_path("quickstart"), out, episodes=2, frames=1, renderer="tiny", progress=False
    )
    assert summary.images == 2 and summary.annotations > 0
    names = set()
    for split in ("train", "val"):
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(out / "coco" / "annotations" / f"instances_{split}.json"))
        assert len(coco.getImgIds()) == 1
        names |= {coco.cats[a["category_id"]]["name"] for a in coco.anns.values()}
    # URDF (duck) and primitives all get labels somewhere in these frames.
    assert {"crate", "duck"} <= names, names

    records: list[logging.LogRecord] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = dm.Dataset.import_from(str(out / "coco"), "coco_instances")
            n_items = len(ds)
    finally:
        logging.getLogger().removeHandler(handler)
    assert not caught and not records
    assert n_items == 2
    card = (out / "DATASET_CARD.md").read_text()
    assert "synthetic" in card
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is True and manifest["scenario"]["name"] == "quickstart"
