"""Ground contact: actors that walk or drive rest on the support below them.

A *grounded* actor is a humanoid or an asset whose moving parts are wheels or legs (vehicles,
bicycles, quadrupeds). Its z anywhere in a scenario (``position``, waypoints, a placement) is
the height of its feet or wheels above the support under it, 0 by default; the world turns that
into a pose by casting rays down onto the supports: the ground (plane or heightfield) and static
bodies that are not actors themselves (roads, sidewalks, floors, tables).

:func:`sinking` measures the other side of the rule for every body at a captured frame: how far
its lowest point lies under the support below it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.scenario.grounding import is_grounded

__all__ = ["is_grounded", "rest_height", "sinking", "support_top"]

if TYPE_CHECKING:
    from simgen.scenario.spec import ObjectInstance
    from simgen.sim.world import World

MAX_HITS = 32  # hits (bodies and their parts) a support ray may pass through before it gives up
FOOTPRINT = 0.9  # share of the footprint's half extents where the corner rays fall
RAY_BOTTOM = -1000.0
GRID = 0.5  # metres between support rays under a footprint
STEP = 0.35  # metres: the highest kerb or stair an actor steps up onto while it moves


def rotation(orn: Any) -> np.ndarray:
    """(3, 3) rotation matrix of an xyzw quaternion."""
    x, y, z, w = (float(v) for v in orn)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def footprint(centre: np.ndarray, orn: Any, half: np.ndarray) -> list[tuple[float, float]]:
    """Xy of a grid over a body's footprint (shrunk by ``FOOTPRINT``), at most ``GRID`` metres apart.

    Uneven ground (a heightfield) can rise between the corners of a long vehicle, so the support
    is sampled over the whole footprint, not only under its corners.
    """
    rot = rotation(orn)
    hx, hy = float(half[0]) * FOOTPRINT, float(half[1]) * FOOTPRINT
    nx = max(2, int(np.ceil(2 * hx / GRID)) + 1)
    ny = max(2, int(np.ceil(2 * hy / GRID)) + 1)
    pts = [(float(centre[0]), float(centre[1]))]
    for lx in np.linspace(-hx, hx, nx):
        for ly in np.linspace(-hy, hy, ny):
            off = rot @ np.array([lx, ly, 0.0])
            pts.append((float(centre[0] + off[0]), float(centre[1] + off[1])))
    return pts


def support_top(world: World, xy: list[tuple[float, float]], start_z: float, exclude: int = -1) -> float | None:
    """Highest support surface (metres) under the points ``xy``, looking down from ``start_z``.

    Rays pass through non-support bodies; None when no ray meets a support (no ground and
    nothing static below).
    """
    p, cid = world.client.p, world.client.id
    supports = world.support_uids()
    supports.discard(exclude)
    if not supports:
        return None
    starts = [[x, y, start_z] for x, y in xy]
    ends = [[x, y, RAY_BOTTOM] for x, y in xy]
    best: float | None = None
    for k in range(MAX_HITS):  # pybullet reports every hit of a ray, the k-th one per call, unsorted
        hits = p.rayTestBatch(starts, ends, reportHitNumber=k, physicsClientId=cid)
        if all(h[0] < 0 for h in hits):
            break
        for uid, _, _, pos, _ in hits:
            if uid in supports:
                best = pos[2] if best is None else max(best, pos[2])
    return best


def wheel_depth(obj: ObjectInstance) -> float:
    """Depth (metres) under the body frame of the lowest point any wheel reaches while it rolls.

    Wheels are polygons: at rest a flat side may face the road, so the mesh's bottom sits
    ``r (1 - cos(pi / n))`` above the wheel's true circle that a rolling vertex reaches.
    """
    if "params" not in obj.shape:
        return 0.0
    from simgen.assets.cache import asset_links, asset_mesh

    depth = 0.0
    for link in asset_links(asset_mesh(obj.type, obj.shape["params"])):
        joint = link.part.joint
        if joint is not None and joint.role == "wheel":
            depth = max(depth, float(joint.radius) - float(joint.pivot[2]))
    return depth


def half_height(local_half: np.ndarray, orn: Any) -> float:
    """World-vertical half extent of a body with local half extents ``local_half`` at ``orn``."""
    return float(np.abs(rotation(orn)[2]) @ local_half)


def rest_height(world: World, iid: int, xy: np.ndarray, orn: Any, clearance: float) -> float:
    """Z of the body frame (its bounding-box centre) that puts its bottom ``clearance`` above its support."""
    half = world.local_half[iid]
    hz = half_height(half, orn)
    if iid in world.last_support:  # moving on: look from a step's height above its feet, under its own body
        start = world.last_support[iid] + clearance + STEP
    else:  # first placement: look from above its head (it may stand on a table, a roof)
        start = clearance + 2 * hz + 0.5
    found = support_top(world, footprint(xy, orn, half), start, exclude=world.uid_of[iid])
    if found is not None:
        world.last_support[iid] = found
    return (found if found is not None else 0.0) + clearance + hz


# --- the check: how deep is each body under its support -----------------------------------------


def _lowest_visual(world: World, obj: ObjectInstance, uid: int) -> list[np.ndarray]:
    """Lowest world point of each link's visual mesh of a procedural asset."""
    from simgen.assets.cache import asset_visual_meshes

    p, cid = world.client.p, world.client.id
    out = []
    for link, verts, _ in asset_visual_meshes(obj):
        if link < 0:
            pos, orn = world.frame_pose(uid)
        else:
            state = p.getLinkState(uid, link, computeForwardKinematics=1, physicsClientId=cid)
            pos, orn = state[4], state[5]
        world_v = verts @ rotation(orn).T + np.asarray(pos)
        out.append(world_v[int(np.argmin(world_v[:, 2]))])
    return out


def sinking(world: World) -> dict[str, float]:
    """Instance name -> depth (metres, > 0) of its lowest point under its support, for sunk bodies.

    Collision geometry is measured against each support with pybullet's closest points (exact
    for planes, heightfields and convex parts); the visual meshes of procedural assets (wheels
    have no collision shape) by their lowest vertex against the support straight below it.
    """
    p, cid = world.client.p, world.client.id
    depth: dict[str, float] = {}
    from simgen.assets.registry import ASSETS

    for obj in world.spec.objects:
        uid = world.uid_of.get(obj.instance_id)
        if uid is None or ("params" in obj.shape and ASSETS[obj.type].surface):
            continue  # a road or floor is a support itself, often set into the ground
        worst = 0.0
        for s in world.support_uids() - {uid}:
            for c in p.getClosestPoints(uid, s, 0.0, physicsClientId=cid):
                worst = max(worst, -float(c[8]))
        if "params" in obj.shape:
            for v in _lowest_visual(world, obj, uid):
                top = support_top(world, [(v[0], v[1])], float(v[2]) + 1.0, exclude=uid)
                if top is not None:
                    worst = max(worst, top - float(v[2]))
        if worst > 0:
            depth[obj.name] = worst
    return depth
