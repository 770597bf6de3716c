"""Quick mode's centre-point detector: targets, decoding and a few training steps (torch in a subprocess).

torch is imported in a child process only: see tests/study/test_study_cli.py for why.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from simgen.study.centernet import STRIDE, Canvas, encode, place
from tests.conftest import REPO


def test_canvas_sides_are_multiples_of_32() -> None:
    c = Canvas.for_images(240, 180, 240)
    assert (c.width, c.height, c.scale) == (256, 192, 1.0)
    c = Canvas.for_images(640, 480, 320)
    assert (c.width, c.height, c.scale) == (320, 256, 0.5)


def test_encode_puts_a_peak_at_each_centre_and_regresses_its_box() -> None:
    boxes = np.array([[8.0, 12.0, 40.0, 28.0], [60.0, 30.0, 64.0, 38.0]], np.float32)
    heat, reg, weight = encode(boxes, np.array([2, 1]), 3, fw=24, fh=16)
    assert heat.shape == (3, 16, 24) and reg.shape == (4, 16, 24)
    # Box 1: centre (24, 20) px -> cell (6, 5), size 32 x 16 px = 8 x 4 cells.
    assert heat[1, 5, 6] == 1.0 and heat[1].max() == 1.0 and heat[2].max() == 0.0
    assert reg[:, 5, 6] == pytest.approx([0.0, 0.0, np.log(8.0), np.log(4.0)])
    # Box 2: centre (62, 34) px = (15.5, 8.5) cells: peak at cell (15, 8), offset 0.5.
    assert heat[0, 8, 15] == 1.0
    assert reg[:, 8, 15] == pytest.approx([0.5, 0.5, np.log(1.0), np.log(2.0)])
    assert weight[5, 6] > 0 and weight[8, 15] > 0 and weight[0, 23] == 0
    assert int((heat == 1.0).sum()) == 2


def test_place_moves_boxes_with_the_image() -> None:
    img = np.zeros((20, 40, 3), np.uint8)
    img[5:10, 10:20] = 255
    boxes = np.array([[10.0, 5.0, 20.0, 10.0], [0.0, 0.0, 1.0, 1.0]], np.float32)
    out, placed, keep = place(img, boxes, Canvas(64, 32, 1.0), 2.0, (-8.0, 0.0), flip=True)
    assert out.shape == (32, 64, 3)
    # Scale 2, shift -8 px: x 12..32, y 10..20; flipped in a 64 px canvas: x 32..52.
    assert placed[0] == pytest.approx([32.0, 10.0, 52.0, 20.0])
    assert out[15, 40].tolist() == [255, 255, 255] and out[15, 30].tolist() == [0, 0, 0]
    assert keep.tolist() == [True, False]  # the second box fell off the canvas


CHILD = r"""
import json, sys
import numpy as np, torch
from simgen.study.centernet import STRIDE, build_centernet, decode, encode

boxes = np.array([[8.0, 12.0, 40.0, 28.0], [60.0, 30.0, 64.0, 38.0]], np.float32)
heat, reg, _ = encode(boxes, np.array([2, 1]), 3, fw=24, fh=16)
logits = torch.from_numpy(np.log(np.clip(heat, 1e-6, 1 - 1e-6) / (1 - np.clip(heat, 1e-6, 1 - 1e-6))))[None]
dets = decode(logits, torch.from_numpy(reg)[None], top_k=5, min_score=0.5)[0]
a, b = build_centernet(3, 16, seed=0), build_centernet(3, 16, seed=0)
c = build_centernet(3, 16, seed=1)
same = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
other = all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), c.state_dict().values()))
h, r = a(torch.zeros(2, 3, 64, 96))
print(json.dumps({"dets": dets, "same": same, "other": other, "heat": list(h.shape), "reg": list(r.shape)}))
"""


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_decode_inverts_encode_and_construction_is_seeded() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    found = sorted((round(d[0], 3), round(d[1], 3), round(d[2], 3), round(d[3], 3), d[4]) for d in r["dets"])
    assert found == [(8.0, 12.0, 40.0, 28.0, 2), (60.0, 30.0, 64.0, 38.0, 1)]
    assert all(d[5] == pytest.approx(1.0, abs=1e-5) for d in r["dets"])
    assert r["same"] and not r["other"]
    assert r["heat"] == [2, 3, 64 // STRIDE, 96 // STRIDE] and r["reg"] == [2, 4, 64 // STRIDE, 96 // STRIDE]
