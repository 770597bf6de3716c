"""The HTML report: self-contained, every embedded image decodes, each section holds what it should."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simgen.dataset.compare import compare_datasets
from simgen.dataset.reader import open_dataset
from simgen.dataset.report import build_report, sampled_parameters, sensor_summaries
from simgen.dataset.stats import dataset_stats
from tests.dataset.conftest import H, W, write_reference

pytest.importorskip("matplotlib", reason="the report's plots need matplotlib (simgen[qa])")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        if tag == "script":
            self.scripts += 1
        for key in ("href", "src"):
            if a.get(key) and not str(a[key]).startswith("data:"):
                self.links.append(str(a[key]))
        if a.get("id"):
            self.ids.append(str(a["id"]))


def add_imu_stream(root: Path, noise: float) -> None:
    """An IMU stream with known white noise (measured - true) under raw/sensors."""
    rng = np.random.default_rng(5)
    folder = root / "raw" / "sensors" / "e000000"
    folder.mkdir(parents=True)
    true = np.zeros((4000, 3))
    np.savez(
        folder / "imu_imu.npz",
        capture_time=np.arange(4000) / 200.0,
        accel=true + rng.normal(0, noise, true.shape),
        accel_true=true,
        gyro=true,
        gyro_true=true,
    )


def make_report(root: Path, tmp_path: Path) -> str:
    add_imu_stream(root, 0.02)
    ref = write_reference(
        tmp_path / "real.json", ["crate", "ball", "defect"], [(i % 3, 10, 6, 44, 36) for i in range(9)], size=(W, H)
    )
    ds = open_dataset(root)
    return build_report(ds, dataset_stats(ds), compare_datasets(ds, open_dataset(ref)))


def test_report_is_self_contained_and_images_decode(handmade: Path, tmp_path: Path) -> None:
    text = make_report(handmade, tmp_path)
    p = _Collect()
    p.feed(text)
    assert p.links == [] and p.scripts == 0  # nothing fetched, nothing executed
    assert {
        "counts",
        "sanity",
        "distributions",
        "samples",
        "rare",
        "edge-cases",
        "randomization",
        "sensors",
        "compare",
        "card",
    } <= set(p.ids)
    plots = [i for i in p.imgs if i.get("class") == "plot"]
    frames = [i for i in p.imgs if i.get("class") != "plot"]
    assert len(plots) >= 6
    # 6 sample frames + rarest classes (defect 1, ball 2, crate 3) + the 'night' variant's 2 frames
    assert len(frames) == 6 + 1 + 2 + 3 + 2
    for img in p.imgs:
        mime, _, data = str(img["src"]).partition(";base64,")
        assert mime in ("data:image/png", "data:image/jpeg")
        decoded = Image.open(io.BytesIO(base64.b64decode(data)))
        decoded.load()
        assert decoded.width > 0 and decoded.height > 0
    assert "This dataset is synthetic." in text


def test_report_sections_hold_the_right_numbers(handmade: Path, tmp_path: Path) -> None:
    text = make_report(handmade, tmp_path)
    assert "<td>objects[0].size[0]</td><td>6</td><td>0.1</td><td>0.3</td>" in text
    assert "outside image</td><td>1</td>" in text
    assert "defect (1 annotations)" in text and "night (1 episodes, 2 images)" in text


def test_sampled_parameters_fold_instances() -> None:
    manifest = {
        "episodes": [
            {"sampled": {"objects[2][0].mass": 1.0, "objects[2][1].mass": 3.0, "light": 0.5, "flag": True, "kind": "a"}}
        ]
    }
    params = sampled_parameters(manifest)
    assert set(params) == {"objects[2].mass", "light"}
    assert params["objects[2].mass"].tolist() == [1.0, 3.0]


def test_sensor_summary_recovers_imu_noise(handmade: Path) -> None:
    add_imu_stream(handmade, 0.02)
    (row,) = sensor_summaries(open_dataset(handmade))
    assert row["type"] == "imu" and row["samples"] == 4000
    assert row["accel_error_std"] == pytest.approx([0.02] * 3, rel=0.05)
    assert row["gyro_error_std"] == [0.0, 0.0, 0.0]


def test_cli_writes_report(handmade: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "r.html"
    code, stdout, err = run_cli("report", str(handmade), "-o", str(out))
    assert code == 0, err
    assert out.read_text().startswith("<!DOCTYPE html>") and str(out) in stdout
    code, _, err = run_cli("report", str(tmp_path / "nothing"), "-o", str(tmp_path / "x.html"))
    assert code == 2 and not (tmp_path / "x.html").exists()


def test_randomization_plots_are_named_by_object_and_field_in_scenario_order() -> None:
    from simgen.dataset.report import parameter_labels

    manifest = {"scenario": {"config": {"objects": [{"name": f"o{j}"} for j in range(9)] + [{"name": "row"}] * 3}}}
    keys = ["objects[10].floors", "objects[2].mass", "light.intensity", "objects[11]"]
    labels = parameter_labels(keys, manifest)
    assert list(labels) == ["light.intensity", "objects[2].mass", "objects[10].floors", "objects[11]"]
    assert list(labels.values()) == ["light.intensity", "o2.mass", "row.floors", "row"]


def test_dataset_card_is_rendered_as_html(handmade: Path, tmp_path: Path) -> None:
    (handmade / "DATASET_CARD.md").write_text(
        "# Dataset card: handmade\n\n**This dataset is synthetic.**\n\n## Class balance\n"
        "| class | annotations |\n|---|---|\n| crate | 3 |\n\n- one `item`\n- two\n"
    )
    text = make_report(handmade, tmp_path)
    card = text[text.index("id='card'") :]
    assert "<strong>This dataset is synthetic.</strong>" in card
    assert "<th>class</th>" in card and "<td>crate</td><td>3</td>" in card
    assert "<li>one <code>item</code></li>" in card
    assert "## Class balance" not in card and "|---|" not in card
