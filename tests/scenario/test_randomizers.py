"""Pre-build randomizers: registry, determinism per entry, declared distributions, spec changes."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pytest
import scipy.stats

import simgen
from simgen.randomize.registry import EFFECTS, load_builtin
from simgen.scenario.draws import Draws
from simgen.scenario.randomize_models import EFFECT_TYPES, RANDOMIZER_TYPES, EffectModel, RandomizerModel
from simgen.scenario.randomizers import RANDOMIZERS, kelvin_rgb
from simgen.scenario.sampling import sample
from tests.conftest import SMALL_SCENARIO

ENTRIES = {
    "color": "{type: color, hue: {uniform: [0, 360]}, value: {uniform: [0.3, 1]}}",
    "texture": "{type: texture, generators: [noise, stripes, perlin]}",
    "background": "{type: background, walls: {integer: [1, 4]}}",
    "distractors": "{type: distractors, count: {integer: [1, 5]}, speed: {uniform: [0, 2]}}",
    "camera": "{type: camera, position: [{uniform: [-0.1, 0.1]}, 0, 0], focal: {uniform: [0.9, 1.1]}, k1: 0.01}",
    "light": "{type: light, azimuth: {uniform: [0, 360]}, temperature: {uniform: [3000, 8000]}, shadow: 0.5}",
    "physics": "{type: physics, mass_scale: {uniform: [0.5, 2]}, velocity: [{uniform: [-1, 1]}, 0, 0],"
    " gravity_tilt: 3}",
}


def _scenario(write_scenario, entries: list[str], extra: str = ""):
    text = SMALL_SCENARIO + "randomize:\n" + "".join(f"  - {e}\n" for e in entries) + extra
    return simgen.load(write_scenario(text))


def test_registries_match_the_scenario_language():
    load_builtin()
    assert set(RANDOMIZERS) == set(RANDOMIZER_TYPES)
    assert set(EFFECTS) == set(EFFECT_TYPES)
    union = typing.get_args(typing.get_args(RandomizerModel)[0])
    assert {m.model_fields["type"].annotation.__args__[0] for m in union} == set(RANDOMIZER_TYPES)
    union = typing.get_args(typing.get_args(EffectModel)[0])
    assert {m.model_fields["type"].annotation.__args__[0] for m in union} == set(EFFECT_TYPES)


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_each_randomizer_is_deterministic_and_independent_of_other_entries(write_scenario, kind):
    alone = _scenario(write_scenario, [ENTRIES[kind]])
    a, b = sample(alone, 1), sample(alone, 1)
    assert a.randomized == b.randomized and a.to_json() == b.to_json()
    assert a.randomized[kind], "the randomizer recorded its draws"
    # another entry inserted before it (and a different one after) leaves its draws alone
    others = [ENTRIES[k] for k in sorted(ENTRIES) if k != kind]
    crowded = _scenario(write_scenario, [others[0], ENTRIES[kind], others[1]])
    assert sample(crowded, 1).randomized[kind] == a.randomized[kind]
    # and another episode draws differently
    assert sample(alone, 0).randomized[kind] != a.randomized[kind]


def test_draws_follow_the_declared_distributions(write_scenario):
    sc = _scenario(
        write_scenario,
        [
            "{type: color, hue: {uniform: [20, 200]}}",
            "{type: light, intensity: {normal: {mean: 1.0, std: 0.1, min: 0, max: 10}}}",
        ],
    )
    hues, intensities = [], []
    for i in range(150):
        spec = sample(sc, i, episodes=150)
        hues += [o["hue"] for o in spec.randomized["color"]["objects"].values()]
        intensities.append(spec.scene.light["intensity"])
        assert spec.scene.light["intensity"] == spec.randomized["light"]["episode"]["intensity"]
    assert len(hues) >= 300
    assert scipy.stats.kstest(hues, scipy.stats.uniform(20, 180).cdf).pvalue > 0.001
    assert scipy.stats.kstest(intensities, scipy.stats.norm(1.0, 0.1).cdf).pvalue > 0.001
    # the KS test can fail: the same values against a shifted distribution are rejected
    assert scipy.stats.kstest(hues, scipy.stats.uniform(40, 180).cdf).pvalue < 1e-6


def test_probability_gates_each_object_independently(write_scenario):
    sc = _scenario(write_scenario, ["{type: color, probability: 0.3, hue: 120}"])
    applied = total = 0
    for i in range(100):
        spec = sample(sc, i, episodes=100)
        applied += len(spec.randomized["color"]["objects"])
        total += len(spec.objects)
    assert 0.2 < applied / total < 0.4


def test_color_filter_and_hsv(write_scenario):
    sc = _scenario(write_scenario, ["{type: color, filter: {classes: [ball]}, hue: 0, saturation: 1, value: 1}"])
    spec = sample(sc, 0)
    by = {o.name: o for o in spec.objects}
    assert by["ball_0"].color == (1.0, 0.0, 0.0, 1.0)
    assert by["can_0"].color == pytest.approx((0.2, 0.8, 0.3, 1.0))
    assert list(spec.randomized["color"]["objects"]) == ["ball_0"]


def test_distractors_are_objects_labelled_or_not(write_scenario):
    sc = _scenario(write_scenario, ["{type: distractors, count: 3, shapes: [box], textured: false}"])
    spec = sample(sc, 0)
    extra = [o for o in spec.objects if o.source == "distractors"]
    assert len(extra) == 3 and all(o.label == 0 for o in extra)
    assert [o.instance_id for o in spec.objects] == list(range(1, len(spec.objects) + 1))
    text = SMALL_SCENARIO.replace("classes: [crate, ball, can]", "classes: [crate, ball, can, clutter]")
    sc = simgen.load(write_scenario(text + "randomize:\n  - {type: distractors, count: 2, class: clutter}\n"))
    extra = [o for o in sample(sc, 0).objects if o.source == "distractors"]
    assert all(o.label == o.instance_id and o.category_id == 4 for o in extra)


def test_camera_jitter_moves_pose_and_intrinsics(write_scenario):
    plain = sample(simgen.load(write_scenario(SMALL_SCENARIO)), 0)
    sc = _scenario(
        write_scenario,
        ["{type: camera, position: [0.1, 0, 0], focal: 1.2, principal_point: [3, -2], k1: 0.05}"],
    )
    cam, ref = sample(sc, 0).cameras[0], plain.cameras[0]
    assert cam.world_from_camera[:3, 3] == pytest.approx(ref.world_from_camera[:3, 3] + [0.1, 0, 0])
    assert cam.world_from_camera[:3, :3] == pytest.approx(ref.world_from_camera[:3, :3])
    assert cam.K[0, 0] == pytest.approx(1.2 * ref.K[0, 0]) and cam.K[0, 2] == pytest.approx(ref.K[0, 2] + 3)
    assert cam.distortion is not None and cam.distortion[0] == pytest.approx(0.05)


def test_camera_orbit_looks_at_its_target(write_scenario):
    sc = _scenario(write_scenario, ["{type: camera, azimuth: 90, elevation: 30, distance: 2, target: [0, 0, 0.1]}"])
    pose = sample(sc, 0).cameras[0].world_from_camera
    pos = pose[:3, 3]
    assert pos == pytest.approx([0, 2 * np.cos(np.radians(30)), 0.1 + 2 * np.sin(np.radians(30))], abs=1e-9)
    forward = pose[:3, 2]
    assert forward == pytest.approx((np.array([0, 0, 0.1]) - pos) / 2, abs=1e-9)
    assert pose[:3, 0][2] == pytest.approx(0, abs=1e-9)  # image x axis stays horizontal


def test_light_and_physics_change_the_spec(write_scenario):
    sc = _scenario(
        write_scenario,
        [
            "{type: light, azimuth: 0, elevation: 90, temperature: 3000, ambient: 0.2, shadow: 1}",
            "{type: physics, friction: 0.9, velocity: [1, 0, 0], gravity_tilt: 10}",
        ],
    )
    spec = sample(sc, 0)
    lt = spec.scene.light
    assert lt["direction"] == pytest.approx((0, 0, 1), abs=1e-9) and lt["shadow"] is True
    assert lt["color"] == kelvin_rgb(3000) and lt["color"][0] == 1.0 and lt["color"][2] < 0.5
    assert all(o.friction == 0.9 and o.velocity == (1.0, 0.0, 0.0) for o in spec.objects)
    g = np.asarray(spec.world.gravity)
    assert np.linalg.norm(g) == pytest.approx(9.81)
    assert np.degrees(np.arccos(-g[2] / 9.81)) == pytest.approx(10)


def test_kelvin_colours_are_ordered():
    warm, day, cold = kelvin_rgb(2500), kelvin_rgb(6600), kelvin_rgb(12000)
    assert warm[2] < day[2] and cold[0] < day[0]
    assert max(day) == 1.0 and min(day) > 0.95


def test_draws_are_keyed_by_field():
    d = Draws(5, "x")
    a = d.rng("hue").random()
    assert Draws(5, "x").rng("hue").random() == a
    assert Draws(5, "x").rng("value").random() != a
    assert Draws(5, "y").rng("hue").random() != a


def test_textured_scene_builds_and_labels(write_scenario):
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient

    sc = _scenario(
        write_scenario,
        [
            "{type: texture, target: objects}",
            "{type: texture, target: ground, generators: [perlin], scale: 0.5}",
            "{type: background, walls: 4, distance: 2}",
            "{type: texture, target: walls, generators: [stripes]}",
            "{type: distractors, count: 2, shapes: [sphere, urdf]}",
        ],
    )
    spec = sample(sc, 0)
    assert spec.ground_material is not None and spec.backdrop["wall_material"].texture.kind == "stripes"
    with BulletClient() as client:
        frames = list(run_episode(client, dataclasses.replace(spec, frames=1), "tiny"))
    f = frames[0]
    assert f.labels and all(lab.instance_id > 0 for lab in f.labels)
    names = {lab.object_name for lab in f.labels}
    assert not any(n.startswith("distractors") for n in names)  # unlabelled distractors
    # the textured ground is not flat: many distinct colours where nothing but ground is seen
    ground = f.rgb[(f.instance == 0) & (f.depth > 0)]
    assert len(np.unique(ground.reshape(-1, 3), axis=0)) > 50


def test_randomized_textures_keep_auto_on_the_memory_flat_renderer(write_scenario, capsys):
    from simgen.scenario.randomizers import texture_safe_renderer

    textured = _scenario(write_scenario, ["{type: texture}"])
    plain = _scenario(write_scenario, ["{type: color, hue: 10}"])
    assert texture_safe_renderer(plain, "auto") == "auto" and texture_safe_renderer(plain, "egl") == "egl"
    assert texture_safe_renderer(textured, "tiny") == "tiny"
    assert texture_safe_renderer(textured, "egl") == "egl"  # draws each episode's textures (tests/sim)
    assert capsys.readouterr().err == ""
    assert texture_safe_renderer(textured, "auto") == "tiny"
    assert "TinyRenderer" in capsys.readouterr().err
