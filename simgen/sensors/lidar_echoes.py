"""Beam divergence and multi-return: several rays per beam, their hits merged into echoes, echoes picked per mode.

A real LiDAR beam is a cone (``beam_divergence``, full angle in milliradians: 3 mrad is a
30 cm footprint at 100 m). Where it straddles an edge, part of the pulse comes back from the
foreground and part from what lies behind: the receiver sees two echoes, or one smeared echo
between them when the surfaces are closer than its range resolution (the "mixed pixels" that
trail object edges in real point clouds). Sensors then report one or two of the echoes per
beam (``returns``: strongest, first, last, or dual = strongest and last).

Model: each beam is cast as ``S`` rays, one on its axis and ``S - 1`` on a ring, each standing
for an equal share of the beam's cross-section (a uniform, top-hat beam: the axis ray covers the
central disc of radius ``R / sqrt(S)``, the ring sits at the radius that halves the area of the
annulus outside it). A ray's *energy* is ``reflectivity x |cos incidence| / S``. Along each
beam the hit rays are sorted by range and split wherever two consecutive ranges differ by more
than ``echo_separation``; each run is one echo, with energy the sum of its rays' energies
(the point's ``intensity``: a beam fully on one surface gives the single-ray intensity), range
their energy-weighted mean, and labels of its most energetic ray (the nearest on ties). Points
lie on the beam's axis at the echo's range, as a sensor reports them; ``echo`` is 0 for the
echo the mode picks and 1 for dual's second (the last, when it is not also the strongest).
Rays meeting the sensor's own mount are blocked and return nothing.
"""

from __future__ import annotations

import numpy as np

from simgen.sensors.lidar_kernels import LabelTables, RayTables, SweepPoints, deskewed_xyz

RETURN_MODES = ("strongest", "first", "last", "dual")


