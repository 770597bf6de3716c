"""Ray casting backends for LiDAR and radar: one small interface, a registry keyed by YAML name.

A :class:`RayCaster` is built once per sensor from the world and answers one question per tick:
where do these rays first hit, and which body owns the hit? Backends:

- ``embree`` (:mod:`simgen.sensors.embree`): Intel Embree through the ``embreex`` wheel, cast
  against the world's *visual* geometry (primitives tessellated to within
  :data:`~simgen.sensors.scene_mesh.TESSELLATION_TOLERANCE`, meshes, URDF visuals, humanoid
  links, plane or heightfield ground). About 20x faster than ``bullet`` on one core.
- ``bullet``: pybullet's ``rayTestBatch`` against the *collision* shapes, batched below its
  16,384-ray limit. Always available; the reference the Embree backend is tested against.

``auto`` (the scenario default) is ``embree`` when ``embreex`` imports, else ``bullet`` with a
one-line notice on stderr (once per process). Both backends agree on boxes, planes and
heightfields to float32 precision; on curved primitives they differ by the tessellation
(below 1 mm) and on meshes by the difference between the visual mesh and its collision hull.
"""

from __future__ import annotations

import functools
import itertools
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, ClassVar

import numpy as np

from simgen.errors import SimgenError, did_you_mean

MAX_BATCH = 16_383
# Fields of one rayTestBatch result: (objectUniqueId, linkIndex, hitFraction, hitPosition, hitNormal).
_UID, _LINK, _FRACTION, _NORMAL = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(4)


@dataclass
class RayHits:
    """First hits of N rays, as rows of per-primitive tables (one pass to label them, none to gather).

    ``prim`` (N,) int32 row of the hit primitive (-1 = no hit between near and far) in ``owner``
    (P,) int32 body uid, ``normals`` (P, 3) float32 or float64 world-frame unit surface normal
    (either side of the surface) and ``links`` (P,) int32 link index (-1 = base) or None. ``t``
    (N,) float32 or float64 metres from the ray's start, which lies ``near`` out from its origin
    (``far - near`` where nothing was hit). ``max_uid`` is the largest uid in ``owner`` (-1: none).
    The per-ray views ``uid``, ``distance``, ``normal`` and ``link`` are built on first use.
    """

    prim: np.ndarray
    t: np.ndarray
    near: float
    owner: np.ndarray
    normals: np.ndarray
    links: np.ndarray | None = None
    max_uid: int = -1

    @functools.cached_property
    def uid(self) -> np.ndarray:
        """(N,) int32 body uid of each ray's hit, -1 where none."""
        return np.where(self.prim >= 0, self.owner.take(np.maximum(self.prim, 0)), -1).astype(np.int32)

    @functools.cached_property
    def distance(self) -> np.ndarray:
        """(N,) float64 metres from each ray's origin to its hit (``far`` where none)."""
        d = self.t.astype(np.float64)
        d += self.near
        return d

    @functools.cached_property
    def normal(self) -> np.ndarray:
        """(N, 3) unit surface normal at each ray's hit (zeros where none)."""
        n = self.normals.take(np.maximum(self.prim, 0), axis=0)
        n[self.prim < 0] = 0.0
        return n

    @functools.cached_property
    def link(self) -> np.ndarray | None:
        """(N,) int32 link index of each ray's hit (-1 = base or none), when the backend knows it."""
        if self.links is None:
            return None
        return np.where(self.prim >= 0, self.links.take(np.maximum(self.prim, 0)), -1).astype(np.int32)


class RayCaster(ABC):
    """Casts world-frame rays against the world as it is at the last :meth:`update`."""

    name: ClassVar[str]

    def __init__(self, world: Any) -> None:
        self.world = world

    def update(self) -> None:  # noqa: B027 - optional hook: backends with their own scene re-pose it here
        """Bring the caster's copy of the scene to the world's current state (called once per capture)."""

    @abstractmethod
    def cast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        near: float,
        far: float | np.ndarray,
        start: np.ndarray | None = None,
    ) -> RayHits:
        """First hits of rays ``origins + t * directions`` with ``near <= t <= far``.

        ``origins`` (3,) (one for all rays) or (N, 3) world frame, metres; ``directions`` (N, 3)
        unit vectors (float32 or float64); ``near``/``far`` metres. Distances are from the origins.
        ``start`` (N, 3) float32, when given, are the ray starts ``origins + near * directions``
        already computed, and replace ``origins`` (LiDAR builds them in the same pass as its
        world-frame directions, so it never needs an (N, 3) array of origins).
        """


RAYCASTERS: dict[str, Callable[..., RayCaster]] = {}
_NOTICED: set[str] = set()


def register_raycaster(cls: type[RayCaster]) -> type[RayCaster]:
    """Class decorator: make ``cls`` the backend for ``backend: cls.name``."""
    RAYCASTERS[cls.name] = cls
    return cls


def embree_available() -> bool:
    """Whether the ``embreex`` wheel imports (``pip install simgen[lidar]``)."""
    try:
        import embreex.rtcore_scene  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(name: str) -> str:
    """The concrete backend for ``name`` (``auto`` picks ``embree`` when available, else ``bullet``)."""
    if name == "auto":
        return "embree" if embree_available() else "bullet"
    return name


