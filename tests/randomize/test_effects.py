"""Sensor effects against analytic answers; labels untouched; records; bad input located with exit 2."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import simgen
from simgen.cli import main
from simgen.randomize import effects as fx
from simgen.randomize.haze import KOSCHMIEDER, koschmieder_density
from simgen.scenario.sampling import sample
from tests.conftest import SMALL_SCENARIO


def test_fog_on_a_depth_ramp_follows_koschmieder():
    depth = np.tile(np.linspace(0.5, 300.0, 64, dtype=np.float32), (4, 1))
    black = np.zeros((4, 64, 3), np.uint8)
    air = (0.8, 0.6, 0.4)
    visibility = 100.0
    out = fx.apply_haze(black, depth, koschmieder_density(visibility), air)
    expected = np.asarray(air)[None, None, :] * 255 * (1 - np.exp(-KOSCHMIEDER * depth[:, :, None] / visibility))
    assert out.astype(float) == pytest.approx(expected, abs=0.51)
    # at the visibility distance a black object keeps 2 % contrast against the horizon
    assert np.exp(-koschmieder_density(visibility) * visibility) == pytest.approx(0.02, rel=1e-3)


@pytest.mark.parametrize("std", [2.0, 8.0])
def test_gaussian_noise_has_the_configured_std(std):
    img = np.full((240, 320, 3), 128, np.uint8)
    out = fx.gaussian_noise(img, std, np.random.default_rng(0)).astype(float) - 128
    assert out.mean() == pytest.approx(0, abs=0.05)
    # rounding to integers adds 1/12 DN^2 of variance
    assert out.std() == pytest.approx(np.sqrt(std**2 + 1 / 12), rel=0.02)


def test_shot_noise_variance_grows_with_signal():
    rng = np.random.default_rng(1)
    for level in (20, 200):
        img = np.full((200, 200, 3), level, np.uint8)
        out = fx.shot_noise(img, 1000.0, rng).astype(float)
        assert out.std() == pytest.approx(np.sqrt(level * 255 / 1000 + 1 / 12), rel=0.03)


def test_motion_blur_of_a_linear_motion_has_the_analytic_streak_length():
    # a camera-facing plane 2 m away moving 1 m/s along the camera's x axis for 40 ms
    h, w, z, speed, exposure = 60, 200, 2.0, 1.0, 0.04
    K = np.array([[500.0, 0, 99.5], [0, 500.0, 29.5], [0, 0, 1]])
    pose = np.eye(4)
    depth = np.full((h, w), z, np.float32)
    instance = np.ones((h, w), np.int32)
    vel = {1: (np.array([speed, 0, 0]), np.zeros(3), np.array([0.0, 0, z]))}
    motion = fx.pixel_motion(depth, K, pose, instance, vel)
    length = 500.0 * speed / z * exposure  # fx * v / Z * t = 10 px
    assert motion[..., 0] * exposure == pytest.approx(np.full((h, w), length), rel=1e-6)
    assert np.abs(motion[..., 1]).max() < 1e-6
    # a sharp edge becomes a linear ramp exactly `length` pixels wide
    img = np.zeros((h, w, 3), np.uint8)
    img[:, 100:] = 255
    out = fx.motion_blur(img, motion * exposure, samples=64)[30, :, 0].astype(float)
    ramp = np.nonzero((out > 0) & (out < 255))[0]
    assert ramp.max() - ramp.min() + 1 == pytest.approx(length, abs=1)
    x = np.arange(w)
    analytic = np.clip((x - 100 + 0.5 + length / 2) / length, 0, 1) * 255
    assert out == pytest.approx(analytic, abs=6)


def test_static_scene_is_not_blurred():
    img = np.random.default_rng(0).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    assert fx.motion_blur(img, np.zeros((20, 30, 2), np.float32)) is img


def test_depth_noise_grows_with_depth_squared_and_drops_edges():
    rng = np.random.default_rng(2)
    depth = np.full((200, 200), 2.0, np.float32)
    out = fx.depth_noise(depth, 0.002, 0.0, 0, 0.05, rng)
    assert out.std() == pytest.approx(0.002 * 4, rel=0.03)
    step = np.full((20, 40), 1.0, np.float32)
    step[:, 20:] = 3.0
    out = fx.depth_noise(step, 0.0, 0.0, 2, 0.05, rng)
    assert (out[:, 18:22] == 0).all() and (out[:, :18] == 1.0).all() and (out[:, 22:] == 3.0).all()
    quant = fx.depth_noise(np.array([[1.0, 1.0004]], np.float32), 0.0, 0.001, 0, 1.0, rng)
    assert quant[0, 0] == quant[0, 1]  # one disparity step at 1 m is 1 mm


def test_exposure_gamma_vignette_and_white_balance():
    img = np.full((9, 9, 3), 100, np.uint8)
    assert (fx.exposure(img, 1.0) == 200).all() and (fx.exposure(img, 2.0) == 255).all()
    assert fx.gamma(img, 2.0)[0, 0, 0] == round(255 * (100 / 255) ** 0.5)
    v = fx.vignette(img, 0.5)
    assert v[4, 4, 0] == 100 and v[0, 0, 0] == 50
    warm = fx.white_balance(img, 3000)[0, 0]
    assert warm[0] > warm[2]


def test_low_light_darkens_and_records_visibility():
    img = np.full((50, 50, 3), 200, np.uint8)
    out = fx.low_light(img, 0.05, 1.0, 1.0, np.random.default_rng(0))
    assert out.mean() == pytest.approx(10, abs=0.5)


def _with_effects(write_scenario, effects: list[str]):
    text = SMALL_SCENARIO.replace("episodes: 2", "episodes: 1").replace("frames: 2", "frames: 1")
    if effects:
        text += "effects:\n" + "".join(f"  - {e}\n" for e in effects)
    return simgen.load(write_scenario(text, f"e{len(effects)}.yaml"))


PHOTOMETRIC = [
    "{type: exposure, ev: 0.5}",
    "{type: gamma}",
    "{type: white_balance}",
    "{type: vignette}",
    "{type: chromatic_aberration}",
    "{type: gaussian_noise}",
    "{type: shot_noise}",
    "{type: salt_pepper, amount: 0.01}",
    "{type: defocus, radius: 1.5}",
    "{type: motion_blur}",
    "{type: rain}",
    "{type: glare}",
    "{type: lens_dirt}",
    "{type: jpeg}",
]


def test_labels_are_byte_identical_with_and_without_photometric_effects(write_scenario):
    from simgen.batch.episode import run_episode
    from simgen.export.encode import label_json
    from simgen.sim.client import BulletClient

    plain = _with_effects(write_scenario, [])
    noisy = _with_effects(write_scenario, PHOTOMETRIC)
    with BulletClient() as client:
        a = list(run_episode(client, sample(plain, 0), "tiny"))
        spec = sample(noisy, 0)
        b = list(run_episode(client, spec, "tiny"))
    assert len(a) == len(b) == 1
    ja = json.dumps([label_json(lab) for lab in a[0].labels], sort_keys=True).encode()
    jb = json.dumps([label_json(lab) for lab in b[0].labels], sort_keys=True).encode()
    assert ja == jb and a[0].labels
    assert (a[0].instance == b[0].instance).all() and (a[0].depth == b[0].depth).all()
    assert (a[0].rgb != b[0].rgb).mean() > 0.5  # the pixels did change
    # every effect's draw is recorded per camera and frame
    assert set(spec.effect_log) == {e.split(",")[0].split(": ")[1].strip("}") for e in PHOTOMETRIC}
    assert spec.effect_log["exposure"]["cam"] == [{"ev": 0.5}]
    assert "effects" in spec.to_json()


def test_fog_and_low_light_set_effect_visibility_without_dropping_labels(write_scenario):
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient

    foggy = _with_effects(write_scenario, ["{type: fog, visibility: 1.0}", "{type: low_light, gain: 0.05}"])
    plain = _with_effects(write_scenario, [])
    with BulletClient() as client:
        f = list(run_episode(client, sample(foggy, 0), "tiny"))[0]
        g = list(run_episode(client, sample(plain, 0), "tiny"))[0]
    assert [lab.instance_id for lab in f.labels] == [lab.instance_id for lab in g.labels]
    for lab in f.labels:
        d = float(f.depth[f.instance == lab.instance_id].mean())
        assert 0 <= lab.effect_visibility < np.exp(-KOSCHMIEDER * d * 0.8)
    assert all(lab.effect_visibility is None for lab in g.labels)


def test_frame_and_episode_scope_and_probability(write_scenario):
    sc = _with_effects(
        write_scenario,
        ["{type: exposure, scope: episode}", "{type: gaussian_noise, probability: 0.0}", "{type: jpeg}"],
    )
    spec = sample(sc, 0)
    stack = fx.EffectStack(spec)
    entries = dict(spec.effects)
    e1, _ = stack.draw("exposure", entries["exposure"], "cam", 0)
    e2, _ = stack.draw("exposure", entries["exposure"], "cam", 3)
    assert e1 == e2 and spec.effect_log["exposure"]["cam"] == e1
    assert stack.draw("gaussian_noise", entries["gaussian_noise"], "cam", 0)[0] is None
    q0, q1 = stack.draw("jpeg", entries["jpeg"], "cam", 0)[0], stack.draw("jpeg", entries["jpeg"], "cam", 1)[0]
    assert spec.effect_log["jpeg"]["cam"] == [q0, q1]
    # the same frame drawn again (a regenerated episode) gives the same values
    assert fx.EffectStack(spec).draw("jpeg", entries["jpeg"], "cam", 1)[0] == q1


BAD = """\
name: bad
classes: [box]
objects: [{name: b, class: box, type: box, size: [1, 1, 1]}]
cameras: [{name: cam, width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]
randomize:
  - {type: colour, hue: 10}
  - {type: color, probability: 1.5}
effects:
  - {type: gausian_noise}
  - {type: exposure, ev: {uniform: [2, 1]}}
"""

BAD_REFERENCES = """\
name: bad
classes: [box]
world: {ground: {type: checker}}
objects: [{name: b, class: box, type: box, size: [1, 1, 1]}]
cameras: [{name: cam, width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]
randomize:
  - {type: texture, images: [../outside.png]}
  - {type: texture, images: [/etc/hosts.png], generators: [noize]}
  - {type: distractors, class: clutter}
  - {type: texture, target: ground}
effects:
  - {type: fog, cameras: [front]}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BAD,
            [
                ":6:",
                "randomize[0].type: unknown type 'colour'; expected one of color, texture,",
                "(did you mean 'color'?)",
                ":7:",
                "randomize[1].probability: must be <= 1.0, got 1.5",
                ":9:",
                "effects[0].type: unknown type 'gausian_noise'",
                "(did you mean 'gaussian_noise'?)",
                ":10:",
                "effects[1].ev: uniform low 2 is greater than high 1",
            ],
        ),
        (
            BAD_REFERENCES,
            [
                ":7:",
                "randomize[0].images[0]: '..' in asset path '../outside.png' is not allowed",
                ":8:",
                "randomize[1].images[0]: absolute path '/etc/hosts.png' is not allowed",
                "randomize[1].generators[0]: unknown texture generator 'noize'",
                "(did you mean 'noise'?)",
                ":9:",
                "randomize[2].class: class 'clutter' is not in the scenario's classes list",
                ":10:",
                "randomize[3].target: a ground texture needs world.ground.type: plane, not 'checker'",
                ":12:",
                "effects[0].cameras[0]: no camera named 'front'",
            ],
        ),
    ],
)
def test_bad_randomize_input_is_located_with_exit_2(tmp_path, capsys, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for line in expected:
        assert line in err, (line, err)
    out = tmp_path / "out"
    assert main(["render", str(path), "--out", str(out)]) == 2
    assert not out.exists()  # nothing half-written


def test_render_single_episode_regenerates_it(small_scenario_path, tmp_path):
    text = (
        small_scenario_path.read_text()
        + "effects:\n  - {type: gaussian_noise}\nrandomize:\n  - {type: color, hue: {uniform: [0, 360]}}\n"
    )
    small_scenario_path.write_text(text)
    full, one = tmp_path / "full", tmp_path / "one"
    base = [str(small_scenario_path), "--renderer", "tiny", "--frames", "1", "--no-progress", "--formats", "raw"]
    assert main(["render", *base, "--out", str(full)]) == 0
    assert main(["render", *base, "--out", str(one), "--episode", "1"]) == 0
    mf, mo = (json.loads((d / "manifest.json").read_text()) for d in (full, one))
    assert [e["index"] for e in mo["episodes"]] == [1]
    assert mo["episodes"][0] == mf["episodes"][1]
    stem = "e000001_f000000_cam"
    for name in ("rgb.png", "labels.json"):
        assert (one / "raw" / "val" / stem / name).read_bytes() == (full / "raw" / "val" / stem / name).read_bytes()
    assert main(["render", *base, "--out", str(tmp_path / "x"), "--episode", "9"]) == 2


def test_preview_draws_sheet(small_scenario_path, tmp_path, capsys):
    text = small_scenario_path.read_text() + "randomize:\n  - {type: color, hue: {uniform: [0, 360]}}\n"
    small_scenario_path.write_text(text)
    out = tmp_path / "sheet.png"
    assert main(["preview", str(small_scenario_path), "-o", str(out), "--draws", "3", "--renderer", "tiny"]) == 0
    assert "3 frames" in capsys.readouterr().out
    from simgen.batch.preview import draw_frames

    frames = draw_frames(simgen.load(small_scenario_path), draws=2, renderer="tiny")
    assert [f.episode for f in frames] == [0, 1]
    # same objects and poses, different draws
    assert [lab.object_name for lab in frames[0].labels] == [lab.object_name for lab in frames[1].labels]
    assert (frames[0].rgb != frames[1].rgb).any()
    assert dataclasses.is_dataclass(frames[0])


def test_lidar_noise_perturbs_ranges_and_drops_points():
    from simgen.frame import PointCloud

    rng = np.random.default_rng(3)
    n = 20000
    az = rng.uniform(-np.pi, np.pi, n)
    xyz = np.stack([10 * np.cos(az), 10 * np.sin(az), np.zeros(n)], axis=1)
    cloud = PointCloud(
        np.concatenate([xyz, np.ones((n, 1))], axis=1).astype(np.float32), np.arange(n, dtype=np.int32), np.eye(4)
    )

    class F:
        lidar = cloud

    ctx = fx.EffectContext(frame=F(), depth=np.zeros((1, 1)), sky=np.zeros((1, 1), bool), rng=rng, layout=rng)
    fx.EFFECTS["lidar_noise"](ctx, {"range_std": 0.05, "dropout": 0.1, "sectors": 2, "sector_width": 18.0})
    out = ctx.frame.lidar
    assert out is not cloud and len(cloud.points) == n  # the shared sweep is not changed in place
    kept = len(out.points) / n
    assert 0.9 * 0.8 - 0.03 < kept < 0.9 * 0.9 + 0.03  # random loss plus two lost 18-degree sectors
    r = np.linalg.norm(out.points[:, :3], axis=1)
    assert r.std() == pytest.approx(0.05, rel=0.05)
    assert (out.instance == out.instance).all() and len(out.instance) == len(out.points)


def test_generic_texture_generators_tile_seamlessly():
    from simgen.materials.material import Texture
    from simgen.materials.textures import texture_image

    for kind in ("stripes", "gradient", "perlin", "dots"):
        img = texture_image(Texture.make(kind, seed=1, size=128, colors=[[0, 0, 0], [1, 1, 1]])).astype(int)
        # the jump across the wrap-around seam is no larger than the largest jump inside the tile
        for axis in (0, 1):
            seam = np.abs(np.take(img, 0, axis) - np.take(img, -1, axis)).mean()
            inner = np.abs(np.diff(img, axis=axis)).mean(axis=1 - axis).mean(axis=-1).max()
            assert seam <= inner + 1, kind
        assert img.std() > 10, kind


def test_randomized_run_is_byte_identical_for_any_worker_count(small_scenario_path, tmp_path):
    text = small_scenario_path.read_text() + (
        "randomize:\n  - {type: texture, target: ground, generators: [perlin]}\n"
        "  - {type: distractors, count: 2}\n"
        "effects:\n  - {type: gaussian_noise}\n  - {type: lens_dirt}\n"
    )
    small_scenario_path.write_text(text)
    sc = simgen.load(small_scenario_path)
    runs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        simgen.render(sc, out, episodes=2, frames=1, workers=workers, renderer="tiny", formats=["raw"], progress=False)
        files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "raw").rglob("*")) if p.is_file()}
        manifest = json.loads((out / "manifest.json").read_text())
        runs.append((files, manifest["episodes"]))
    assert runs[0] == runs[1]
    assert runs[0][1][0]["effects"]["lens_dirt"]["cam"]  # episode-scope draw recorded
