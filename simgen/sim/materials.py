"""Apply :class:`~simgen.materials.Material` values to pybullet visuals.

pybullet's rasterisers read a visual's RGBA, one texture and a specular colour; roughness,
metallic and emission are for photoreal backends. Texture ids are cached per client and path,
since ``loadTexture`` of the same file twice allocates twice.
"""

from __future__ import annotations

from simgen.materials.material import Material
from simgen.materials.textures import texture_png
from simgen.sim.client import BulletClient


class MaterialApplier:
    """Applies materials to a body's links in one client, loading each texture file once."""

    def __init__(self, client: BulletClient) -> None:
        self.client = client
        self._textures: dict[str, int] = {}
        self.applied: dict[tuple[int, int], Material] = {}  # (uid, link) -> material, for other renderers

    def texture_id(self, path: str) -> int:
        """Pybullet texture id of the PNG at ``path`` (loaded on first use)."""
        if path not in self._textures:
            self._textures[path] = self.client.p.loadTexture(path, physicsClientId=self.client.id)
        return self._textures[path]

    def reset(self) -> None:
        """Forget texture ids (call after ``resetSimulation``, which frees them)."""
        self._textures.clear()
        self.applied.clear()

    def apply(self, uid: int, link: int, material: Material, *, specular: bool = True) -> None:
        """Set ``material`` on link ``link`` (-1: base) of body ``uid`` (``specular=False`` keeps pybullet's)."""
        p, cid = self.client.p, self.client.id
        kw: dict[str, object] = {"rgbaColor": list(material.base_color)}
        if specular:
            kw["specularColor"] = [material.specular] * 3
        if material.texture is not None:
            kw["textureUniqueId"] = self.texture_id(str(texture_png(material.texture)))
        p.changeVisualShape(uid, link, physicsClientId=cid, **kw)
        self.applied[(uid, link)] = material


def uv_mesh_file(vertices: object, faces: object, scale: float = 1.0, tag: str = "") -> str:
    """Path of a cached OBJ of the mesh with box-projected UVs (see :mod:`simgen.materials.uv`).

    Content-addressed in the texture cache folder and written atomically, so workers share it.
    ``tag`` (the texture's key) gives each texture its own file, so no renderer-side cache
    keyed by mesh file name can carry one texture over to another body.
    """
    import hashlib

    import numpy as np

    from simgen.core.fileio import write_text
    from simgen.materials.textures import cache_dir
    from simgen.materials.uv import box_projected_uvs, obj_text_with_uvs

    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    digest = hashlib.sha256(v.tobytes() + f.tobytes() + repr(float(scale)).encode() + tag.encode()).hexdigest()[:24]
    path = cache_dir() / f"mesh-{digest}.obj"
    if not path.exists():
        write_text(path, obj_text_with_uvs(v, f, box_projected_uvs(v, f, scale)), durable=False)
    return str(path)
