import numpy as np
from PIL import Image

from simgen.materials import Material, Texture
from simgen.materials.textures import TEXTURES, texture_image, texture_png


def test_registry_has_generic_patterns():
    assert {"checker", "noise"} <= set(TEXTURES)


def test_same_reference_same_pixels_and_seed_changes_them():
    a = texture_image(Texture.make("noise", seed=3, size=64))
    b = texture_image(Texture.make("noise", seed=3, size=64))
    c = texture_image(Texture.make("noise", seed=4, size=64))
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_checker_cells_and_colors():
    img = texture_image(Texture.make("checker", size=32, cells=4, colors=[[1, 0, 0], [0, 0, 1]]))
    assert tuple(img[0, 0]) == (255, 0, 0)
    assert tuple(img[0, 8]) == (0, 0, 255)
    assert tuple(img[8, 8]) == (255, 0, 0)


def test_png_cache_is_content_addressed(tmp_path, monkeypatch):
    monkeypatch.setattr("simgen.materials.textures.cache_dir", lambda: tmp_path)
    tex = Texture.make("noise", seed=1, size=32, octaves=3)
    p1 = texture_png(tex)
    p2 = texture_png(tex)
    assert p1 == p2 and p1.parent == tmp_path
    assert np.array_equal(np.asarray(Image.open(p1)), texture_image(tex))
    assert texture_png(Texture.make("noise", seed=2, size=32, octaves=3)) != p1


def test_material_record_is_json_friendly():
    m = Material(base_color=(1, 0, 0, 1), texture=Texture.make("checker", cells=2), name="paint")
    d = m.to_dict()
    assert d["texture"]["kind"] == "checker" and d["texture"]["params"] == {"cells": 2}
    assert d["name"] == "paint"
