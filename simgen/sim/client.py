"""One pybullet DIRECT client per world, passed explicitly on every call and closed on exit.

Passing ``physicsClientId`` everywhere avoids the "Not connected to physics server" failures
that come from relying on pybullet's implicit default client when several worlds exist.
"""

from __future__ import annotations

import ctypes
import sys
from types import TracebackType
from typing import Any

from simgen.sim.quiet import quiet_stdout


class BulletClient:
    """A pybullet DIRECT connection. Reused across episodes in one process (reset per episode)."""

    def __init__(self) -> None:
        with quiet_stdout(stderr=True):
            import pybullet as p

            self.id: int = p.connect(p.DIRECT)
        self.p = p
        if self.id < 0:
            raise RuntimeError("pybullet could not open a DIRECT physics client")
        self.plugins: dict[str, int] = {}

    def reset(self) -> None:
        """Empty the world for the next episode, with pybullet's file caches off.

        With caching on, pybullet keeps every OBJ it parsed (~50 KB a file) and every texture an
        OBJ's material names (~50 KB a PNG) for the life of the process, keyed by file name, and
        ``resetSimulation`` frees neither. Textured primitives, randomized assets and their
        textures are new files every episode, so a long run grew without bound. Turning caching
        off empties the caches and makes pybullet read each file when a shape is made (same
        data, same bytes; a mesh used by several bodies is parsed once per body).
        """
        p = self.p
        p.resetSimulation(physicsClientId=self.id)
        p.setPhysicsEngineParameter(enableFileCaching=0, physicsClientId=self.id)

    def close(self) -> None:
        """Unload plugins and disconnect (idempotent)."""
        if self.id < 0:
            return
        with quiet_stdout(stderr=True):
            for plugin in self.plugins.values():
                self.p.unloadPlugin(plugin, physicsClientId=self.id)
            self.p.disconnect(physicsClientId=self.id)
        self.plugins.clear()
        self.id = -1

    def __enter__(self) -> BulletClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def convex_shape(client: BulletClient, vertices: Any) -> int:
    """``createCollisionShape(GEOM_MESH, vertices=...)`` without pybullet's reference leak.

    pybullet 3.2.x takes references to the vertex list, to every vertex and to every coordinate
    it reads and never gives them back, so every hull it is handed stays in memory for the life
    of the process (a fresh hull per randomized body: ~80 KB an episode on the street scene).
    The references it took are counted and handed back after the call; pybullet copies the
    numbers into its own arrays, so nothing refers to them afterwards. A pybullet without the
    leak takes none and nothing is released.
    """
    points = [[float(c) for c in v] for v in vertices]
    tracked = list({id(o): o for o in (points, *points, *(c for v in points for c in v))}.values())
    before = _refcounts(tracked)
    shape = client.p.createCollisionShape(client.p.GEOM_MESH, vertices=points, physicsClientId=client.id)
    for obj, extra in zip(tracked, _refcounts(tracked) - before, strict=True):
        for _ in range(max(int(extra), 0)):
            ctypes.pythonapi.Py_DecRef(ctypes.py_object(obj))
    return shape


def _refcounts(objs: list[Any]) -> Any:
    import numpy as np

    return np.array([sys.getrefcount(o) for o in objs], dtype=np.int64)
