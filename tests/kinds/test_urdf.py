"""The urdf kind's random objects: a draw never lands on a model that cannot be read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simgen.kinds.registry import kind_of
from simgen.kinds.urdf import RANDOM_URDFS, random_urdf, random_urdf_usable
from simgen.scenario.assets import load_mesh, resolve_asset


class _Draws:
    """Stand-in for the sampler's named draws: its 'urdf' stream yields a fixed number."""

    def __init__(self, value: int) -> None:
        self.value = value

    def rng(self, name: str) -> Any:
        assert name == "urdf"
        value = self.value

        class _Rng:
            def integers(self, high: int) -> int:
                assert high == RANDOM_URDFS
                return value

        return _Rng()


def test_the_nan_model_is_the_only_unusable_one() -> None:
    bad = [i for i in range(RANDOM_URDFS) if not random_urdf_usable(i)]
    assert bad == [168]  # its OBJ's vertices are all NaN: no triangles survive parsing


def test_a_draw_of_an_unusable_model_moves_to_the_next_usable_one() -> None:
    kind = kind_of("urdf")
    shape = kind.of_size(0.2, _Draws(168))
    assert shape["path"] == random_urdf(169)
    assert shape["scale"] == 2.0
    assert kind.of_size(0.2, _Draws(42))["path"] == random_urdf(42)  # usable draws are kept as drawn


def test_every_usable_model_parses_to_finite_triangles() -> None:
    for idx in (0, 167, 169, 999):
        mesh = load_mesh(resolve_asset(random_urdf(idx), Path(".")).with_suffix(".obj"), 1.0)
        assert len(mesh.faces) > 0 and np.isfinite(mesh.vertices).all()
