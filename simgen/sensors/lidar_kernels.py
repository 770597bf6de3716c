"""LiDAR's per-ray work in single passes: world-frame rays before the cast, labeled points after it.

A sweep of 131,072 rays is cast by Embree in about 6 ms on one core; the work around the cast
(turning sensor-frame directions into world rays, keeping the hits, drawing range noise,
labels, intensity, xyz, ring/column/time) took as long again as some 40 separate numpy passes.
Here it is two loops compiled by numba (``pip install simgen[lidar]``), each touching a ray once,
and the same arithmetic in numpy where numba is absent: both give byte-identical results (same
float32/float64 operations in the same order, and range noise drawn from the sensor's own
``numpy.random.Generator``, which numba advances exactly as numpy does). ``SIMGEN_NUMBA=0`` in
the environment forces the numpy path.

Draw order, the same on both paths: dropout (one uniform per ray, sensor generator), fault
dropouts (one uniform per ray per active fault, fault generator), then one normal per kept
return, in firing order, for range noise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

numba: Any
try:  # numba is part of the 'lidar' extra; without it the numpy path below runs
    import numba
except ImportError:  # pragma: no cover - exercised by the SIMGEN_NUMBA=0 tests instead
    numba = None


def use_numba() -> bool:
    """Whether the compiled loops run: numba importable and ``SIMGEN_NUMBA`` not set to 0."""
    return numba is not None and os.environ.get("SIMGEN_NUMBA", "1") != "0"


@dataclass
class SweepPoints:
    """The labeled returns of one sweep, in firing order (see :class:`~simgen.sensors.lidar.model.LidarScan`)."""

    xyz: np.ndarray  # (M, 3) float32 metres, sensor frame
    range: np.ndarray  # (M,) float32 metres
    intensity: np.ndarray  # (M,) float32
    ring: np.ndarray  # (M,) uint16
    column: np.ndarray  # (M,) uint32
    time: np.ndarray  # (M,) float32 seconds after capture
    instance: np.ndarray  # (M,) int32
    semantic: np.ndarray  # (M,) uint16


@dataclass
class RayTables:
    """Per-ray constants of a scan pattern (N rays, column-major: ring inside column)."""

    dirs: np.ndarray  # (N, 3) float32 unit directions, sensor frame
    dirs64: np.ndarray  # (N, 3) float64 the same (de-skew works in float64)
    ring: np.ndarray  # (N,) uint16
    column: np.ndarray  # (N,) uint32
    time: np.ndarray  # (N,) float32 seconds after capture


@dataclass
class LabelTables:
    """Per body uid: instance id, category id and reflectivity (see ``raycast.label_tables``)."""

    instance: np.ndarray  # (U,) int32
    category: np.ndarray  # (U,) uint16
    reflectivity: np.ndarray  # (U,) float64


# --------------------------------------------------------------------------- world-frame rays


def _world_rays_numpy(
    dirs: np.ndarray, rot: np.ndarray, org: np.ndarray, column: np.ndarray, near: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(dirs)
    r = rot.astype(np.float32)
    o = org.astype(np.float32)
    out_d = np.empty((n, 3), dtype=np.float32)
    x, y, z = dirs[:, 0], dirs[:, 1], dirs[:, 2]
    if len(r) == 1:  # one pose for the sweep
        for i in range(3):
            out_d[:, i] = x * r[0, i, 0] + y * r[0, i, 1] + z * r[0, i, 2]
        start = out_d * np.float32(near)
        start += o[0]
        return start, out_d
    rc, oc = r[column], o[column]  # one pose per ray's column
    for i in range(3):
        out_d[:, i] = x * rc[:, i, 0] + y * rc[:, i, 1] + z * rc[:, i, 2]
    start = out_d * np.float32(near)
    start += oc
    return start, out_d


def _world_rays_loop(dirs, rot, org, column, near, start, out_d):  # noqa: ANN001, ANN202 - compiled by numba
    r = rot.astype(np.float32)
    o = org.astype(np.float32)
    nr = np.float32(near)
    if r.shape[0] == 1:  # one pose: its nine numbers held in registers, the loop vectorizes
        r00, r01, r02, r10, r11, r12 = r[0, 0, 0], r[0, 0, 1], r[0, 0, 2], r[0, 1, 0], r[0, 1, 1], r[0, 1, 2]
        r20, r21, r22, o0, o1, o2 = r[0, 2, 0], r[0, 2, 1], r[0, 2, 2], o[0, 0], o[0, 1], o[0, 2]
        for k in range(dirs.shape[0]):
            x, y, z = dirs[k, 0], dirs[k, 1], dirs[k, 2]
            a = x * r00 + y * r01 + z * r02
            b = x * r10 + y * r11 + z * r12
            c = x * r20 + y * r21 + z * r22
            out_d[k, 0], out_d[k, 1], out_d[k, 2] = a, b, c
            start[k, 0], start[k, 1], start[k, 2] = a * nr + o0, b * nr + o1, c * nr + o2
        return
    k = 0
    n = dirs.shape[0]
    while k < n:  # runs of rays sharing a column (and so a pose), each like the one-pose loop
        c = column[k]
        r00, r01, r02, r10, r11, r12 = r[c, 0, 0], r[c, 0, 1], r[c, 0, 2], r[c, 1, 0], r[c, 1, 1], r[c, 1, 2]
        r20, r21, r22, o0, o1, o2 = r[c, 2, 0], r[c, 2, 1], r[c, 2, 2], o[c, 0], o[c, 1], o[c, 2]
        end = k + 1
        while end < n and column[end] == c:
            end += 1
        for q in range(k, end):
            x, y, z = dirs[q, 0], dirs[q, 1], dirs[q, 2]
            a = x * r00 + y * r01 + z * r02
            b = x * r10 + y * r11 + z * r12
            e = x * r20 + y * r21 + z * r22
            out_d[q, 0], out_d[q, 1], out_d[q, 2] = a, b, e
            start[q, 0], start[q, 1], start[q, 2] = a * nr + o0, b * nr + o1, e * nr + o2
        k = end


def world_rays(
    dirs: np.ndarray, rot: np.ndarray, org: np.ndarray, column: np.ndarray, near: float
) -> tuple[np.ndarray, np.ndarray]:
    """Ray starts and world-frame directions of a sweep.

    ``dirs`` (N, 3) float32 sensor-frame unit directions; ``rot`` (P, 3, 3) and ``org`` (P, 3)
    float64 world_from_sensor rotation and origin, P = 1 (one pose) or one per column, picked
    by ``column`` (N,) uint32. Returns ``start`` (N, 3) float32 = origin + ``near`` * direction
    and the directions (N, 3) float32, rotated in float32 as Embree casts them.
    """
    if not use_numba():
        return _world_rays_numpy(dirs, rot, org, column, near)
    start = np.empty((len(dirs), 3), dtype=np.float32)
    out_d = np.empty((len(dirs), 3), dtype=np.float32)
    _kernels()["world_rays"](dirs, rot, org, column, near, start, out_d)
    return start, out_d


# --------------------------------------------------------------------------- labeled points


def deskewed_xyz(dirs64: np.ndarray, r: np.ndarray, col: np.ndarray, rot: np.ndarray, org: np.ndarray) -> np.ndarray:
    """(M, 3) float32 points ``r`` metres along sensor-frame ``dirs64`` (M, 3), in the sensor frame at sweep start.

    Each point is placed in the world from its column's pose (``rot`` (C, 3, 3), ``org`` (C, 3),
    picked by ``col`` (M,)), then brought into column 0's frame; the compiled loop does the same
    float64 arithmetic in the same order.
    """
    s = dirs64 * r[:, None]
    rc, oc = rot[col], org[col]
    w = [s[:, 0] * rc[:, i, 0] + s[:, 1] * rc[:, i, 1] + s[:, 2] * rc[:, i, 2] + oc[:, i] - org[0, i] for i in range(3)]
    xyz = np.empty((len(r), 3), dtype=np.float32)
    for i in range(3):
        xyz[:, i] = w[0] * rot[0, 0, i] + w[1] * rot[0, 1, i] + w[2] * rot[0, 2, i]
    return xyz


def _assemble_numpy(
    prim: np.ndarray,
    t: np.ndarray,
    near: float,
    owner: np.ndarray,
    normal: np.ndarray,
    dirs_w: np.ndarray,
    rays: RayTables,
    labels: LabelTables,
    exclude: int,
    keep: np.ndarray | None,
    noise: float,
    rng: np.random.Generator | None,
    deskew: tuple[np.ndarray, np.ndarray] | None,
) -> SweepPoints:
    hit = prim >= 0
    uid = np.where(hit, owner.take(np.maximum(prim, 0)), -1)
    hit &= uid != exclude
    if keep is not None:
        hit &= keep
    idx = np.flatnonzero(hit)
    p = prim.take(idx)
    u = uid.take(idx)
    r = t.take(idx).astype(np.float64)
    r += near
    if noise > 0:
        assert rng is not None, "noise needs a generator"
        r = r + rng.normal(0.0, noise, len(r))
    n, d = normal.take(p, axis=0), dirs_w.take(idx, axis=0)
    cos = np.abs(n[:, 0] * d[:, 0] + n[:, 1] * d[:, 1] + n[:, 2] * d[:, 2])
    r32 = r.astype(np.float32)
    if deskew is None:
        xyz = rays.dirs.take(idx, axis=0) * r32[:, None]
    else:
        xyz = deskewed_xyz(rays.dirs64.take(idx, axis=0), r, rays.column.take(idx), *deskew)
    return SweepPoints(
        xyz=xyz,
        range=r32,
        intensity=(labels.reflectivity.take(u) * cos).astype(np.float32),
        ring=rays.ring.take(idx),
        column=rays.column.take(idx),
        time=rays.time.take(idx),
        instance=labels.instance.take(u),
        semantic=labels.category.take(u),
    )


def _assemble_loop(  # noqa: ANN202, PLR0913 - compiled by numba
    prim,
    t,
    near,
    owner,
    normal,
    dirs_w,
    dirs,
    dirs64,
    ring,
    column,
    time,
    inst,
    cat,
    refl,  # noqa: ANN001
    exclude,
    keep,
    noisy,
    rot,
    org,
    deskew,  # noqa: ANN001
    xyz,
    rng_out,
    inten,
    ring_out,
    col_out,
    time_out,
    inst_out,
    cat_out,  # noqa: ANN001
):
    """One pass over the rays; outputs have room for every ray, the first ``j`` are filled.

    With ``noisy`` (range noise to come; float32 ``t`` and no ``deskew`` then) ``rng_out`` gets the cast's own
    distance and ``xyz`` the unit direction, for :func:`_noise_loop` to finish: drawing from
    the generator inside this loop made the compiled loop a third slower even when no noise
    was drawn.
    """
    every = keep.shape[0] == 0
    j = 0
    for k in range(prim.shape[0]):
        if prim[k] < 0:
            continue
        p = np.uint32(prim[k])  # unsigned indices: numba then skips its negative-index wraparound
        u = np.uint32(owner[p])
        if owner[p] == exclude or not (every or keep[k]):
            continue
        c = np.abs(normal[p, 0] * dirs_w[k, 0] + normal[p, 1] * dirs_w[k, 1] + normal[p, 2] * dirs_w[k, 2])
        if noisy:
            rng_out[j] = t[k]
            xyz[j, 0], xyz[j, 1], xyz[j, 2] = dirs[k, 0], dirs[k, 1], dirs[k, 2]
        elif deskew:
            r = np.float64(t[k]) + near
            rng_out[j] = np.float32(r)
            col = column[k]
            s0, s1, s2 = dirs64[k, 0] * r, dirs64[k, 1] * r, dirs64[k, 2] * r
            w0 = s0 * rot[col, 0, 0] + s1 * rot[col, 0, 1] + s2 * rot[col, 0, 2] + org[col, 0] - org[0, 0]
            w1 = s0 * rot[col, 1, 0] + s1 * rot[col, 1, 1] + s2 * rot[col, 1, 2] + org[col, 1] - org[0, 1]
            w2 = s0 * rot[col, 2, 0] + s1 * rot[col, 2, 1] + s2 * rot[col, 2, 2] + org[col, 2] - org[0, 2]
            for i in range(3):
                xyz[j, i] = np.float32(w0 * rot[0, 0, i] + w1 * rot[0, 1, i] + w2 * rot[0, 2, i])
        else:
            r32 = np.float32(np.float64(t[k]) + near)
            rng_out[j] = r32
            xyz[j, 0], xyz[j, 1], xyz[j, 2] = dirs[k, 0] * r32, dirs[k, 1] * r32, dirs[k, 2] * r32
        inten[j] = np.float32(refl[u] * np.float64(c))
        ring_out[j] = ring[k]
        col_out[j] = column[k]
        time_out[j] = time[k]
        inst_out[j] = inst[u]
        cat_out[j] = cat[u]
        j += 1
    return j


def _noise_loop(m, near, std, rng, xyz, rng_out):  # noqa: ANN001, ANN202 - compiled by numba
    """Range noise on the first ``m`` returns, in firing order, as ``numpy``'s ``rng.normal(0, std, m)``."""
    for j in range(m):
        r = np.float64(rng_out[j]) + near
        r = r + (0.0 + std * rng.standard_normal())  # loc + scale * z: the same ziggurat, the same stream
        r32 = np.float32(r)
        rng_out[j] = r32
        xyz[j, 0], xyz[j, 1], xyz[j, 2] = xyz[j, 0] * r32, xyz[j, 1] * r32, xyz[j, 2] * r32