def beam_offsets(divergence_mrad: float, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(angle from the axis in radians, angle around it) of each of a beam's ``samples`` rays."""
    half = divergence_mrad * 1e-3 / 2
    inner = half / np.sqrt(samples)  # the axis ray's disc
    ring = np.sqrt((inner**2 + half**2) / 2)  # halves the annulus's area
    off = np.concatenate([[0.0], np.full(samples - 1, ring)])
    around = np.concatenate([[0.0], 2 * np.pi * np.arange(samples - 1) / (samples - 1)])
    return off, around


def beam_rays(dirs: np.ndarray, divergence_mrad: float, samples: int) -> np.ndarray:
    """(N * S, 3) float64 unit directions: each of the (N, 3) beam axes ``dirs`` fanned into its ``S`` rays.

    The ring turns about the axis from the beam's horizontal side vector (``axis x z``; ``y`` for
    a vertical beam), so neighbouring beams' rays are laid out alike.
    """
    d = np.asarray(dirs, dtype=np.float64)
    side = np.cross(d, [0.0, 0.0, 1.0])
    norm = np.linalg.norm(side, axis=1, keepdims=True)
    side = np.where(norm > 1e-9, side / np.where(norm > 1e-9, norm, 1.0), [0.0, 1.0, 0.0])
    up = np.cross(side, d)
    off, around = beam_offsets(divergence_mrad, samples)
    lateral = np.cos(around)[None, :, None] * side[:, None, :] + np.sin(around)[None, :, None] * up[:, None, :]
    out = np.cos(off)[None, :, None] * d[:, None, :] + np.sin(off)[None, :, None] * lateral
    out /= np.linalg.norm(out, axis=2, keepdims=True)
    return out.reshape(-1, 3)


def first_max(values: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Index of the first largest of ``values`` in each group; ``group`` (K,) runs 0..groups-1, sorted, none empty."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], group[1:] != group[:-1]]))
    best = np.maximum.reduceat(values, starts)
    index = np.where(values == best[group], np.arange(len(values)), len(values))
    return np.minimum.reduceat(index, starts)


def merge_echoes(
    distance: np.ndarray, energy: np.ndarray, uid: np.ndarray, separation: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Echoes of N beams from their rays' hits, each (N, S): metres (inf: no hit), energy, owner uid.

    Returns per echo, beam by beam and nearest first: ``beam`` (E,) index, ``range`` (E,)
    float64 energy-weighted mean, ``energy`` (E,) float64 sum, ``uid`` (E,) of the most
    energetic ray (the nearest on ties), and ``order`` (E,) int: its rank along the beam.
    """
    n, s = distance.shape
    order = np.argsort(distance, axis=1, kind="stable")
    r = np.take_along_axis(distance, order, axis=1)
    e = np.take_along_axis(energy, order, axis=1)
    u = np.take_along_axis(uid, order, axis=1)
    hit = np.isfinite(r)
    gap = np.ones((n, s), dtype=bool)
    with np.errstate(invalid="ignore"):  # inf - inf between two misses: not a hit, masked below
        gap[:, 1:] = (r[:, 1:] - r[:, :-1]) > separation
    start = hit & gap  # a hit ray that opens a new echo
    echo = np.cumsum(start, axis=1) - 1  # rank of each ray's echo along its beam
    count = start.sum(axis=1)
    first_row = np.concatenate([[0], np.cumsum(count)[:-1]])  # echo row of each beam's nearest
    rows = (first_row[:, None] + echo)[hit]  # echo row of every hit ray
    m = int(count.sum())
    # Weights never vanish, so a black surface still gets a range: a zero-energy echo is kept,
    # as the single-ray model keeps zero-intensity points.
    w = e[hit] + 1e-12
    total = np.bincount(rows, weights=w, minlength=m)
    rng = np.bincount(rows, weights=w * r[hit], minlength=m) / total
    energy_sum = np.bincount(rows, weights=e[hit], minlength=m)
    # The most energetic ray of each echo (the nearest on ties): rays are grouped by echo row, nearest first.
    owner = u[hit][first_max(e[hit], rows, m)]
    beam = np.repeat(np.arange(n), count)
    rank = np.arange(m) - np.repeat(first_row, count)
    return beam, rng, energy_sum, owner, rank


def pick(
    beam: np.ndarray, energy: np.ndarray, rank: np.ndarray, n_beams: int, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Echo rows to report per ``mode``, in firing order (beam, then nearer first), and each one's ``echo`` index."""
    if mode not in RETURN_MODES:
        raise ValueError(f"unknown returns mode {mode!r}; one of {', '.join(RETURN_MODES)}")
    count = np.bincount(beam, minlength=n_beams)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    has = count > 0
    first_rows, last_rows = first[has], (first + count - 1)[has]
    if mode == "first":
        return first_rows, np.zeros(len(first_rows), dtype=np.uint8)
    if mode == "last":
        return last_rows, np.zeros(len(last_rows), dtype=np.uint8)
    # Strongest per beam (the nearest on ties): echo rows are grouped by beam, nearest first.
    strongest = first_max(energy, np.repeat(np.arange(int(has.sum())), count[has]), int(has.sum()))
    if mode == "strongest":
        return strongest, np.zeros(len(strongest), dtype=np.uint8)
    second = last_rows != strongest  # dual: the last echo too, when it is not the strongest
    rows = np.concatenate([strongest, last_rows[second]])
    tag = np.concatenate([np.zeros(len(strongest), np.uint8), np.ones(int(second.sum()), np.uint8)])
    order = np.argsort(rows, kind="stable")  # firing order: beam, then nearer echo first
    return rows[order], tag[order]


def echo_points(
    prim: np.ndarray,
    t: np.ndarray,
    near: float,
    owner: np.ndarray,
    normal: np.ndarray,
    dirs_w: np.ndarray,
    samples: int,
    beams: RayTables,
    labels: LabelTables,
    mode: str,
    separation: float,
    exclude: int = -2,
    keep: np.ndarray | None = None,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
    deskew: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[SweepPoints, np.ndarray]:
    """The reported echoes of a sweep cast ``samples`` rays per beam; (points, ``echo`` (M,) uint8).

    ``prim``, ``t``, ``owner``, ``normal`` as for :func:`~simgen.sensors.lidar_kernels.assemble`,
    over the N * S rays (beam by beam, the axis ray first), ``dirs_w`` their world directions;
    ``beams`` the N beams' own tables (axis directions, ring, column, time). ``keep`` (N,) drops
    whole beams (dropout); ``noise`` is added to each reported range in firing order;
    ``deskew`` as for ``assemble``.
    """
    n = len(beams.ring)
    hit = prim >= 0
    uid = np.where(hit, owner.take(np.maximum(prim, 0)), -1)
    hit &= uid != exclude
    nrm = normal.take(np.maximum(prim, 0), axis=0)
    cos = np.abs(nrm[:, 0] * dirs_w[:, 0] + nrm[:, 1] * dirs_w[:, 1] + nrm[:, 2] * dirs_w[:, 2]).astype(np.float64)
    energy = np.where(hit, labels.reflectivity.take(np.maximum(uid, 0)) * cos / samples, 0.0)
    distance = np.where(hit, t.astype(np.float64) + near, np.inf)
    lit = np.flatnonzero(hit.reshape(n, samples).any(axis=1))  # beams with any hit (a sky is mostly empty)
    beam, rng_e, energy_e, uid_e, rank = merge_echoes(
        distance.reshape(n, samples)[lit], energy.reshape(n, samples)[lit], uid.reshape(n, samples)[lit], separation
    )
    beam = lit[beam]
    rows, tag = pick(beam, energy_e, rank, n, mode)
    if keep is not None:
        kept = keep[beam[rows]]
        rows, tag = rows[kept], tag[kept]
    b = beam[rows]
    r = rng_e[rows]
    if noise > 0:
        assert rng is not None, "noise needs a generator"
        r = r + rng.normal(0.0, noise, len(r))
    u = uid_e[rows]
    r32 = r.astype(np.float32)
    if deskew is None:
        xyz = beams.dirs.take(b, axis=0) * r32[:, None]
    else:  # the point at its beam's own pose, then in the sensor frame at sweep start
        xyz = deskewed_xyz(beams.dirs64.take(b, axis=0), r, beams.column.take(b), *deskew)
    points = SweepPoints(
        xyz=xyz,
        range=r32,
        intensity=np.minimum(energy_e[rows], 1.0).astype(np.float32),
        ring=beams.ring.take(b),
        column=beams.column.take(b),
        time=beams.time.take(b),
        instance=labels.instance.take(u),
        semantic=labels.category.take(u),
    )
    return points, tag


__all__ = ["RETURN_MODES", "beam_offsets", "beam_rays", "echo_points", "first_max", "merge_echoes", "pick"]
