"""World building: ground variants, ragdoll, joints, convex decomposition, label policy, light."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.scenario.terrain import height_at
from simgen.sensors.camera.model import CameraSpec
from simgen.sensors.camera.pinhole import project_points
from simgen.sensors.render import render
from simgen.sim.terrain import checker_image


def _aabb(client, uid):
    p, cid = client.p, client.id
    lo, hi = (np.array(v) for v in p.getAABB(uid, -1, physicsClientId=cid))
    for j in range(p.getNumJoints(uid, physicsClientId=cid)):
        a, b = p.getAABB(uid, j, physicsClientId=cid)
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    return lo, hi


def _top_down(width=80, height=80, z=6.0, fov=60.0) -> CameraSpec:
    f = (height / 2) / np.tan(np.radians(fov) / 2)
    K = np.array([[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2], [0, 0, 1]])
    pose = np.eye(4)
    pose[:3, :3] = np.diag([1.0, -1.0, -1.0])  # looking down, image x = world x, image y = -world y
    pose[:3, 3] = (0, 0, z)
    return CameraSpec("top", width, height, K, 0.1, 50.0, pose)


def test_noise_heightfield_matches_its_height_grid(client, build):
    w = build(
        """
world:
  ground: {type: heightfield, heightfield: {source: noise, size: [8, 6], height: 1.5, resolution: 33, feature: 2}}
"""
    )
    heights = w.heights
    assert heights.shape == (33, 33)
    assert heights.max() - heights.min() == pytest.approx(1.5)
    pts = [(1.0, 0.5), (-3.0, 1.5), (2.5, -1.2), (0.0, 0.0)]
    hits = client.p.rayTestBatch([[x, y, 5] for x, y in pts], [[x, y, -5] for x, y in pts], physicsClientId=client.id)
    for (x, y), hit in zip(pts, hits, strict=True):
        assert hit[0] == w.ground_uid
        assert hit[3][2] == pytest.approx(height_at(heights, (8, 6), x, y), abs=0.02)


def test_heightfield_from_image_maps_black_to_zero_and_white_to_height(client, build, tmp_path):
    from PIL import Image

    img = np.zeros((16, 16), dtype=np.uint8)
    img[:, 8:] = 255  # right half white: +x side high
    Image.fromarray(img).save(tmp_path / "hill.png")
    import simgen
    from simgen.sim.world import World

    sc = simgen.loads(
        """
name: hf
world: {ground: {type: heightfield, heightfield: {source: image, path: hill.png, size: [4, 4], height: 0.8}}}
cameras: [{width: 8, height: 8, position: [3, 3, 3], look_at: [0, 0, 0]}]
""",
        base_dir=tmp_path,
    )
    w = World(client, simgen.sample(sc, 0))
    hits = client.p.rayTestBatch([[-1.5, 0, 5], [1.5, 0, 5]], [[-1.5, 0, -5], [1.5, 0, -5]], physicsClientId=client.id)
    assert hits[0][3][2] == pytest.approx(0.0, abs=1e-6)
    assert hits[1][3][2] == pytest.approx(0.8, abs=1e-6)
    assert w.ground_uid >= 0


def test_checker_ground_alternates_every_cell(client, build):
    w = build(
        """
world:
  ground: {type: checker, checker: {cell: 1.0, colors: [[0.1, 0.1, 0.1], [0.9, 0.9, 0.9]]}}
  light: {ambient: 1.0, diffuse: 0.0, specular: 0.0}