def assemble(
    prim: np.ndarray,
    t: np.ndarray,
    near: float,
    owner: np.ndarray,
    normal: np.ndarray,
    dirs_w: np.ndarray,
    rays: RayTables,
    labels: LabelTables,
    exclude: int = -2,
    keep: np.ndarray | None = None,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    deskew: tuple[np.ndarray, np.ndarray] | None = None,
) -> SweepPoints:
    """The labeled returns of a cast sweep.

    ``prim`` (N,) int32 hit primitive per ray (-1: none) indexing ``owner`` (P,) int32 body uid
    and ``normal`` (P, 3) float32 unit normal; ``t`` (N,) float32/64 metres from the ray start,
    which lies ``near`` out; ``dirs_w`` (N, 3) float32 world-frame directions (for the incidence
    angle). Hits on body ``exclude`` and rays with ``keep`` False are dropped; ``noise`` is the
    std of Gaussian range noise drawn from ``rng``. ``deskew`` = (rot (C, 3, 3), org (C, 3))
    per-column world_from_sensor: points are then expressed in the sensor frame of column 0.
    Intensity = reflectivity of the owner x |cos incidence|.
    """
    if noise > 0 and rng is None:
        raise ValueError("range noise needs a generator")
    if not use_numba() or (noise > 0 and (deskew is not None or t.dtype != np.float32)):
        # Noise is added in a second loop from the float32 distance kept by the first: with
        # de-skew, or float64 distances (rayTestBatch, itself 20x slower), numpy does it all.
        return _assemble_numpy(prim, t, near, owner, normal, dirs_w, rays, labels, exclude, keep, noise, rng, deskew)
    keep_arr = np.zeros(0, dtype=np.bool_) if keep is None else keep
    rot, org = deskew if deskew is not None else (np.zeros((1, 3, 3)), np.zeros((1, 3)))
    n = len(prim)  # room for every ray; the returned arrays are the filled front (views, contiguous)
    noisy = noise > 0
    buf = (
        np.empty((n, 3), dtype=np.float32), np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32),
        np.empty(n, dtype=np.uint16), np.empty(n, dtype=np.uint32), np.empty(n, dtype=np.float32),
        np.empty(n, dtype=np.int32), np.empty(n, dtype=np.uint16),
    )  # fmt: skip
    k = _kernels()
    m = k["assemble"](
        prim, t, float(near), owner, normal, dirs_w, rays.dirs, rays.dirs64, rays.ring, rays.column, rays.time,
        labels.instance, labels.category, labels.reflectivity, int(exclude), keep_arr, noisy,
        np.ascontiguousarray(rot, dtype=np.float64), np.ascontiguousarray(org, dtype=np.float64), deskew is not None,
        *buf,
    )  # fmt: skip
    if noisy:
        k["noise"](m, float(near), float(noise), rng, buf[0], buf[1])
    return SweepPoints(*(a[:m] for a in buf))


_COMPILED: dict[str, object] = {}


def _kernels() -> dict[str, Any]:
    """The loops above compiled with numba (cached on disk next to this module, or numba's user cache)."""
    if not _COMPILED:
        jit = numba.njit(cache=True, nogil=True)
        _COMPILED.update(
            world_rays=jit(_world_rays_loop),
            assemble=jit(_assemble_loop),
            noise=jit(_noise_loop),
        )
    return _COMPILED


__all__ = ["LabelTables", "RayTables", "SweepPoints", "assemble", "deskewed_xyz", "use_numba", "world_rays"]
