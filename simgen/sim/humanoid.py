"""A person-shaped ragdoll built from primitives, scaled to a height (child or adult).

Why not pybullet_data's ``humanoid/humanoid.urdf``: it is the DeepMimic character, y-up, with
spherical joints that collapse without its motion controller and an extent that depends on
its T-pose, so scaling it to a stated height is guesswork. This body is z-up, stands with its
feet at the bottom of its bounding box, and is exactly ``height`` tall.

Frame: the base (torso) frame sits at the centre of the bounding box (``height / 2`` above the
feet); x is forward, y to the person's left. Joints are revolute about y (pitch) so the body
folds forward/backward; ``joint_force`` motors hold the standing pose (0 = limp ragdoll).
"""

from __future__ import annotations

from typing import Any

from simgen.scenario.world_models import HUMANOID_JOINTS

# (name, parent (0 = base, k = k-th link), joint position in parent frame, shape, shape offset,
#  size (capsule: radius, full length tip to tip; sphere: radius), mass share). Units: height = 1.
_TORSO: dict[str, Any] = {"half": (0.06, 0.1, 0.17), "offset": (0.0, 0.0, 0.175), "mass": 0.5}
_LINKS: list[tuple[str, int, tuple[float, float, float], str, float, tuple[float, ...], float]] = [
    ("neck", 0, (0.0, 0.0, 0.345), "sphere", 0.09, (0.065,), 0.08),
    ("right_hip", 0, (0.0, -0.055, 0.0), "capsule", -0.125, (0.045, 0.25), 0.1),
    ("right_knee", 2, (0.0, 0.0, -0.25), "capsule", -0.125, (0.045, 0.25), 0.05),
    ("left_hip", 0, (0.0, 0.055, 0.0), "capsule", -0.125, (0.045, 0.25), 0.1),
    ("left_knee", 4, (0.0, 0.0, -0.25), "capsule", -0.125, (0.045, 0.25), 0.05),
    ("right_shoulder", 0, (0.0, -0.14, 0.32), "capsule", -0.09, (0.035, 0.18), 0.03),
    ("right_elbow", 6, (0.0, 0.0, -0.18), "capsule", -0.09, (0.035, 0.18), 0.03),
    ("left_shoulder", 0, (0.0, 0.14, 0.32), "capsule", -0.09, (0.035, 0.18), 0.03),
    ("left_elbow", 8, (0.0, 0.0, -0.18), "capsule", -0.09, (0.035, 0.18), 0.03),
]
JOINT_NAMES = tuple(link[0] for link in _LINKS)
assert JOINT_NAMES == HUMANOID_JOINTS, "keep the scenario's joint names in step with the body table"


# Which clothing colour each part wears (torso = base): head and forearms show skin.
_WEARS = {"torso": "shirt_color", "neck": "skin_color", "shoulder": "shirt_color", "elbow": "skin_color"}


def child_head_scale(height: float) -> float:
    """Head size relative to an adult's proportions: children's heads are larger for their height."""
    return 1.0 + 0.35 * min(1.0, max(0.0, (1.6 - height) / 0.8))


