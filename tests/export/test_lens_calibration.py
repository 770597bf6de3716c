"""Calibration outputs say which lens a camera has: raw labels.json and MCAP CameraCalibration."""

from __future__ import annotations

import dataclasses
import json
import struct

import pytest

from . import fake

FISHEYE = (0.05, -0.012, 0.002, -0.0003)
PLUMB_BOB = (-0.3, 0.08, 0.002, -0.001, 0.01)


def _with_lens(model: str, coeffs: tuple[float, ...]) -> list:
    out = []
    for fr in fake.frames(episodes=1, per_episode=1):
        cam = dataclasses.replace(fr.camera, distortion=coeffs, distortion_model=model)
        out.append(dataclasses.replace(fr, camera=cam))
    return out


@pytest.mark.parametrize(
    ("model", "coeffs", "foxglove", "raw_key"),
    [("fisheye", FISHEYE, b"kannala_brandt", "k1_k2_k3_k4"), ("opencv", PLUMB_BOB, b"plumb_bob", "k1_k2_p1_p2_k3")],
)
def test_calibration_names_the_lens_model_and_coefficients(tmp_path, model, coeffs, foxglove, raw_key):
    from mcap.reader import make_reader

    frames = _with_lens(model, coeffs)
    fake.export(tmp_path, ["raw", "mcap"], frames)
    (labels,) = list((tmp_path / "raw").rglob("labels.json"))
    cam = json.loads(labels.read_text())["camera"]
    assert cam["distortion"] == {"model": model, raw_key: list(coeffs)}
    (path,) = list((tmp_path / "mcap").rglob("*.mcap"))
    with open(path, "rb") as stream:
        (msg,) = [m.data for _, _, m in make_reader(stream).iter_messages(topics=["/cam/calibration"])]
    assert foxglove in msg
    # protobuf packs a repeated double as consecutive little-endian float64s
    assert struct.pack(f"<{len(coeffs)}d", *coeffs) in msg
    other = b"plumb_bob" if foxglove == b"kannala_brandt" else b"kannala_brandt"
    assert other not in msg
