"""Asset path rules: untrusted scenarios may only read files under allowed roots.

An asset path is ``pybullet_data:NAME`` (pybullet's bundled data), ``assets:NAME`` (simgen's
shipped assets) or a path relative to the scenario file's folder. Absolute paths, ``..`` escapes
and symlinks that point outside the chosen root are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simgen.core.memo import Lru, file_key
from simgen.errors import AssetError
from simgen.resources import data_dir, pybullet_data_dir

SUFFIXES = {
    "urdf": (".urdf",),
    "mesh": (".obj", ".stl", ".ply", ".glb", ".gltf", ".off"),
    "texture": (".png", ".jpg", ".jpeg"),
}
MAX_ASSET_BYTES = 64 << 20


def resolve_asset(path: str, base_dir: Path) -> Path:
    """Resolve an asset path to a real file inside its allowed root, or raise :class:`AssetError`."""
    if path.startswith("pybullet_data:"):
        root, rel = pybullet_data_dir(), path.split(":", 1)[1]
    elif path.startswith("assets:"):
        root, rel = data_dir("assets"), path.split(":", 1)[1]
    else:
        root, rel = base_dir, path
    rel_path = Path(rel)
    if rel_path.is_absolute() or rel.startswith("~"):
        raise AssetError(
            f"absolute path '{path}' is not allowed",
            hint="use a path relative to the scenario file, 'assets:...' or 'pybullet_data:...'",
        )
    if ".." in rel_path.parts:
        raise AssetError(f"'..' in asset path '{path}' is not allowed", hint="keep assets next to the scenario")
    root_real = root.resolve()
    target = (root_real / rel_path).resolve()
    if not target.is_relative_to(root_real):
        raise AssetError(f"asset path '{path}' leaves its root through a symlink")
    if not target.is_file():
        hint = None
        if target.parent.is_dir():
            from simgen.errors import did_you_mean

            hint = did_you_mean(target.name, [p.name for p in target.parent.iterdir()])
        raise AssetError(f"asset file not found: '{path}' (looked in {root_real})", hint=hint)
    if target.stat().st_size > MAX_ASSET_BYTES:
        raise AssetError(f"asset '{path}' is larger than {MAX_ASSET_BYTES >> 20} MiB")
    return target


def check_asset_path(path: str, base_dir: Path, kind: str) -> tuple[str, str | None] | None:
    """Return (message, hint) when ``path`` is not an allowed, existing file of ``kind``, else None."""
    allowed = SUFFIXES.get(kind)
    if allowed and not path.lower().endswith(allowed):
        return (f"a {kind} path must end in {', '.join(allowed)}, got '{path}'", None)
    try:
        resolve_asset(path, base_dir)
    except AssetError as err:
        issue = err.issues[0]
        return (issue.message, issue.hint)
    return None


# Parsed mesh files, unscaled, by content identity: episodes read the same assets at new random
# scales. Bounded by count, and files over MESH_MEMO_BYTES are not kept, so memory stays flat.
_MESHES: Lru[Any] = Lru(32)
MESH_MEMO_BYTES = 4 << 20


def load_mesh(path: Path, scale: float) -> Any:
    """Load a mesh file through trimesh as one triangle mesh, scaled (metres); the caller owns the copy.

    The file is parsed once per process while it stays among the recently used ones; each call
    scales a copy of that parse (with its cached normals), which gives the same arrays as a
    fresh parse scaled.
    """
    try:
        key = file_key(path)
    except OSError as err:
        raise AssetError(f"cannot read mesh '{path.name}': {err}") from err
    unit = _MESHES.peek(key)
    if unit is None:
        unit = _parse_mesh(path)
        if key[1] <= MESH_MEMO_BYTES:
            _MESHES.put(key, unit)
    mesh = unit.copy(include_cache=True)
    mesh.apply_scale(scale)
    return mesh


def _parse_mesh(path: Path) -> Any:
    """A mesh file as one unscaled trimesh triangle mesh, or :class:`AssetError`."""
    import trimesh

    try:
        mesh = trimesh.load(str(path), force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds for bad files
        raise AssetError(f"cannot read mesh '{path.name}': {err}") from err
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AssetError(f"mesh '{path.name}' has no triangles")
    return mesh
