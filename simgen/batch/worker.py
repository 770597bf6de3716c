"""Episode work inside one process: a pybullet client and exporters kept across episodes.

A worker process (local pool or Ray actor) calls :func:`init_worker` once, then
:func:`render_episode` per episode; the record it returns is saved by the driver. The same
functions run every backend, so the output bytes do not depend on where an episode ran.

Test hook (developer docs: docs/batch.md). ``SIMGEN_TEST_FAIL_EPISODES`` makes chosen episodes
fail for real, after their first frame is exported (so partial files exist)::

    SIMGEN_TEST_FAIL_EPISODES="3:raise,5:abort,7:kill,9:raise:1"

``raise`` raises ``RuntimeError``; ``abort`` calls ``os.abort()`` (SIGABRT, like a segfaulting
extension); ``kill`` sends the process SIGKILL (like the OOM killer). A third field ``N`` makes
only the first N attempts fail, so a retry succeeds.
"""

from __future__ import annotations

import os
import signal
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simgen.export.base import DatasetInfo, Exporter, get_exporter
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.sim.quiet import quiet_stdout

if TYPE_CHECKING:
    from simgen.frame import Frame
    from simgen.scenario.spec import EpisodeSpec
    from simgen.sensors.stream import SensorStream
    from simgen.sim.client import BulletClient

FAIL_ENV = "SIMGEN_TEST_FAIL_EPISODES"
FAIL_MODES = ("raise", "abort", "kill")


@dataclass
class RunOptions:
    """Everything that shapes a run's output (and so must match on resume)."""

    episodes: int
    frames: int
    seed: int
    formats: tuple[str, ...]
    renderer: str


# Per-process state: one pybullet client and exporters, reused per episode.
_WORKER: dict[str, Any] = {}


def init_worker(scenario: Scenario, opts: RunOptions, info: DatasetInfo, quiet_fd: bool = False) -> None:
    """Open this process's pybullet client and exporters (``quiet_fd``: send fd 1 to /dev/null)."""
    from simgen.sim.client import BulletClient

    if quiet_fd:
        # Worker processes report through messages; pybullet's C banners go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    _WORKER["client"] = BulletClient()
    _WORKER["scenario"] = scenario
    _WORKER["opts"] = opts
    _WORKER["info"] = info
    exporters: list[Exporter] = [get_exporter(name)(info) for name in opts.formats]
    for e in exporters:
        e.begin()
    _WORKER["exporters"] = exporters


def close_worker() -> None:
    """Disconnect this process's client (idempotent)."""
    client = _WORKER.pop("client", None)
    if client is not None:
        client.close()


