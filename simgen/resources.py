"""Where shipped scenarios and assets live, in a checkout or an installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    """Folder of shipped data ``name`` ('scenarios' or 'assets').

    An installed wheel carries them as package data under ``simgen/_data``; a source checkout
    (editable install) keeps them at the repository's top level.
    """
    packaged = Path(str(resources.files("simgen"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def scenario_path(name: str) -> Path:
    """Path of a shipped scenario by name (``quickstart`` -> ``.../scenarios/quickstart.yaml``)."""
    return data_dir("scenarios") / f"{name}.yaml"


def shipped_scenarios() -> list[Path]:
    """All shipped scenario files, sorted by name."""
    return sorted(data_dir("scenarios").glob("*.yaml"))


def pybullet_data_dir() -> Path:
    """Pybullet's bundled data folder (URDFs, meshes, textures); importing it does not load pybullet."""
    import pybullet_data

    return Path(pybullet_data.getDataPath())
