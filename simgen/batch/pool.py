"""Run episodes on worker processes with failure isolation: bounded retries, each in a fresh worker.

:func:`run_episodes` schedules episodes on *slots* (a local process, or a Ray actor; see
:class:`Backend`). A slot keeps its pybullet client across episodes. When an episode raises, or
its worker dies (a segfault, ``os.abort()``, the OOM killer), that worker is discarded, the
episode's partial files are swept by the caller's ``on_attempt_failed``, and the episode is
retried on a newly started worker, up to ``retries`` times; after that it is reported as failed
and the other episodes go on. A worker may also be replaced after ``max_episodes`` episodes
(a backstop against memory growth in native code; off by default).
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import wait
from typing import Any, Protocol


@dataclass
class Outcome:
    """What became of one episode: its record, or the error of its last attempt."""

    index: int
    attempts: int
    record: dict[str, Any] | None = None
    error: str | None = None
    traceback: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the episode rendered."""
        return self.record is not None


class Slot(Protocol):
    """One worker that renders one episode at a time."""

    busy: int | None
    attempt: int
    done: int

    def submit(self, index: int, attempt: int) -> None:
        """Start episode ``index`` (attempt number ``attempt``, from 0)."""

    def stop(self) -> None:
        """Let the worker finish cleanly."""

    def kill(self) -> None:
        """End the worker at once."""


class Backend(Protocol):
    """Starts slots, waits for their answers, and releases what it holds when the run ends.

    A backend is built with the run's worker set-up and its sampled episode specs (index -> spec):
    a slot sends the spec with each job, so workers render exactly what the driver sampled.
    """

    def start(self) -> Slot:
        """A new, fresh worker."""

    def wait(self, busy: list[Slot]) -> list[tuple[Slot, tuple | None, str]]:
        """Block until some busy slots answer: (slot, message or None if it died, why it died)."""

    def close(self) -> None:
        """Release the backend (after every slot was stopped or killed)."""


def run_episodes(
    todo: list[int],
    workers: int,
    backend: Backend,
    *,
    retries: int,
    report: Callable[[Outcome], None],
    on_attempt_failed: Callable[[int], None] = lambda i: None,
    max_episodes: int = 0,
) -> None:
    """Render every episode of ``todo`` on up to ``workers`` slots; call ``report`` once per episode."""
    queue = deque(todo)
    live: list[Slot] = []
    try:
        for _ in range(min(workers, len(queue))):
            live.append(backend.start())
        while True:
            for slot in list(live):
                if slot.busy is None:
                    if queue:
                        slot.submit(queue.popleft(), 0)
                    else:
                        slot.stop()
                        live.remove(slot)
            busy = [s for s in live if s.busy is not None]
            if not busy:
                break
            for slot, msg, died in backend.wait(busy):
                index, attempt = slot.busy, slot.attempt
                assert index is not None
                slot.busy = None
                if msg is not None and msg[0] == "ok":
                    slot.done += 1
                    if max_episodes and slot.done >= max_episodes and queue:
                        slot.stop()
                        live[live.index(slot)] = backend.start()
                    elif queue:  # the worker starts its next episode while this one is saved
                        slot.submit(queue.popleft(), 0)
                    report(Outcome(index, attempt + 1, record=msg[2], stats=msg[3]))
                    continue
                # A failed attempt: the worker goes (its state may be damaged), a fresh one retries.
                error, tb, stats = (msg[2], msg[3], msg[4]) if msg is not None else (died, died + "\n", {})
                slot.kill()
                live.remove(slot)
                on_attempt_failed(index)
                if attempt < retries:
                    fresh = backend.start()
                    fresh.submit(index, attempt + 1)
                    live.append(fresh)
                else:
                    report(Outcome(index, attempt + 1, error=error, traceback=tb, stats=stats))
                    if queue:
                        live.append(backend.start())
    finally:
        for slot in live:
            slot.kill()


def death_reason(exitcode: int | None) -> str:
    """A worker's exit code in words: ``worker process died (SIGABRT)``."""
    if exitcode is None:
        return "worker process stopped answering"
    if exitcode < 0:
        try:
            return f"worker process died ({signal.Signals(-exitcode).name})"
        except ValueError:
            return f"worker process died (signal {-exitcode})"
    return f"worker process exited with code {exitcode}"


class _ProcessSlot:
    """A local worker process (spawned, so no state is inherited) and its pipe."""

    def __init__(self, ctx: Any, initargs: tuple, specs: Mapping[int, Any]) -> None:
        from simgen.batch.worker import process_main

        self.specs = specs
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=process_main, args=(child, *initargs), daemon=True)
        self.proc.start()
        child.close()
        self.busy: int | None = None
        self.attempt = 0
        self.done = 0

    def submit(self, index: int, attempt: int) -> None:
        self.busy, self.attempt = index, attempt
        self.conn.send((self.specs[index], attempt))

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(timeout=30)
        self.kill()

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


class LocalBackend:
    """Worker processes on this machine (``spawn`` start method: no inherited pybullet state)."""

    def __init__(self, initargs: tuple, specs: Mapping[int, Any]) -> None:
        self.ctx = get_context("spawn")
        self.initargs = initargs
        self.specs = specs

    def start(self) -> _ProcessSlot:
        """Start one worker process."""
        return _ProcessSlot(self.ctx, self.initargs, self.specs)

    def close(self) -> None:
        """Nothing to release: every worker process was stopped or killed by :func:`run_episodes`."""

    def wait(self, busy: list[Any]) -> list[tuple[Any, tuple | None, str]]:
        """Messages from busy workers, or their deaths."""
        by_handle: dict[Any, Any] = {}
        for slot in busy:
            by_handle[slot.conn] = slot
            by_handle[slot.proc.sentinel] = slot
        ready = wait(list(by_handle))
        answers: list[tuple[Any, tuple | None, str]] = []
        seen: set[int] = set()
        for handle in ready:
            slot = by_handle[handle]
            if id(slot) in seen:
                continue
            seen.add(id(slot))
            msg = None
            try:
                if slot.conn.poll():
                    msg = slot.conn.recv()
            except (EOFError, OSError):
                msg = None
            if msg is None and slot.proc.is_alive() and handle is slot.conn:
                continue  # spurious wake-up
            if msg is None:
                slot.proc.join(timeout=5)
            answers.append((slot, msg, "" if msg is not None else death_reason(slot.proc.exitcode)))
        return answers
