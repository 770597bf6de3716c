"""Apply :class:`~simgen.materials.Material` values to pybullet visuals.

pybullet's rasterisers read a visual's RGBA, one texture and a specular colour; roughness,
metallic and emission are for photoreal backends. Texture ids are cached per client and path,
since ``loadTexture`` of the same file twice allocates twice.
"""

from __future__ import annotations

from pathlib import Path

from simgen.materials.material import Material, Texture
from simgen.materials.textures import texture_png
from simgen.materials.uv import alias_written
from simgen.sim.client import BulletClient


def bakes_textures(client: BulletClient) -> bool:
    """Whether textures must travel inside mesh files on ``client`` (its EGL plugin is loaded).

    The EGL plugin hands ``changeVisualShape(textureUniqueId=...)`` its own texture slot number
    where its GL renderer wants the GL texture's: the slots restart at 0 with every
    ``resetSimulation`` while GL textures are never released, so from the second episode of a
    process a body drew a texture of an earlier episode. A texture named by the mesh file's
    material is registered with the GL renderer directly and draws right in every episode.
    """
    return "egl" in client.plugins


def textured_visual(client: BulletClient, obj_path: str | Path, texture: Texture | None) -> str:
    """``obj_path``, or under EGL a copy whose material names ``texture``'s PNG (see :func:`bakes_textures`).

    The copy sits next to the PNG in the texture cache (a material names its texture relative to
    itself; a user's image is copied there first) under a name made of both, written atomically,
    so workers share it. The OBJ must carry UVs.
    """
    if texture is None or not bakes_textures(client):
        return str(obj_path)
    import hashlib

    from simgen.core.fileio import write_bytes, write_text
    from simgen.materials.textures import cache_dir

    png = texture_png(texture)
    if png.parent != cache_dir():  # an image of the user's: a copy in the cache, never files beside theirs
        data = png.read_bytes()
        copy = cache_dir() / f"image-{hashlib.sha256(data).hexdigest()[:24]}.png"
        if not copy.exists():
            write_bytes(copy, data, durable=False)
        png = copy
    digest = hashlib.sha256(f"{Path(obj_path).name}|{png.name}".encode()).hexdigest()[:24]
    out = png.parent / f"tex-{digest}.obj"
    if not out.exists():
        mtl = out.with_suffix(".mtl")
        write_text(mtl, f"newmtl m\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd {png.name}\n", durable=False)
        body = Path(obj_path).read_text()
        write_text(out, f"mtllib {mtl.name}\nusemtl m\n" + body, durable=False)
    alias_written(out, obj_path)
    return str(out)


class MaterialApplier:
    """Applies materials to a body's links in one client, loading each texture file once."""

    def __init__(self, client: BulletClient) -> None:
        self.client = client
        self.bake = bakes_textures(client)
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

    def apply(self, uid: int, link: int, material: Material, *, specular: bool = True, baked: bool = False) -> None:
        """Set ``material`` on link ``link`` (-1: base) of body ``uid`` (``specular=False`` keeps pybullet's).

        ``baked``: the link's visual was made through :func:`textured_visual`, so under EGL its
        mesh file already carries the texture and only colour and specular are set here.
        """
        p, cid = self.client.p, self.client.id
        kw: dict[str, object] = {"rgbaColor": list(material.base_color)}
        if specular:
            kw["specularColor"] = [material.specular] * 3
        if material.texture is not None and not (baked and self.bake):
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
    from simgen.materials.uv import box_projected_uvs, obj_text_with_uvs, remember_written

    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    digest = hashlib.sha256(v.tobytes() + f.tobytes() + repr(float(scale)).encode() + tag.encode()).hexdigest()[:24]
    path = cache_dir() / f"mesh-{digest}.obj"
    if not path.exists():
        write_text(path, obj_text_with_uvs(v, f, box_projected_uvs(v, f, scale)), durable=False)
    remember_written(path, v, f)
    return str(path)
