"""``simgen preview``: render a few frames in memory and save a labeled contact sheet."""

from __future__ import annotations

from pathlib import Path

import cv2

from simgen.batch.episode import run_episode
from simgen.core.fileio import write_bytes
from simgen.errors import OutputError
from simgen.frame import Frame
from simgen.scenario.models import Scenario
from simgen.scenario.randomizers import texture_safe_renderer
from simgen.scenario.sampling import sample
from simgen.sensors.render import resolve_renderer
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.viz.sheet import contact_sheet


def preview_frames(
    scenario: Scenario, *, episodes: int, frames: int, renderer: str, seed: int | None = None
) -> list[Frame]:
    """Render ``episodes`` x ``frames`` (all cameras) without writing anything."""
    chosen = resolve_renderer(texture_safe_renderer(scenario, renderer))
    sc = scenario.model_copy(update={"frames": min(frames, scenario.frames)})
    out: list[Frame] = []
    with quiet_stdout(), BulletClient() as client:
        for i in range(episodes):
            spec = sample(sc, i, episodes=max(episodes, 1), seed=seed)
            out.extend(run_episode(client, spec, chosen))
    return out


def draw_frames(scenario: Scenario, *, draws: int, renderer: str, seed: int | None = None) -> list[Frame]:
    """Episode 0's first frame under ``draws`` independent randomization draws.

    The episode's own sample (objects, poses, cameras) is fixed; only the ``randomize:`` and
    ``effects:`` entries are drawn anew, from seeds ``episode_seed(master, k)`` for k < draws, so
    the sheet shows how wide the scenario's ranges are.
    """
    import dataclasses

    from simgen.scenario.randomizers import apply_randomizers
    from simgen.scenario.sampling import episode_seed

    chosen = resolve_renderer(texture_safe_renderer(scenario, renderer))
    plain = scenario.model_copy(update={"frames": 1, "randomize": [], "effects": []})
    base = sample(plain, 0, episodes=1, seed=seed)
    master = scenario.seed if seed is None else seed
    out: list[Frame] = []
    with quiet_stdout(), BulletClient() as client:
        for k in range(draws):
            spec = apply_randomizers(scenario, dataclasses.replace(base, seed=episode_seed(master, k)))
            for frame in run_episode(client, spec, chosen):
                out.append(dataclasses.replace(frame, episode=k))
    return out


def write_preview(
    scenario: Scenario,
    path: str | Path,
    *,
    episodes: int = 2,
    frames: int = 4,
    renderer: str = "auto",
    columns: int = 4,
    seed: int | None = None,
    draws: int | None = None,
) -> int:
    """Save a contact sheet PNG/JPG to ``path``; returns the number of frames on it.

    With ``draws``, the sheet shows episode 0's first frame under that many randomization draws
    (see :func:`draw_frames`) instead of ``episodes`` x ``frames``.
    """
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise OutputError(f"preview output must end in .png or .jpg, got '{path.name}'")
    if not path.parent.exists():
        raise OutputError(f"folder '{path.parent}' does not exist")
    if draws is not None:
        shots = draw_frames(scenario, draws=draws, renderer=renderer, seed=seed)
    else:
        shots = preview_frames(scenario, episodes=episodes, frames=frames, renderer=renderer, seed=seed)
    sheet = contact_sheet(shots, columns=columns)
    ok, buf = cv2.imencode(path.suffix.lower(), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("image encoding failed")
    write_bytes(path, buf.tobytes())
    return len(shots)