def fail_plan(text: str | None = None) -> dict[int, tuple[str, int | None]]:
    """Parse the test hook: episode -> (mode, failing attempts or None for all)."""
    text = os.environ.get(FAIL_ENV, "") if text is None else text
    plan: dict[int, tuple[str, int | None]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        fields = part.split(":")
        if len(fields) not in (2, 3) or fields[1] not in FAIL_MODES:
            raise ValueError(f"{FAIL_ENV}: '{part}' is not EPISODE:{'|'.join(FAIL_MODES)}[:ATTEMPTS]")
        plan[int(fields[0])] = (fields[1], int(fields[2]) if len(fields) == 3 else None)
    return plan


def _maybe_fail(index: int, attempt: int) -> None:
    """Fail episode ``index`` as the test hook asks (no-op unless the variable is set)."""
    if FAIL_ENV not in os.environ:
        return
    planned = fail_plan().get(index)
    if planned is None or (planned[1] is not None and attempt >= planned[1]):
        return
    mode = planned[0]
    if mode == "abort":
        os.abort()
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise RuntimeError(f"{FAIL_ENV} asked episode {index} to fail (attempt {attempt + 1})")


@dataclass
class Episode:
    """One sampled episode being played: its spec, its labeled camera frames and its sensor stream.

    ``frames`` is lazy: the simulation advances as frames are taken; ``stream`` (non-camera
    sensors and poses, or None when the episode has neither) is complete once they are all taken.
    """

    spec: EpisodeSpec
    frames: Iterator[Frame]
    stream: SensorStream | None


def play_episode(
    client: BulletClient, scenario: Scenario, index: int, *, episodes: int, seed: int, renderer: str
) -> Episode:
    """Sample episode ``index`` of an ``episodes``-episode run and play it on ``client``.

    The one episode function behind every consumer: the batch runner feeds its frames to the
    exporters, :class:`simgen.torch.SimDataset` to a training loop, so both see the same pixels
    and labels for the same scenario, seed and index.
    """
    return play_spec(client, sample(scenario, index, episodes=episodes, seed=seed), renderer)


def play_spec(client: BulletClient, spec: EpisodeSpec, renderer: str) -> Episode:
    """Play an already sampled episode on ``client`` (the batch runner samples each episode once)."""
    from simgen.batch.episode import run_episode
    from simgen.sensors.stream import SensorStream

    moving_cameras = any(c.mount is not None for c in spec.cameras)
    stream = SensorStream(spec.index) if spec.sensors or moving_cameras else None
    return Episode(spec, run_episode(client, spec, renderer, stream), stream)


def render_episode(spec: EpisodeSpec, attempt: int = 0) -> dict[str, Any]:
    """Render and export episode ``spec`` (as the driver sampled it) in this process; return its record."""
    from simgen.batch.streams import write_stream

    opts: RunOptions = _WORKER["opts"]
    index = spec.index
    episode = play_spec(_WORKER["client"], spec, opts.renderer)
    stream = episode.stream
    frames = []
    try:
        with quiet_stdout():
            for frame in episode.frames:
                exports = {e.name: e.add(frame) for e in _WORKER["exporters"]}
                frames.append({"summary": _summary(frame), "exports": exports})
                if len(frames) == 1:
                    _maybe_fail(index, attempt)
            if not frames:
                _maybe_fail(index, attempt)
            for e in _WORKER["exporters"]:
                e.end_episode(index)
        for e in _WORKER["exporters"]:
            e.flush()  # every file on disk before the episode counts as done (resume relies on it)
    except BaseException:
        _abort_exporters(index)
        raise
    record = {"episode": index, "spec": spec.to_json(), "frames": frames}
    if stream is not None:
        record["sensor_stream"] = write_stream(_WORKER["info"].out_dir, stream)
    return record


def _abort_exporters(index: int) -> None:
    """Let every exporter discard what it started for a failed or interrupted episode."""
    for e in _WORKER["exporters"]:
        try:
            e.abort(index)
        except Exception:  # the episode's own error is the one to report
            pass


def _summary(frame: Any) -> dict[str, Any]:
    """Exporter-independent facts about a frame, for the manifest's counts."""
    return {
        "split": frame.split,
        "annotations": [{"category_id": lab.category_id} for lab in frame.labels],
    }


def memory_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB, from /proc (0, 0 where unavailable)."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return 0.0, 0.0


def process_main(conn: Any, scenario: Scenario, opts: RunOptions, info: DatasetInfo) -> None:
    """Body of a local worker process: receive ``(spec, attempt)``, answer one message each.

    Answers are ``("ok", index, record, stats)`` or ``("error", index, error, traceback, stats)``;
    ``None`` ends the process. ``stats`` has the process id and its current and peak RSS.
    """
    init_error: tuple[str, str] | None = None
    try:
        init_worker(scenario, opts, info, quiet_fd=True)
    except Exception as err:  # reported with the first episode, so the driver records it
        init_error = (f"{type(err).__name__}: {err}", traceback.format_exc())
    try:
        while True:
            job = conn.recv()
            if job is None:
                break
            spec, attempt = job
            index = spec.index
            if init_error is not None:
                conn.send(("error", index, *init_error, _stats()))
                continue
            try:
                record = render_episode(spec, attempt)
            except Exception as err:
                conn.send(("error", index, f"{type(err).__name__}: {err}", traceback.format_exc(), _stats()))
                continue
            conn.send(("ok", index, record, _stats()))
    except (EOFError, KeyboardInterrupt):
        pass  # the driver went away or was interrupted; nothing to report to
    finally:
        close_worker()


def _stats() -> dict[str, Any]:
    rss, peak = memory_mb()
    return {"pid": os.getpid(), "rss_mb": round(rss, 1), "peak_rss_mb": round(peak, 1)}
