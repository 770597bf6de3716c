"""The image-time effect registry keyed by YAML name, and loading of every built-in entry.

Two registries, like exporters and sensors: spec-time randomizers
(:data:`simgen.scenario.randomizers.RANDOMIZERS`, act on the episode's spec while it is drawn,
so labels follow) and :data:`EFFECTS` here (act on rendered, labeled frames: pixels, never
labels). The scenario models of the same names live in :mod:`simgen.scenario.randomize_models`;
a conformance test checks that both sides list the same names. Both draw through
:class:`simgen.scenario.draws.Draws`. Stage rule: no pybullet or OpenCV at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EFFECTS: dict[str, Any] = {}


def register_effect(name: str) -> Callable[[Any], Any]:
    """Register the post-render effect for ``effects: [{type: name}]``."""

    def deco(obj: Any) -> Any:
        EFFECTS[name] = obj
        return obj

    return deco


def load_builtin() -> None:
    """Import the built-in randomizers and effects so they register."""
    import simgen.randomize.effects  # noqa: F401
    import simgen.scenario.randomizers  # noqa: F401
