"""KL and Wasserstein against scipy.stats; class-name mismatches; a reference that differs on purpose."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import entropy, wasserstein_distance

from simgen.dataset.compare import (
    class_mapping,
    compare_datasets,
    kl_divergence,
    parse_mapping,
    smoothed,
    wasserstein_1d,
)
from simgen.dataset.reader import open_dataset
from simgen.errors import SimgenError
from tests.dataset.conftest import H, W, write_reference


def test_kl_known_answers_and_scipy() -> None:
    # Unsmoothed: KL([.5, .5] || [.25, .75]) = .5 ln 2 + .5 ln(2/3).
    assert kl_divergence([1, 1], [1, 3], alpha=0) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert kl_divergence([3, 3, 3], [1, 1, 1], alpha=0) == pytest.approx(0.0)
    assert kl_divergence([1, 0], [0, 1], alpha=0) == math.inf
    rng = np.random.default_rng(0)
    for _ in range(20):
        p, q = rng.integers(0, 20, 12), rng.integers(0, 20, 12)
        assert kl_divergence(p, q) == pytest.approx(entropy(smoothed(p), smoothed(q)))
        assert kl_divergence(p, q) >= 0
    # Smoothing: [2, 0] vs [0, 2] with alpha 0.5 -> p = [5/6, 1/6], q = [1/6, 5/6].
    assert kl_divergence([2, 0], [0, 2]) == pytest.approx((5 / 6 - 1 / 6) * math.log(5))


def test_wasserstein_known_answers_and_scipy() -> None:
    assert wasserstein_1d(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == pytest.approx(2.0)
    assert wasserstein_1d(np.array([0.0]), np.array([0.0, 1.0, 2.0])) == pytest.approx(1.0)
    rng = np.random.default_rng(1)
    for n, m in ((5, 7), (50, 3), (200, 200)):
        u, v = rng.normal(0, 1, n), rng.normal(0.5, 2, m)
        assert wasserstein_1d(u, v) == pytest.approx(wasserstein_distance(u, v))


def test_class_mapping_suggests_and_errors() -> None:
    assert class_mapping(["crate", "ball"], ["ball", "crate", "person"], {}) == {"crate": "crate", "ball": "ball"}
    assert class_mapping(["pedestrian"], ["person"], {"pedestrian": "person"}) == {"pedestrian": "person"}
    with pytest.raises(SimgenError) as err:
        class_mapping(["crate", "Balls"], ["box_crate", "ball"], {})
    msg = str(err.value)
    assert "classes not in the reference: crate, Balls" in msg
    assert "--map crate=box_crate,Balls=ball" in msg
    with pytest.raises(SimgenError, match="--map names classes the dataset does not have: cart"):
        class_mapping(["crate"], ["crate"], {"cart": "crate"})


def test_parse_mapping_pairs_and_file(tmp_path: Path) -> None:
    assert parse_mapping("a=b, c = d") == {"a": "b", "c": "d"}
    f = tmp_path / "map.yaml"
    f.write_text("pedestrian: person\ncar: vehicle\n")
    assert parse_mapping(str(f)) == {"pedestrian": "person", "car": "vehicle"}
    with pytest.raises(SimgenError, match="synthetic=real pairs"):
        parse_mapping("a=b,c")


def test_identical_reference_has_zero_distances(clean_dataset: Path) -> None:
    ds = open_dataset(clean_dataset)
    r = compare_datasets(ds, open_dataset(clean_dataset))
    for name, v in r["features"].items():
        assert v is not None and v["wasserstein"] == pytest.approx(0.0, abs=1e-12), name
        assert v["kl"] == pytest.approx(0.0, abs=1e-12), name
    assert r["most_different"] == []
    assert r["images"]["images"] == 6 and r["images"]["colour_kl"]["R"] == pytest.approx(0.0)


def test_reference_with_bigger_boxes_flags_size(clean_dataset: Path, tmp_path: Path) -> None:
    # Reference images are the same size as ours; its boxes are all large and centred, classes mapped.
    boxes = [(i % 3, 10, 6, 44, 36) for i in range(30)]
    ref = write_reference(tmp_path / "real.json", ["box", "ball", "defect"], boxes, size=(W, H))
    r = compare_datasets(open_dataset(clean_dataset), open_dataset(ref), {"crate": "box"})
    assert r["classes"]["mapping"] == {"crate": "box"}
    assert r["classes"]["share_reference"] == {
        "box": pytest.approx(1 / 3),
        "ball": pytest.approx(1 / 3),
        "defect": pytest.approx(1 / 3),
    }
    assert "size" in r["most_different"]
    size = r["features"]["size"]
    assert size["mean_reference"] == pytest.approx(math.sqrt(44 * 36 / (W * H)))
    ours = np.sqrt(np.array([100, 64, 100, 200, 128, 64 * 48, 144]) / (W * H))
    assert size["wasserstein"] == pytest.approx(wasserstein_distance(ours, np.full(30, math.sqrt(44 * 36 / (W * H)))))
    assert r["images"] is None  # the reference has no image files


def test_cli_class_mismatch_exits_2_with_mapping(clean_dataset: Path, tmp_path: Path, run_cli) -> None:
    ref = write_reference(tmp_path / "real.json", ["crates", "sports ball", "defect"], [(0, 1, 1, 5, 5)])
    code, out, err = run_cli("compare", str(clean_dataset), "--reference", str(ref))
    assert code == 2 and "Traceback" not in err and out == ""
    assert "classes not in the reference: crate, ball" in err
    assert "--map crate=crates,ball=sports ball" in err
    code, out, err = run_cli(
        "compare", str(clean_dataset), "--reference", str(ref), "--map", "crate=crates,ball=sports ball", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["classes"]["mapping"] == {"crate": "crates", "ball": "sports ball"}
    code, _, err = run_cli("compare", str(clean_dataset), "--reference", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file or folder" in err


def test_reference_images_folder_argument(clean_dataset: Path, tmp_path: Path) -> None:
    doc = json.loads((clean_dataset / "coco" / "annotations" / "instances_val.json").read_text())
    ref = tmp_path / "val.json"
    ref.write_text(json.dumps(doc))
    ds = open_dataset(f"{ref}:{clean_dataset / 'coco' / 'images' / 'val'}")
    assert [im.path is not None for im in ds.images] == [True, True]
    r = compare_datasets(open_dataset(clean_dataset), ds)
    assert r["images"]["images_reference"] == 2


def test_suggestions_need_evidence() -> None:
    from simgen.dataset.compare import suggest

    ref = ["vehicle", "pedestrian", "sports ball", "traffic_light"]
    assert suggest("child", ref) is None  # letters in common are no evidence
    assert suggest("adult", ref) is None
    assert suggest("car", ref) is None
    assert suggest("ball", ref) == "sports ball"
    assert suggest("Traffic-Lights", ref) == "traffic_light"
    assert suggest("pedestrain", ref) == "pedestrian"  # a typo
    with pytest.raises(SimgenError) as err:
        class_mapping(["child", "ball"], ref, {})
    assert err.value.issues[0].hint == "map them, e.g. --map ball=sports ball"
    with pytest.raises(SimgenError) as err:
        class_mapping(["child"], ref, {})
    assert "--map child=" not in (err.value.issues[0].hint or "")