def build_humanoid(
    client: Any,
    height: float,
    mass: float,
    rgba: list[float],
    position: Any,
    orientation: Any,
    build: float = 1.0,
    colors: dict[str, Any] | None = None,
) -> int:
    """Create the ragdoll; returns its body uid. ``mass`` is the total (kg), 0 for a static body.

    ``build`` scales girth (torso width and depth, limb radii, hip and shoulder spacing) and
    leaves the height exact; ``colors`` (``skin_color``, ``shirt_color``, ``trousers_color``
    RGBA) dress the parts, else every part takes ``rgba``. Short bodies get a child's larger head.
    """
    p, cid = client.p, client.id
    h = height
    colors = colors or {}
    torso_offset = [c * h for c in _TORSO["offset"]]
    tx, ty, tz = _TORSO["half"]
    torso_rgba = _part_rgba("torso", colors, rgba)
    base_col, base_vis = _shapes(client, h, "box", (tx * build, ty * build, tz), torso_offset, torso_rgba)
    cols, viss, masses, positions, inertial, parents = [], [], [], [], [], []
    head = child_head_scale(h)
    for name, parent, joint_pos, kind, off, size, share in _LINKS:
        offset = (0.0, 0.0, off * h)
        if kind == "sphere":  # a child's larger head, lowered so the top stays at exactly `height`
            r = min(size[0] * head, 0.1)
            offset = (0.0, 0.0, (off + size[0] - r) * h)
            size = (r,)
        else:
            size = (size[0] * build, size[1])
        col, vis = _shapes(client, h, kind, size, offset, _part_rgba(name, colors, rgba))
        cols.append(col)
        viss.append(vis)
        masses.append(share * mass)
        positions.append([joint_pos[0] * h, joint_pos[1] * h * (build if parent == 0 else 1.0), joint_pos[2] * h])
        inertial.append(offset)
        parents.append(parent)
    n = len(_LINKS)
    uid = p.createMultiBody(
        baseMass=_TORSO["mass"] * mass,
        baseCollisionShapeIndex=base_col,
        baseVisualShapeIndex=base_vis,
        basePosition=position,
        baseOrientation=orientation,
        baseInertialFramePosition=torso_offset,
        linkMasses=masses,
        linkCollisionShapeIndices=cols,
        linkVisualShapeIndices=viss,
        linkPositions=positions,
        linkOrientations=[[0, 0, 0, 1]] * n,
        linkInertialFramePositions=inertial,
        linkInertialFrameOrientations=[[0, 0, 0, 1]] * n,
        linkParentIndices=parents,
        linkJointTypes=[p.JOINT_REVOLUTE] * n,
        linkJointAxis=[[0, 1, 0]] * n,
        physicsClientId=cid,
    )
    return uid


def _part_rgba(name: str, colors: dict[str, Any], rgba: list[float]) -> list[float]:
    """The colour a part wears: skin, shirt or trousers from ``colors``, else ``rgba``."""
    key = next((v for k, v in _WEARS.items() if name.endswith(k)), "trousers_color")
    return list(colors.get(key, rgba))


def _shapes(
    client: Any, h: float, kind: str, size: tuple[float, ...], offset: Any, rgba: list[float]
) -> tuple[int, int]:
    """Collision and visual shape of one part, offset in the link frame.

    ``size`` in units of the height ``h``: box half extents, sphere radius, or capsule radius and
    full length tip to tip.
    """
    p, cid = client.p, client.id
    if kind == "box":
        half = [s * h for s in size]
        col = p.createCollisionShape(
            p.GEOM_BOX, halfExtents=half, collisionFramePosition=offset, physicsClientId=cid
        )
        vis = p.createVisualShape(
            p.GEOM_BOX, halfExtents=half, rgbaColor=rgba, visualFramePosition=offset, physicsClientId=cid
        )
    elif kind == "sphere":
        r = size[0] * h
        col = p.createCollisionShape(p.GEOM_SPHERE, radius=r, collisionFramePosition=offset, physicsClientId=cid)
        vis = p.createVisualShape(
            p.GEOM_SPHERE, radius=r, rgbaColor=rgba, visualFramePosition=offset, physicsClientId=cid
        )
    else:
        r, full = size[0] * h, size[1] * h
        length = full - 2 * r
        col = p.createCollisionShape(
            p.GEOM_CAPSULE, radius=r, height=length, collisionFramePosition=offset, physicsClientId=cid
        )
        vis = p.createVisualShape(
            p.GEOM_CAPSULE,
            radius=r,
            length=length,
            rgbaColor=rgba,
            visualFramePosition=offset,
            physicsClientId=cid,
        )
    return col, vis
