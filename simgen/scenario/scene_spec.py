"""Resolved world extras of one episode: lighting, sky, haze, terrain, scheduled events.

Plain frozen data recorded in the manifest; the simulator builds and runs it, the camera
render call reads :attr:`SceneSpec.light`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Unset direction and coefficients (None) leave pybullet's own defaults in place.
DEFAULT_LIGHT: dict[str, Any] = {
    "direction": None,
    "intensity": 1.0,
    "ambient": None,
    "diffuse": None,
    "specular": None,
    "color": (1.0, 1.0, 1.0),
    "shadow": False,
}
DEFAULT_SKY = None  # keep the renderer's background


@dataclass(frozen=True)
class FaultWindow:
    """A sensor fault active on ``[start, end)`` simulated seconds for ``sensor`` (None = every sensor)."""

    kind: str
    sensor: str | None
    start: float
    end: float
    params: dict[str, Any] = field(default_factory=dict)
    event: str = ""

    def active(self, t: float, sensor: str | None = None) -> bool:
        """Whether the fault applies to ``sensor`` at time ``t``."""
        return self.start <= t < self.end and (self.sensor is None or sensor is None or self.sensor == sensor)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe record."""
        return {
            "kind": self.kind,
            "sensor": self.sensor,
            "start": self.start,
            "end": self.end,
            "params": self.params,
            "event": self.event,
        }


@dataclass(frozen=True)
class SceneSpec:
    """World extras with every random value drawn.

    - ``light``: direction (towards the light, world frame), intensity (gain), ambient,
      diffuse, specular (renderer coefficients), color (RGB 0..1), shadow.
    - ``sky``: RGB 0..1 background (None keeps the renderer's).
    - ``haze``: ``{density (1/m), color}`` or None.
    - ``ground``: extra ground data (checker or heightfield parameters, terrain seed).
    - ``events``: each ``{name, trigger, actions}`` with trigger times resolved (a ``window``
      trigger becomes its drawn ``at``).
    """

    light: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_LIGHT))
    sky: tuple[float, float, float] | None = DEFAULT_SKY
    haze: dict[str, Any] | None = None
    ground: dict[str, Any] = field(default_factory=dict)
    time_of_day: float | None = None
    events: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-safe record for the manifest."""
        return {
            "light": self.light,
            "sky": None if self.sky is None else list(self.sky),
            "haze": self.haze,
            "ground": self.ground,
            "time_of_day": self.time_of_day,
            "events": list(self.events),
        }
