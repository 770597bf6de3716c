"""OpenDRIVE plan-view primitives: where the reference line is, and its heading, at arc length s.

Lines, arcs, spirals (clothoids, in closed form with Fresnel integrals), cubic polynomials and
parametric cubics, each evaluated vectorised over local arc lengths ``u`` in ``[0, length]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import fresnel


@dataclass(frozen=True)
class Geometry:
    """One ``<geometry>`` record: start (s, x, y, hdg), length and its shape's coefficients."""

    s: float
    x: float
    y: float
    hdg: float
    length: float
    kind: str  # line | arc | spiral | poly3 | paramPoly3
    coef: tuple[float, ...] = ()
    normalized: bool = False  # paramPoly3 with pRange="normalized"

    def local(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offsets (dx, dy) in the start frame and heading change at local arc lengths ``u``."""
        if self.kind == "arc":
            return _arc(u, self.coef[0])
        if self.kind == "spiral":
            return _spiral(u, self.coef[0], self.coef[1], self.length)
        if self.kind == "poly3":
            a, b, c, d = self.coef
            return _cubic_xy(u, lambda p: a + b * p + c * p**2 + d * p**3, lambda p: b + 2 * c * p + 3 * d * p**2)
        if self.kind == "paramPoly3":
            return _param_poly3(u, self.coef, self.length if self.normalized else None)
        return u, np.zeros_like(u), np.zeros_like(u)

    def pose(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World x, y and heading at local arc lengths ``u``."""
        dx, dy, dh = self.local(np.asarray(u, dtype=float))
        c, s = math.cos(self.hdg), math.sin(self.hdg)
        return self.x + c * dx - s * dy, self.y + s * dx + c * dy, self.hdg + dh


def _arc(u: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if abs(k) < 1e-12:
        return u, np.zeros_like(u), np.zeros_like(u)
    return np.sin(k * u) / k, (1 - np.cos(k * u)) / k, k * u


def _spiral(u: np.ndarray, k0: float, k1: float, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clothoid with curvature k0 + c u: heading k0 u + c u^2 / 2, position by Fresnel integrals."""
    c = (k1 - k0) / length if length > 0 else 0.0
    dh = k0 * u + c * u**2 / 2
    if abs(c) < 1e-10:  # numerically an arc
        return (*_arc(u, k0)[:2], dh)
    # theta(u) = c/2 (u + k0/c)^2 - k0^2 / (2c); substitute w = sqrt(|c|/pi) (u + k0/c)
    scale = math.sqrt(math.pi / abs(c))
    sign = 1.0 if c > 0 else -1.0
    w0 = (k0 / c) / scale
    w = (u + k0 / c) / scale
    s_w, c_w = fresnel(w)
    s_0, c_0 = fresnel(np.asarray(w0))
    re, im = scale * (c_w - c_0), sign * scale * (s_w - s_0)
    g = -(k0**2) / (2 * c)
    cg, sg = math.cos(g), math.sin(g)
    return cg * re - sg * im, sg * re + cg * im, dh


def _cubic_xy(u: np.ndarray, f, df) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """Y = f(x) in the local frame, with x chosen so the arc length matches ``u`` (numerically)."""
    xs = np.linspace(0.0, max(float(np.max(u, initial=0.0)), 1e-9) * 1.5 + 1.0, 4001)
    seg = np.sqrt(1 + df(xs[:-1] + np.diff(xs) / 2) ** 2) * np.diff(xs)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    x = np.interp(u, arc, xs)
    return x, f(x), np.arctan(df(x))


def _param_poly3(
    u: np.ndarray, coef: tuple[float, ...], length: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """u(p), v(p) cubics; p is the arc length itself or normalised to [0, 1] over ``length``."""
    au, bu, cu, du, av, bv, cv, dv = coef
    dense = np.linspace(0.0, 1.0 if length is not None else max(float(np.max(u, initial=0.0)), 1e-9), 2001)
    xs = au + bu * dense + cu * dense**2 + du * dense**3
    ys = av + bv * dense + cv * dense**2 + dv * dense**3
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(xs), np.diff(ys)))])
    p = np.interp(u, arc, dense)
    x = au + bu * p + cu * p**2 + du * p**3
    y = av + bv * p + cv * p**2 + dv * p**3
    h = np.arctan2(bv + 2 * cv * p + 3 * dv * p**2, bu + 2 * cu * p + 3 * du * p**2)
    return x, y, h


@dataclass(frozen=True)
class Poly:
    """A cubic ``a + b ds + c ds^2 + d ds^3`` that starts at ``s`` (elevation, widths, lane offset)."""

    s: float
    a: float
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0

    def at(self, ds: np.ndarray | float) -> np.ndarray | float:
        """Value ``ds`` after the start."""
        return self.a + self.b * ds + self.c * ds**2 + self.d * ds**3


def eval_polys(polys: list[Poly], s: np.ndarray, default: float = 0.0) -> np.ndarray:
    """Piecewise cubic (each record valid from its ``s`` to the next) at ``s``."""
    s = np.asarray(s, dtype=float)
    out = np.full(s.shape, default)
    if not polys:
        return out
    starts = np.array([p.s for p in polys])
    idx = np.clip(np.searchsorted(starts, s, side="right") - 1, 0, len(polys) - 1)
    for i, p in enumerate(polys):
        m = idx == i
        if np.any(m):
            out[m] = p.at(s[m] - p.s)
    return out
