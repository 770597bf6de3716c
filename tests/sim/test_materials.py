from pathlib import Path

import numpy as np
import trimesh

from simgen.materials import Material, Texture
from simgen.sim.client import BulletClient
from simgen.sim.materials import MaterialApplier, uv_mesh_file

CHECKER = Texture.make("checker", size=64, cells=4, colors=[[0, 0, 0], [1, 1, 1]])


def _render(material: Material | None, *, mesh: bool) -> np.ndarray:
    with BulletClient() as c:
        p = c.p
        if mesh:
            box = trimesh.creation.box([1, 1, 1])
            path = uv_mesh_file(box.vertices, box.faces, 1.0)
            vis = p.createVisualShape(p.GEOM_MESH, fileName=path, physicsClientId=c.id)
        else:
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=[0.5, 0.5, 0.5], physicsClientId=c.id)
        uid = p.createMultiBody(0, -1, vis, physicsClientId=c.id)
        if material is not None:
            MaterialApplier(c).apply(uid, -1, material)
        view = p.computeViewMatrix([0, 0, 3], [0, 0, 0], [0, 1, 0], physicsClientId=c.id)
        proj = p.computeProjectionMatrixFOV(40, 1, 0.1, 10, physicsClientId=c.id)
        _, _, rgb, _, _ = p.getCameraImage(64, 64, view, proj, renderer=p.ER_TINY_RENDERER, physicsClientId=c.id)
        return np.asarray(rgb, np.uint8).reshape(64, 64, 4)[:, :, :3]


FACE = (slice(24, 40), slice(24, 40))


def test_texture_reaches_a_uv_mapped_box_face():
    plain = _render(Material(base_color=(1, 1, 1, 1)), mesh=True)
    checker = _render(Material(base_color=(1, 1, 1, 1), texture=CHECKER), mesh=True)
    assert plain[FACE].std() < 5  # a flat colour
    assert checker[FACE].std() > 40  # the checker pattern shows


def test_primitive_shapes_have_no_usable_uvs():
    # why textured surfaces are built as UV-mapped meshes: a primitive shows one texel
    checker = _render(Material(base_color=(1, 1, 1, 1), texture=CHECKER), mesh=False)
    assert checker[FACE].std() < 5


def test_base_color_tints():
    red = _render(Material(base_color=(1, 0, 0, 1)), mesh=True)
    centre = red[32, 32].astype(int)
    assert centre[0] > 100 and centre[1] < 30 and centre[2] < 30


def test_world_builds_textured_primitives_from_spec_materials() -> None:
    import dataclasses

    import simgen
    from simgen.sim.world import World
    from tests.sim.test_world import ALL_TYPES

    spec = simgen.sample(simgen.loads(ALL_TYPES), 0)
    mat = Material(base_color=(1, 1, 1, 1), texture=Texture.make("noise", size=32, seed=5))
    objects = [dataclasses.replace(o, material=mat) for o in spec.objects]
    spec = dataclasses.replace(spec, objects=objects)
    with BulletClient() as client:
        world = World(client, spec)
        p = client.p
        for iid in range(1, 5):  # the four primitives are UV-mapped meshes carrying the texture
            (shape,) = p.getVisualShapeData(world.uid_of[iid], physicsClientId=client.id)
            assert shape[2] == p.GEOM_MESH, iid
            assert shape[7] == (1.0, 1.0, 1.0, 1.0)  # rgba from the material
        # spec-level materials are recorded: the manifest serialises them with the instance
        assert dataclasses.asdict(spec.objects[0])["material"]["texture"]["kind"] == "noise"


def _episode_image(client: BulletClient, scenario: object, index: int, renderer: str) -> object:
    """The quickstart's camera image of episode ``index`` once settled, on ``client``."""
    from simgen.scenario.sampling import sample
    from simgen.sensors.render import attach, render
    from simgen.sim.world import World

    spec = sample(scenario, index, episodes=8, seed=7)
    attach(client, renderer)
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    return render(client, world.camera(spec.cameras[0]), renderer, world.render_light())


def test_egl_draws_each_episodes_own_textures_from_the_second_episode_on():
    """Two episodes of randomized textures in one EGL process, each against TinyRenderer's image of it.

    EGL and TinyRenderer light differently (a gain), so texture content is compared: pixel
    correlation of the grey levels and the chromaticity of the mean colour where both see a body.
    """
    import pytest

    import simgen
    from simgen.errors import SimgenError
    from simgen.sensors.render import attach

    with BulletClient() as probe:
        try:
            attach(probe, "egl")
        except SimgenError:
            pytest.skip("no EGL on this machine (apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri)")
    scenario = simgen.load(Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml")
    with BulletClient() as egl, BulletClient() as tiny:
        for index in (0, 1, 2):
            a, b = _episode_image(egl, scenario, index, "egl"), _episode_image(tiny, scenario, index, "tiny")
            seen = (a.body_uid == b.body_uid) & (a.body_uid >= 0)
            assert seen.mean() > 0.5
            ga, gb = a.rgb[seen].astype(float), b.rgb[seen].astype(float)
            corr = np.corrcoef(ga.mean(axis=1), gb.mean(axis=1))[0, 1]
            assert corr > 0.85, f"episode {index}: EGL image does not follow the episode's textures (r={corr:.2f})"
            chroma_a, chroma_b = ga.mean(axis=0) / ga.mean(), gb.mean(axis=0) / gb.mean()
            np.testing.assert_allclose(chroma_a, chroma_b, atol=0.08)
