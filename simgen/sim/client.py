"""One pybullet DIRECT client per world, passed explicitly on every call and closed on exit.

Passing ``physicsClientId`` everywhere avoids the "Not connected to physics server" failures
that come from relying on pybullet's implicit default client when several worlds exist.
"""

from __future__ import annotations

from types import TracebackType

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
