"""Camera-fault flags reach the dataset: COCO image entries, raw labels.json and MCAP annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simgen
from simgen.batch.runner import render_dataset
from simgen.resources import scenario_path


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Path:
    """The shipped sensor_faults scenario, one episode of 10 frames at 160x120 (0 .. 1.125 s at 8 fps)."""
    sc = simgen.load(scenario_path("sensor_faults"))
    cams = [c.model_copy(update={"width": 160, "height": 120}) for c in sc.cameras]
    sc = sc.model_copy(update={"cameras": cams})
    out = tmp_path_factory.mktemp("faults") / "ds"
    render_dataset(sc, out, episodes=1, frames=10, renderer="tiny", formats=["coco", "raw", "mcap"], progress=False)
    return out


def _coco_images(out: Path) -> tuple[list[dict], list[dict]]:
    images, anns = [], []
    for path in sorted((out / "coco" / "annotations").glob("instances_*.json")):
        doc = json.loads(path.read_text())
        images += doc["images"]
        anns += doc["annotations"]
    return images, anns


def test_frozen_frames_are_flagged_in_coco_with_the_labels_they_repeat(faulty):
    images, anns = _coco_images(faulty)
    by_frame = {im["frame"]: im for im in images}
    boxes = {im["frame"]: sorted(tuple(a["bbox"]) for a in anns if a["image_id"] == im["id"]) for im in images}
    frozen = [im for im in images if "camera_freeze" in im.get("faults", {}).get("faults", [])]
    assert frozen, "the freeze window (0.3-0.6 s, 0.3 s long) lies inside the rendered 1.125 s"
    for im in frozen:
        src = im["faults"]["frozen_from"]
        assert src < im["frame"] and "faults" not in by_frame[src]  # repeats the last live frame
        assert boxes[im["frame"]] == boxes[src] and boxes[src]
    assert "faults" not in by_frame[0]  # untouched frames keep the plain COCO layout
    # the frame_drop window (start 0.9-1.0 s, 0.15 s) removes at least one frame of 0 .. 9
    assert len(images) < 10 and sorted(by_frame) == sorted(set(by_frame))
    if 9 in by_frame:  # 1.125 s lies in the exposure spike (1.1-1.25 s, gain 3) unless dropped
        assert by_frame[9]["faults"] == {"faults": ["exposure_spike"], "exposure_gain": 3.0}


def test_raw_labels_carry_the_same_fault_record_as_coco(faulty):
    images, _ = _coco_images(faulty)
    for im in images:
        stem = Path(im["file_name"]).stem
        (folder,) = list((faulty / "raw").glob(f"*/{stem}"))
        doc = json.loads((folder / "labels.json").read_text())
        assert doc.get("faults") == im.get("faults"), stem
        assert doc["frame"] == im["frame"]


def test_mcap_annotations_say_which_frames_are_faulty(faulty):
    from mcap.reader import make_reader

    images, _ = _coco_images(faulty)
    (path,) = list((faulty / "mcap").rglob("*.mcap"))
    with open(path, "rb") as stream:
        msgs = {m.log_time: m.data for _, _, m in make_reader(stream).iter_messages(topics=["/roadside/annotations"])}
    assert len(msgs) == len(images)
    for im in images:
        data = msgs[int(round(im["time"] * 1e9))]
        if "faults" in im:
            text = "faults: " + " ".join(im["faults"]["faults"])
            assert text.encode() in data  # protobuf strings are stored as their UTF-8 bytes
        else:
            assert b"faults:" not in data


def test_lidar_and_imu_faults_of_the_shipped_scenario_happen(faulty):
    """Regression: sensor_faults fired lidar_dropout / imu_bias_jump at sensors it did not have."""
    import numpy as np

    manifest = json.loads((faulty / "manifest.json").read_text())
    (fired,) = [e for e in manifest["episodes"][0]["events_fired"] if e["event"] == "lidar_out"]
    start = fired["time"]
    folder = faulty / "raw" / "sensors" / "e000000"
    lidar = np.load(folder / "lidar_lidar.npz")
    counts = np.diff(lidar["point_offsets"])
    t = lidar["capture_time"]
    inside = (t >= start - 1e-9) & (t < start + 0.5 - 1e-9)
    assert inside.any() and (~inside).any()
    assert np.all(counts[inside] == 0) and np.all(counts[~inside] > 1000)
    imu = np.load(folder / "imu_imu.npz")
    t = imu["capture_time"]
    inside = (t >= start - 1e-9) & (t < start + 1.0 - 1e-9)
    err = imu["accel"] - imu["accel_true"]
    assert np.allclose(err[inside].mean(axis=0), [0.2, 0, 0], atol=0.02)
    assert np.allclose(err[~inside].mean(axis=0), [0, 0, 0], atol=0.02)
