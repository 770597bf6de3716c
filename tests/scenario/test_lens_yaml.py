"""The ``distortion:`` block of a camera: opencv (default) and fisheye models, located errors."""

from __future__ import annotations

import textwrap

import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.sampling import check_sampling, sample

BASE = """
version: 1
name: s
objects:
  - {name: crate, type: box, class: crate, size: [1, 1, 1]}
cameras:
  - name: cam
    position: [3, 0, 1]
    look_at: [0, 0, 0]
    width: 160
    height: 120
    LENS
"""


def load(lens: str, episodes: int = 1):
    text = BASE.replace("LENS", lens).replace("name: s", f"name: s\nepisodes: {episodes}")
    return simgen.loads(textwrap.dedent(text), file="s.yaml")


def error(lens: str) -> str:
    with pytest.raises(ScenarioError) as info:
        sample(load(lens), 0)
    return str(info.value)


def test_distortion_without_model_is_opencv_as_before():
    cam = sample(load("distortion: {k1: -0.2, p2: 0.001}"), 0).cameras[0]
    assert cam.distortion_model == "opencv"
    assert cam.distortion == (-0.2, 0.0, 0.0, 0.001, 0.0)
    assert cam.to_json()["distortion"] == {"model": "opencv", "k1_k2_p1_p2_k3": [-0.2, 0.0, 0.0, 0.001, 0.0]}


def test_fisheye_model_carries_k1_to_k4_into_the_spec_and_calibration():
    cam = sample(load("distortion: {model: fisheye, k1: 0.05, k2: -0.01, k4: 0.001}"), 0).cameras[0]
    assert cam.distortion_model == "fisheye"
    assert cam.distortion == (0.05, -0.01, 0.0, 0.001)
    assert cam.to_json()["distortion"] == {"model": "fisheye", "k1_k2_k3_k4": [0.05, -0.01, 0.0, 0.001]}


def test_keys_of_the_other_model_are_located_errors():
    msg = error("distortion: {model: fisheye, k1: 0.05, p1: 0.001}")
    assert msg == "s.yaml:13:44: cameras[0].distortion.p1: unknown key 'p1' (allowed keys: k1, k2, k3, k4, model)"
    msg = error("distortion: {k1: 0.1, k4: 0.01}")
    assert msg == "s.yaml:13:27: cameras[0].distortion.k4: unknown key 'k4' (allowed keys: k1, k2, k3, model, p1, p2)"


def test_unknown_lens_model_lists_the_models():
    msg = error("distortion: {model: fishye}")
    assert "cameras[0].distortion.model: unknown model 'fishye'; expected one of opencv, fisheye" in msg
    assert "did you mean 'fisheye'?" in msg


@pytest.mark.parametrize(
    ("lens", "message"),
    [
        # 65 px focal length on 160x120: the border sees up to 88 degrees from the axis.
        ("intrinsics: {fx: 65, fy: 65, cx: 79.5, cy: 59.5}", "the view is too wide to render"),
        # theta_d stops increasing at 60 degrees, short of the image corners.
        ("intrinsics: {fx: 60, fy: 60, cx: 79.5, cy: 59.5}", "but this lens reaches only"),
    ],
)
def test_fisheye_wider_than_a_pinhole_render_is_a_located_error(lens: str, message: str):
    k1 = "0" if "65" in lens else "-0.3"
    msg = error(f"{lens}\n    distortion: {{model: fisheye, k1: {k1}}}")
    assert msg.startswith("s.yaml:14:5: cameras[0].distortion: ")
    assert message in msg
    assert "lower fov_y" in msg  # the hint
    # A narrower lens on the same image is fine.
    assert sample(load("intrinsics: {fx: 80, fy: 80, cx: 79.5, cy: 59.5}\n    distortion: {model: fisheye}"), 0)


def test_too_wide_fisheye_drawn_in_a_later_episode_is_found_by_validate():
    lens = "fov_y: {choice: {values: [60, 170], weights: [1, 1]}}\n    distortion: {model: fisheye}"
    sc = load(lens, episodes=40)  # loading alone cannot know: fov_y is drawn per episode
    issues = check_sampling(sc)
    assert len(issues) == 1
    assert issues[0].format().startswith("s.yaml:14:5: cameras[0].distortion: ")
    drawn = []
    for index in range(40):
        try:
            drawn.append(sample(sc, index).cameras[0].K[1, 1])
        except ScenarioError:
            drawn.append(None)
    assert None in drawn and any(d is not None for d in drawn)  # only the 170-degree draws fail
