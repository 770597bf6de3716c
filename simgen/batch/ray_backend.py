"""Ray backend: the same episodes on a Ray cluster (``--backend ray [--address ADDR]``, extra ``simgen[ray]``).

Each slot of :func:`simgen.batch.pool.run_episodes` is a Ray actor that keeps one pybullet client
and the exporters across episodes, exactly like a local worker process, and runs the same
:func:`simgen.batch.worker.render_episode`. Actors write the per-frame files straight into
``--out``, so on a cluster ``--out`` must be a folder that every node mounts at the same path
(NFS, a cluster file system); the records come back to the driver, which saves them and assembles
the index files. An actor that dies (segfault, OOM kill, lost node) counts as a failed attempt and
is replaced by a fresh one, as a local worker process would be.

Without ``--address`` a private Ray instance is started on this machine, bound to 127.0.0.1, with
no dashboard and usage statistics off (unless ``RAY_USAGE_STATS_ENABLED`` says otherwise).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from typing import Any

from simgen.errors import SimgenError

INSTALL_HINT = "install the extra: pip install 'simgen[ray]'"


def require_ray() -> Any:
    """The ``ray`` module, or a :class:`SimgenError` with the install hint."""
    try:
        import ray
    except ImportError as err:
        raise SimgenError("--backend ray needs Ray, which is not installed", hint=INSTALL_HINT) from err
    return ray


class EpisodeActor:
    """A Ray actor: one process's worker state, rendering one episode per call."""

    def __init__(self, scenario: Any, opts: Any, info: Any) -> None:
        from simgen.batch.worker import init_worker

        self.init_error: tuple[str, str] | None = None
        try:
            init_worker(scenario, opts, info, quiet_fd=True)
        except Exception as err:  # reported with the first episode, like a local worker
            self.init_error = (f"{type(err).__name__}: {err}", traceback.format_exc())

    def render(self, spec: Any, attempt: int) -> tuple:
        """``("ok", index, record, stats)`` or ``("error", index, error, traceback, stats)``."""
        from simgen.batch.worker import memory_mb, render_episode

        index = spec.index
        if self.init_error is not None:
            return ("error", index, *self.init_error, {})
        try:
            record = render_episode(spec, attempt)
        except Exception as err:
            return ("error", index, f"{type(err).__name__}: {err}", traceback.format_exc(), {})
        rss, peak = memory_mb()
        return ("ok", index, record, {"pid": os.getpid(), "rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1)})


class _ActorSlot:
    def __init__(self, actor: Any, specs: Mapping[int, Any]) -> None:
        self.actor = actor
        self.specs = specs
        self.ref: Any = None
        self.busy: int | None = None
        self.attempt = 0
        self.done = 0

    def submit(self, index: int, attempt: int) -> None:
        self.busy, self.attempt = index, attempt
        self.ref = self.actor.render.remote(self.specs[index], attempt)

    def stop(self) -> None:
        self.kill()

    def kill(self) -> None:
        import ray

        ray.kill(self.actor, no_restart=True)


class RayBackend:
    """Slots are Ray actors of one CPU each; connects to ``address`` or starts a loopback-only instance."""

    def __init__(self, initargs: tuple, specs: Mapping[int, Any], address: str | None) -> None:
        ray = require_ray()
        self.owned = False
        if not ray.is_initialized():
            if address is None:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                ray.init(address="local", include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
            self.owned = True
        self.initargs = initargs
        self.specs = specs
        self.actor_cls = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(EpisodeActor)

    def start(self) -> _ActorSlot:
        """A new actor (a new process on some node)."""
        return _ActorSlot(self.actor_cls.remote(*self.initargs), self.specs)

    def wait(self, busy: list[Any]) -> list[tuple[Any, tuple | None, str]]:
        """Answers of the actors whose call finished; a dead actor answers None and why."""
        import ray
        from ray.exceptions import RayActorError, RayError

        by_ref = {slot.ref: slot for slot in busy}
        ready, _ = ray.wait(list(by_ref), num_returns=1)
        answers: list[tuple[Any, tuple | None, str]] = []
        for ref in ready:
            slot = by_ref[ref]
            try:
                answers.append((slot, ray.get(ref), ""))
            except RayActorError as err:
                answers.append((slot, None, f"worker actor died ({type(err).__name__})"))
            except RayError as err:
                answers.append((slot, None, f"worker actor failed ({type(err).__name__}: {err})"))
        return answers

    def close(self) -> None:
        """Shut down the Ray instance this backend started (a joined cluster stays up)."""
        if self.owned:
            import ray

            ray.shutdown()