def make_raycaster(name: str, world: Any, num_threads: int = 1) -> RayCaster:
    """A caster of backend ``name`` (``auto``, ``embree`` or ``bullet``) for ``world``.

    ``num_threads`` is passed to ``rayTestBatch`` (Embree casts on the calling thread). Falling
    back to ``bullet`` without ``embreex`` installed prints a one-line notice, once per process.
    """
    kind = resolve_backend(name)
    if kind == "embree":
        if not embree_available():
            raise SimgenError("ray casting backend 'embree' needs embreex", hint="pip install simgen[lidar]")
        from simgen.sensors import embree  # noqa: F401 - registers the backend
    if kind not in RAYCASTERS:
        raise SimgenError(
            f"unknown ray casting backend '{name}'; available: auto, embree, bullet",
            hint=did_you_mean(name, ["auto", "embree", "bullet"]),
        )
    if kind == "bullet" and not _NOTICED and not embree_available():
        _NOTICED.add(kind)
        print(  # noqa: T201 - the one-line fallback notice, like the renderer's
            "simgen: LiDAR/radar ray casting uses pybullet rayTestBatch; pip install simgen[lidar] for Embree",
            file=sys.stderr,
        )
    return RAYCASTERS[kind](world, num_threads=num_threads)


def cast_rays(
    client: Any, origins: np.ndarray, ends: np.ndarray, num_threads: int = 1, links: bool = False
) -> tuple[np.ndarray, ...]:
    """Cast (N, 3) rays with ``rayTestBatch`` in batches of at most 16,383.

    Returns ``uid`` (N,) int32 (-1 = no hit), ``fraction`` (N,) float64 along the ray and
    ``normal`` (N, 3) float64 world-frame surface normals, plus ``link`` (N,) int32 with
    ``links=True``. pybullet returns tuples; each batch is converted once with ``fromiter``.
    """
    n = len(origins)
    uid = np.empty(n, dtype=np.int32)
    frac = np.empty(n, dtype=np.float64)
    normal = np.empty((n, 3), dtype=np.float64)
    link = np.empty(n, dtype=np.int32) if links else None
    p, cid = client.p, client.id
    for a in range(0, n, MAX_BATCH):
        b = min(n, a + MAX_BATCH)
        res = p.rayTestBatch(origins[a:b], ends[a:b], numThreads=num_threads, physicsClientId=cid)
        if len(res) != b - a:
            raise RuntimeError(f"rayTestBatch returned {len(res)} results for {b - a} rays")
        m = b - a
        uid[a:b] = np.fromiter(map(_UID, res), np.int32, m)
        frac[a:b] = np.fromiter(map(_FRACTION, res), np.float64, m)
        normal[a:b] = np.fromiter(itertools.chain.from_iterable(map(_NORMAL, res)), np.float64, 3 * m).reshape(m, 3)
        if link is not None:
            link[a:b] = np.fromiter(map(_LINK, res), np.int32, m)
    return (uid, frac, normal) if link is None else (uid, frac, normal, link)


def label_tables(world: Any, size: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per body uid (at least ``size`` entries): instance id (int32), category id (uint16) and reflectivity.

    Reflectivity is the object's ``reflectivity``, else the mean RGB of its colour, else 0.8; the
    ground's is the mean of its colour. Labels of a hit come from its owner body through these.
    """
    inst = np.asarray(world.instance_of_uid, dtype=np.int32)
    if size > len(inst):
        inst = np.concatenate([inst, np.zeros(size - len(inst), dtype=np.int32)])
    n = len(inst)
    refl = np.full(n, 0.8)
    cat = np.zeros(n, dtype=np.uint16)
    by_id = {o.instance_id: o for o in world.spec.objects}
    for uid in range(n):
        o = by_id.get(int(inst[uid]))
        if o is not None:
            cat[uid] = o.category_id
            if getattr(o, "reflectivity", None) is not None:
                refl[uid] = float(o.reflectivity)
            elif o.color is not None:
                refl[uid] = float(np.mean(o.color[:3]))
    g = getattr(world, "ground_uid", -1)
    if 0 <= g < n:
        refl[g] = float(np.mean(world.spec.world.ground["color"][:3]))
    return inst, cat, refl


@register_raycaster
class BulletCaster(RayCaster):
    """pybullet ``rayTestBatch`` against the collision shapes (no scene of its own to update)."""

    name = "bullet"

    def __init__(self, world: Any, num_threads: int = 1) -> None:
        super().__init__(world)
        self.num_threads = num_threads

    def cast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        near: float,
        far: float | np.ndarray,
        start: np.ndarray | None = None,
    ) -> RayHits:
        """See :meth:`RayCaster.cast`."""
        d = np.asarray(directions, dtype=np.float64)
        if start is None:
            start = d * near
            start += origins
        else:
            start = np.asarray(start, dtype=np.float64)
        end = d * (far - near)
        end += start
        uid, frac, normal, link = cast_rays(self.world.client, start, end, self.num_threads, links=True)
        hit = (uid >= 0) & (frac < 1.0)
        prim = np.where(hit, np.arange(len(uid), dtype=np.int32), -1).astype(np.int32)  # one table row per ray
        frac *= far - near
        return RayHits(prim, frac, near, uid, normal, link, int(uid.max(initial=-1)))


__all__ = [
    "MAX_BATCH",
    "RAYCASTERS",
    "BulletCaster",
    "RayCaster",
    "RayHits",
    "cast_rays",
    "embree_available",
    "label_tables",
    "make_raycaster",
    "register_raycaster",
    "resolve_backend",
]