"""
    )
    cam = _top_down()
    raw = render(client, cam, "tiny", light=w.render_light())
    centres = np.array([[0.5, 0.5, 0], [1.5, 0.5, 0], [0.5, 1.5, 0], [1.5, 1.5, 0], [-0.5, 0.5, 0]])
    uv = np.rint(project_points(cam, centres)).astype(int)
    lum = raw.rgb[uv[:, 1], uv[:, 0]].astype(int).sum(axis=1)
    dark, light = lum[0] < 300, lum[1] < 300
    assert dark != light  # neighbours along x differ
    assert (lum[2] < 300) == light  # neighbours along y differ
    assert (lum[3] < 300) == dark  # diagonal matches
    assert (lum[4] < 300) == light
    assert abs(lum[0] - lum[1]) > 300
    tex = checker_image([[0.1, 0.1, 0.1], [0.9, 0.9, 0.9]])
    assert tex.shape == (64, 64, 3) and tex[0, 0, 0] == 26 and tex[0, 40, 0] == 230


@pytest.mark.parametrize("height", [1.1, 1.8])
def test_ragdoll_is_exactly_its_height_with_feet_on_the_ground(client, build, height):
    w = build(
        f"""
objects:
  - {{name: kid, class: person, type: humanoid, height: {height}, mass: 30, position: [0, 0, 0]}}  # z: feet
"""
    )
    lo, hi = _aabb(client, w.uid_by_name("kid"))
    margin = 0.02  # Bullet pads AABBs by its collision margin on each side
    assert hi[2] - lo[2] == pytest.approx(height, abs=2 * margin + 1e-3)
    assert lo[2] == pytest.approx(0.0, abs=margin + 1e-3)
    assert client.p.getNumJoints(w.uid_by_name("kid"), physicsClientId=client.id) == 9


def test_nudged_ragdoll_falls_limp_or_stiff(client, build):
    body = """
world: {{settle_time: 0}}
objects:
  - {{name: p, class: person, type: humanoid, height: 1.7, mass: 60, position: [0, 0, 0.001], joint_force: {f}}}
events:
  - {{name: nudge, trigger: {{type: at, at: 0.1}}, actions: [{{type: impulse, object: p, impulse: [3, 0, 0]}}]}}
"""
    folded = {}
    for force in (0, 500):
        w = build(body.format(f=force))
        uid = w.uid_by_name("p")
        assert _aabb(client, uid)[1][2] > 1.65  # standing at first
        w.step(720)
        assert _aabb(client, uid)[1][2] < 0.5  # fallen after 3 s
        angles = [client.p.getJointState(uid, j, physicsClientId=client.id)[0] for j in range(9)]
        folded[force] = max(abs(a) for a in angles)
    assert folded[0] > 0.5  # limp: the joints fold
    assert folded[500] < 0.05  # stiff: falls as a rigid mannequin


def test_joint_initial_state_of_articulated_urdf(client, build):
    w = build(
        """
objects:
  - {name: cp, class: cartpole, type: urdf, path: "pybullet_data:cartpole.urdf", fixed_base: true,
     joints: {slider_to_cart: 0.3, cart_to_pole: 0.5}}
"""
    )
    uid = w.uid_by_name("cp")
    states = [client.p.getJointState(uid, j, physicsClientId=client.id)[0] for j in range(2)]
    assert states == pytest.approx([0.3, 0.5])


def test_unknown_joint_name_is_a_user_error(build):
    from simgen.errors import AssetError

    with pytest.raises(AssetError, match="no joint 'slider'.*did you mean 'slider_to_cart'"):
        build(
            """
objects:
  - {name: cp, class: c, type: urdf, path: "pybullet_data:cartpole.urdf", joints: {slider: 0.3}}
"""
        )


@pytest.mark.parametrize(
    ("collision", "falls_through"),
    [("convex_hull", False), pytest.param("vhacd", True, marks=pytest.mark.slow)],  # V-HACD: ~15 s once, cached
)
def test_vhacd_keeps_the_ring_hole_open(client, build, collision, falls_through):
    w = build(
        f"""
world: {{settle_time: 0}}
objects:
  - {{name: ring, class: ring, type: mesh, path: "assets:meshes/torus.obj", scale: 3, mass: 0,
     collision: {collision}, position: [0, 0, 0.5]}}
  - {{name: ball, class: ball, type: sphere, radius: 0.04, position: [0, 0, 0.8]}}
