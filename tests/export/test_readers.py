"""Exports of fake frames opened by the formats' own readers (pycocotools, datumaro, mcap)."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import fake
import numpy as np
import pytest

ALL = ["coco", "yolo", "yolo-seg", "kitti", "voc", "bop", "mcap", "raw"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("ds")
    frames = fake.frames()
    fake.export(out, ALL, frames)
    return out, frames


def _labels(frames, split=None, ignore=False):
    return [lab for f in frames if split in (None, f.split) for lab in f.labels if lab.ignore == ignore]


def test_pycocotools_loads_and_cocoeval_of_ground_truth_is_perfect(exported):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    out, frames = exported
    gt = COCO(str(out / "coco/annotations/instances_train.json"))
    assert len(gt.getImgIds()) == sum(f.split == "train" for f in frames)
    assert len(gt.getAnnIds()) == len(_labels(frames, "train")) + len(_labels(frames, "train", ignore=True))
    dets = [{**a, "score": 1.0} for a in gt.dataset["annotations"] if not a["iscrowd"]]
    for kind in ("bbox", "segm"):
        ev = COCOeval(gt, gt.loadRes(dets), kind)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        assert ev.stats[0] == pytest.approx(1.0)
    doc = gt.dataset
    assert doc["info"]["synthetic"] is True and "Synthetic" in doc["info"]["description"]
    robot = next(c for c in doc["categories"] if c["name"] == "robot")
    assert robot["keypoints"] == ["base", "arm"]
    ann = next(a for a in doc["annotations"] if a["object"] == "robot_0")
    assert len(ann["keypoints"]) == 6 and ann["num_keypoints"] == 2
    crowd = [a for a in doc["annotations"] if a["iscrowd"]]
    assert crowd and all(a["object"] == "ball_1" for a in crowd)
    occluded = next(a for a in doc["annotations"] if a["object"] == "crate_1")
    assert occluded["amodal_area"] > occluded["area"]
    assert occluded["visibility"] == pytest.approx(occluded["area"] / occluded["amodal_area"], abs=1e-6)


def _import(path: Path, fmt: str, caplog: pytest.LogCaptureFixture):
    """Import with datumaro; returns the dataset, its items and every warning (logged or raised)."""
    from datumaro.components.dataset import Dataset

    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = Dataset.import_from(str(path), fmt)
        items = list(ds)
    caught = [str(w.message) for w in caught if "datumaro" in str(w.filename)]
    caught += [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    return ds, items, caught


def _boxes(items) -> int:
    from datumaro.components.annotation import AnnotationType

    return sum(1 for it in items for a in it.annotations if a.type == AnnotationType.bbox)


@pytest.mark.parametrize("fmt", ["coco_instances"])
def test_datumaro_coco(exported, fmt, caplog):
    out, frames = exported
    ds, items, caught = _import(out / "coco", fmt, caplog)
    assert not caught, caught
    assert len(items) == len(frames)
    labels = ds.categories()[__import__("datumaro").AnnotationType.label]
    assert [c.name for c in labels.items] == list(fake.CLASSES)


def test_datumaro_yolo(exported, caplog):
    out, frames = exported
    ds, items, caught = _import(out / "yolo", "yolo", caplog)
    assert not caught, caught
    assert len(items) == len(frames)
    assert _boxes(items) == len(_labels(frames))
    labels = ds.categories()[__import__("datumaro").AnnotationType.label]
    assert [c.name for c in labels.items] == list(fake.CLASSES)


def test_datumaro_kitti(exported, caplog):
    out, frames = exported
    ds, items, caught = _import(out / "kitti", "kitti_detection", caplog)
    assert not caught, caught
    assert len(items) == len(frames)
    # DontCare regions are loaded as boxes too (datumaro keeps them with their own label).
    assert _boxes(items) == len(_labels(frames)) + len(_labels(frames, ignore=True))


def test_datumaro_voc(exported, caplog):
    out, frames = exported
    ds, items, caught = _import(out / "voc", "voc_detection", caplog)
    assert not caught, caught
    assert len(items) == len(frames)
    assert _boxes(items) == len(_labels(frames)) + len(_labels(frames, ignore=True))


def test_mcap_reader_validates_crcs_and_reads_every_message(exported):
    from mcap.reader import make_reader

    out, frames = exported
    files = sorted((out / "mcap").rglob("*.mcap"))
    assert len(files) == len({f.episode for f in frames})
    total = 0
    topics = set()
    for path in files:
        with open(path, "rb") as stream:
            reader = make_reader(stream, validate_crcs=True)
            summary = reader.get_summary()
            n = 0
            for schema, channel, message in reader.iter_messages():
                assert message.data and schema.encoding == "protobuf"
                topics.add(channel.topic)
                n += 1
            assert n == summary.statistics.message_count
            total += n
    assert {"/cam/image", "/cam/depth", "/cam/annotations", "/cam/boxes", "/tf", "/lidar/points"} <= topics
    assert total > 0


def test_mcap_images_decode_to_the_frames(exported):
    import cv2
    from foxglove.messages import CompressedImage  # noqa: F401  (schema names come from here)
    from mcap.reader import make_reader

    out, frames = exported
    path = out / "mcap" / "train" / "e000000.mcap"
    with open(path, "rb") as stream:
        msgs = [m for _, c, m in make_reader(stream).iter_messages(topics=["/cam/depth"])]
    assert len(msgs) == 2
    assert msgs[0].log_time == int(round(frames[0].time * 1e9))
    assert cv2 is not None


def test_bop_layout(exported):
    out, frames = exported
    scene = out / "bop" / "train" / "000000"
    gt = json.loads((scene / "scene_gt.json").read_text())
    info = json.loads((scene / "scene_gt_info.json").read_text())
    cam = json.loads((scene / "scene_camera.json").read_text())
    assert sorted(gt) == ["0", "1"] and sorted(cam) == ["0", "1"]
    f0 = frames[0]
    models = json.loads((out / "bop" / "models" / "models_info.json").read_text())
    # Articulated bodies (with keypoints) have no rigid model and no BOP ground truth.
    labs = [lab for lab in f0.labels if lab.R_obj_cam is not None and lab.keypoints is None]
    assert len(gt["0"]) == len(labs)
    for g, i, lab in zip(gt["0"], info["0"], labs, strict=True):
        assert np.allclose(np.reshape(g["cam_R_m2c"], (3, 3)), lab.R_obj_cam)
        assert np.allclose(g["cam_t_m2c"], np.array(lab.t_obj_cam) * 1000)
        assert models[str(g["obj_id"])]["name"] == lab.class_name
        assert models[str(g["obj_id"])]["category_id"] == lab.category_id
        assert i["px_count_visib"] == lab.area
    import cv2

    m = cv2.imread(str(scene / "mask_visib" / "000000_000000.png"), cv2.IMREAD_UNCHANGED)
    assert m.shape == (fake.H, fake.W) and (m > 0).sum() == labs[0].area
    d = cv2.imread(str(scene / "depth" / "000000.png"), cv2.IMREAD_UNCHANGED)
    assert d.dtype == np.uint16 and np.allclose(d / 1000.0, f0.depth, atol=1e-3)
    # One model per distinct geometry: crate_0, crate_1, ball_0, ball_1 (robot_0 is articulated).
    assert set(models) == {"1", "2", "3", "4"}
    assert not (out / "bop" / "models_info.json").exists()


def test_raw_round_trip(exported):
    import cv2

    out, frames = exported
    f0 = frames[0]
    d = out / "raw" / f0.split / f0.stem
    assert np.array_equal(np.load(d / "depth.npy"), f0.depth)
    assert np.array_equal(cv2.imread(str(d / "instance.png"), cv2.IMREAD_UNCHANGED), f0.instance)
    doc = json.loads((d / "labels.json").read_text())
    assert [lab["instance_id"] for lab in doc["labels"]] == [lab.instance_id for lab in f0.labels]
    assert np.array_equal(np.load(d / "points.npy"), f0.lidar.points)


def test_png_writers_round_trip_through_opencv_and_pil():
    import io

    import cv2
    from PIL import Image

    from simgen.export.encode import encode_png_gray, encode_png_mask

    rng = np.random.default_rng(0)
    for shape in [(1, 1), (7, 13), (3, 9), (48, 64)]:
        m = rng.random(shape) > 0.5
        b = encode_png_mask(m)
        assert np.array_equal(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED) > 0, m)
        assert np.array_equal(np.array(Image.open(io.BytesIO(b))).astype(bool), m)
        for dtype in (np.uint8, np.uint16):
            img = rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
            b = encode_png_gray(img)
            assert np.array_equal(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_UNCHANGED), img)
            assert np.array_equal(np.array(Image.open(io.BytesIO(b))), img)


def test_raw_lidar_point_labels(exported):
    out, frames = exported
    f0 = frames[0]
    d = out / "raw" / f0.split / f0.stem
    inst = np.load(d / "point_instance.npy")
    sem = np.load(d / "point_semantic.npy")
    cat = {o.instance_id: o.category_id for o in f0.objects}
    assert np.array_equal(sem, [cat.get(int(i), 0) for i in inst])
    for lab in f0.labels:
        assert lab.lidar_points == int((inst == lab.instance_id).sum())


def test_voc_boxes_are_one_based_inclusive_integers(exported):
    import xml.etree.ElementTree as ET

    out, frames = exported
    f0 = frames[0]
    root = ET.parse(out / "voc" / "Annotations" / f"{f0.stem}.xml").getroot()
    objs = root.findall("object")
    assert len(objs) == len(f0.labels)
    for obj, lab in zip(objs, f0.labels, strict=True):
        box = {k: int(obj.find(f"bndbox/{k}").text) for k in ("xmin", "ymin", "xmax", "ymax")}
        x, y, w, h = lab.bbox
        assert box == {"xmin": x + 1, "ymin": y + 1, "xmax": x + w, "ymax": y + h}
        assert obj.find("difficult").text == ("1" if lab.ignore else "0")
    assert (out / "voc/ImageSets/Main/val.txt").read_text().split() == [f.stem for f in frames if f.split == "val"]


def test_yolo_detect_and_segment_labels(exported):
    import cv2

    out, frames = exported
    f0 = frames[0]
    labs = [lab for lab in f0.labels if not lab.ignore]
    det = [line.split() for line in (out / "yolo/labels" / f0.split / f"{f0.stem}.txt").read_text().splitlines()]
    assert len(det) == len(labs)
    for fields, lab in zip(det, labs, strict=True):
        assert int(fields[0]) == lab.category_id - 1
        cx, cy, w, h = map(float, fields[1:])
        x, y, bw, bh = lab.bbox
        assert np.allclose([cx * fake.W, cy * fake.H, w * fake.W, h * fake.H], [x + bw / 2, y + bh / 2, bw, bh])
    seg = (out / "yolo-seg/labels" / f0.split / f"{f0.stem}.txt").read_text().splitlines()
    assert len(seg) == len(labs)
    for line, lab in zip(seg, labs, strict=True):
        vals = np.array(line.split()[1:], dtype=float).reshape(-1, 2)
        assert ((0 <= vals) & (vals <= 1)).all()
        poly = vals * [fake.W, fake.H]
        # A polygon through boundary pixel centres covers the mask less a half-pixel rim.
        assert abs(cv2.contourArea(poly.astype(np.float32)) - lab.area) <= 0.5 * (2 * (lab.bbox[2] + lab.bbox[3])) + 1
    data = (out / "yolo/data.yaml").read_text()
    assert "path:" not in data and 'val: "images/val"' in data  # relative to data.yaml's folder
