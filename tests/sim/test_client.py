"""The pybullet client: episode reset and the leak-free convex collision shape."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from simgen.sim.client import BulletClient, convex_shape

CUBE = np.array([[x, y, z] for x in (-0.1, 0.1) for y in (-0.2, 0.2) for z in (-0.05, 0.05)])


def test_convex_shape_gives_back_every_reference() -> None:
    points = [[0.5, 0.25, 0.125], [1.5, 0.5, 0.5], [0.7, 1.1, 0.3], [0.1, 0.2, 1.3]]
    objs = [points, *points, *(c for v in points for c in v)]
    before = [sys.getrefcount(o) for o in objs]
    with BulletClient() as client:
        assert convex_shape(client, points) >= 0
    assert [sys.getrefcount(o) for o in objs] == before


def test_convex_shape_collides_like_its_hull(client: BulletClient) -> None:
    p, cid = client.p, client.id
    client.reset()
    col = convex_shape(client, CUBE)
    uid = p.createMultiBody(1.0, col, -1, [0, 0, 0], physicsClientId=cid)
    lo, hi = p.getAABB(uid, physicsClientId=cid)
    # pybullet pads a convex hull by its collision margin (0.04 m by default in DIRECT mode)
    np.testing.assert_allclose(np.array(hi) - np.array(lo), [0.2, 0.4, 0.1], atol=0.1)
    assert np.array(hi)[1] - np.array(lo)[1] > np.array(hi)[0] - np.array(lo)[0]


_GROWTH = """
import sys
from pathlib import Path
import pybullet_data
from simgen.sim.client import BulletClient

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))

tmp, reset = Path(sys.argv[1]), sys.argv[2] == "reset"
text = (Path(pybullet_data.getDataPath()) / "duck.obj").read_text()
with BulletClient() as client:
    p, cid = client.p, client.id
    for i in range(80):
        if i == 20:
            start = rss_kb()  # after the allocator's first pages
        if reset:
            client.reset()
        path = tmp / f"{i}.obj"
        path.write_text(text)
        p.createVisualShape(p.GEOM_MESH, fileName=str(path), physicsClientId=cid)
    print(rss_kb() - start)
"""


def _growth_kb(tmp: Path, mode: str) -> int:
    """RSS growth of 60 fresh OBJ files loaded in a fresh process (so no earlier test's heap hides it)."""
    import os
    import subprocess

    tmp.mkdir()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cmd = [sys.executable, "-c", _GROWTH, str(tmp), mode]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])


def test_reset_turns_pybullet_file_caches_off(tmp_path: Path) -> None:
    """pybullet keeps every OBJ it parsed until the process ends, unless the client's reset turned caching off."""
    without = _growth_kb(tmp_path / "cached", "keep")
    with_reset = _growth_kb(tmp_path / "reset", "reset")
    assert without > 2000, "the experiment no longer shows pybullet's cache (each duck ~150 KB)"
    assert with_reset < without / 4