"""
    )
    w.step(240)
    z = w.base_pose(w.iid_by_name("ball"))[0][2]
    # hole radius 0.04 * 3 = 0.12 > ball; the hull's top is at 0.5 + 0.06
    assert (z < 0.3) == falls_through


def test_instance_id_policy_and_metadata_reach_labels(client, build):
    from simgen.labels.instances import instance_map, label_instances

    w = build(
        """
world: {settle_time: 0, gravity: [0, 0, 0]}
objects:
  - {name: wall, class: wall, type: box, size: [0.4, 0.4, 0.4], position: [-1, 0, 0.2], instance_ids: none}
  - {name: leaf, class: leaf, type: box, count: 2, size: [0.3, 0.3, 0.3], instance_ids: shared,
     placement: {region: box, min: [0.4, -1, 0.15], max: [1, 1, 0.15]}}
  - {name: cone, class: cone, type: box, size: [0.3, 0.3, 0.3], position: [0, 0, 0.15],
     metadata: {supplier: acme, defect: false}}
"""
    )
    objs = w.spec.objects
    assert [o.label for o in objs] == [0, 2, 2, 4]
    assert objs[3].metadata == {"supplier": "acme", "defect": False}
    raw = render(client, _top_down(), "tiny")
    inst = instance_map(raw.body_uid, w.instance_of_uid)
    labels = label_instances(inst, objs, 1)
    assert [lab.instance_id for lab in labels] == [2, 4]  # wall unlabeled, both leaves under id 2
    assert labels[0].area > 1.5 * labels[1].area


def test_dusk_renders_darker_than_noon(client, build):
    from simgen.randomize.lighting import apply_light

    means = {}
    for hours in (13, 19.5, 23):
        w = build(
            f"""
world: {{time_of_day: {hours}}}
objects:
  - {{name: b, class: b, type: box, size: [1, 1, 1], position: [0, 0, 0.5], color: [0.8, 0.8, 0.8]}}
"""
        )
        raw = render(client, _top_down(), "tiny", light=w.render_light())
        lit = apply_light(raw.rgb, raw.depth <= 0, w.light, w.spec.scene.sky)
        means[hours] = lit.mean()
    assert means[13] > means[19.5] > means[23]


def test_shipped_heightmap_image_builds_terrain(client, build):
    w = build(
        """
world: {ground: {type: heightfield, heightfield: {source: image, path: "assets:heightmaps/hills.png",
        size: [10, 10], height: 2}}}
"""
    )
    assert w.heights.shape == (65, 65) and w.heights.max() == pytest.approx(2.0)
    # the higher hill's top: image column 0.7 * 64, row 0.65 * 64 from the top -> +y is up in the image
    x, y = (0.7 * 64 / 64 - 0.5) * 10, (0.5 - 0.65 * 64 / 64) * 10
    hit = client.p.rayTest([x, y, 10], [x, y, -10], physicsClientId=client.id)[0]
    assert hit[3][2] == pytest.approx(height_at(w.heights, (10, 10), x, y), abs=0.05)
    assert hit[3][2] > 1.8


def test_objects_placed_on_a_heightfield_rest_on_it_without_penetrating(client, build):
    w = build(
        """
world:
  ground: {type: heightfield, heightfield: {source: noise, size: [10, 10], height: 1.5, resolution: 33, feature: 2}}
objects:
  - {name: crate, class: crate, type: box, size: [0.6, 0.4, 0.3], count: 8, behavior: {type: static},
     placement: {region: surface, support: ground, area: [-4, -4, 4, 4], lift: 0}}
"""
    )
    for o in w.spec.objects:
        uid = w.uid_by_name(o.name)
        gaps = [c[8] for c in client.p.getClosestPoints(uid, w.ground_uid, 2.0, physicsClientId=client.id)]
        assert min(gaps) > -1e-3  # not inside the terrain
        assert min(gaps) < 0.3  # but resting close on it (the highest point under its footprint)
