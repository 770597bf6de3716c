"""``simgen preview``: render a few frames in memory and save a labeled contact sheet."""

from __future__ import annotations

from pathlib import Path

import cv2

from simgen.batch.episode import run_episode
from simgen.errors import OutputError
from simgen.export.atomic import write_bytes
from simgen.frame import Frame
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.sensors.render import resolve_renderer
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.viz.sheet import contact_sheet


def preview_frames(
    scenario: Scenario, *, episodes: int, frames: int, renderer: str, seed: int | None = None
) -> list[Frame]:
    """Render ``episodes`` x ``frames`` (all cameras) without writing anything."""
    chosen = resolve_renderer(renderer)
    sc = scenario.model_copy(update={"frames": min(frames, scenario.frames)})
    out: list[Frame] = []
    with quiet_stdout(), BulletClient() as client:
        for i in range(episodes):
            spec = sample(sc, i, episodes=max(episodes, 1), seed=seed)
            out.extend(run_episode(client, spec, chosen))
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
) -> int:
    """Save a contact sheet PNG/JPG to ``path``; returns the number of frames on it."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise OutputError(f"preview output must end in .png or .jpg, got '{path.name}'")
    if not path.parent.exists():
        raise OutputError(f"folder '{path.parent}' does not exist")
    shots = preview_frames(scenario, episodes=episodes, frames=frames, renderer=renderer, seed=seed)
    sheet = contact_sheet(shots, columns=columns)
    ok, buf = cv2.imencode(path.suffix.lower(), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    if not ok:
        raise RuntimeError("image encoding failed")
    write_bytes(path, buf.tobytes())
    return len(shots)
