"""Library textures and material factories: tileable, deterministic, varied per instance."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.materials.library import MATERIALS, material, material_from_dict
from simgen.materials.textures import TEXTURES, texture_image

NAMES = ["asphalt", "concrete", "bricks", "grass", "soil", "wood", "metal", "fabric", "car_paint"]


@pytest.mark.parametrize("name", NAMES)
def test_each_library_texture_is_registered_deterministic_and_tileable(name):
    m = material(name, np.random.default_rng(1))
    assert name in TEXTURES and name in MATERIALS and m.texture.kind == name
    a, b = texture_image(m.texture), texture_image(m.texture)
    assert a.shape == (m.texture.size, m.texture.size, 3) and np.array_equal(a, b)
    img = a.astype(float)
    # tileable: the jumps across the wrap seams are no larger than jumps between rows (columns) inside
    for t in (img, img.transpose(1, 0, 2)):
        seam = np.abs(t[0] - t[-1]).mean()
        inside = max(np.abs(t[i] - t[i + 1]).mean() for i in range(t.shape[0] - 1))
        assert seam <= inside + 2


@pytest.mark.parametrize("name", NAMES)
def test_factories_vary_colour_and_wear_per_instance_and_round_trip(name):
    rng = np.random.default_rng(5)
    m1, m2 = material(name, rng), material(name, rng)
    assert m1 != m2  # a second draw differs (seed, tone or wear)
    assert material_from_dict(m1.to_dict()) == m1
    assert material(name, np.random.default_rng(5)) == m1


def test_wear_darkens_asphalt_cracks_and_unknown_names_are_errors():
    from simgen.errors import SimgenError

    new = texture_image(material("asphalt", np.random.default_rng(0), wear=0.0).texture).astype(float)
    worn = texture_image(material("asphalt", np.random.default_rng(0), wear=1.0).texture).astype(float)
    assert (worn < 0.7 * np.median(worn)).mean() > (new < 0.7 * np.median(new)).mean()
    with pytest.raises(SimgenError, match="did you mean 'bricks'"):
        material("brick", np.random.default_rng(0))
