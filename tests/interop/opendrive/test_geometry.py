"""Plan-view primitives against numeric integration of their curvature."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.interop.opendrive.geometry import Geometry


def _integrate(x0, y0, h0, curvature, length, n=200_001):
    u = np.linspace(0, length, n)
    k = curvature(u)
    h = h0 + np.concatenate([[0], np.cumsum((k[1:] + k[:-1]) / 2 * np.diff(u))])
    x = x0 + np.concatenate([[0], np.cumsum((np.cos(h[1:]) + np.cos(h[:-1])) / 2 * np.diff(u))])
    y = y0 + np.concatenate([[0], np.cumsum((np.sin(h[1:]) + np.sin(h[:-1])) / 2 * np.diff(u))])
    return u, x, y, h


@pytest.mark.parametrize(("k0", "k1"), [(0.0, 0.02), (0.01, -0.03), (-0.05, -0.001), (0.02, 0.02 + 1e-12)])
def test_spiral_matches_integrated_curvature(k0, k1):
    length = 60.0
    g = Geometry(0.0, 3.0, -2.0, 0.7, length, "spiral", (k0, k1))
    u, x, y, h = _integrate(3.0, -2.0, 0.7, lambda s: k0 + (k1 - k0) / length * s, length)
    pick = [0, 50_000, 123_457, 200_000]
    gx, gy, gh = g.pose(u[pick])
    assert np.allclose(gx, x[pick], atol=1e-6) and np.allclose(gy, y[pick], atol=1e-6)
    assert np.allclose(gh, h[pick], atol=1e-9)


def test_arc_stays_on_its_circle_and_line_is_straight():
    g = Geometry(0.0, 0.0, 0.0, 0.0, 100.0, "arc", (0.01,))
    x, y, h = g.pose(np.linspace(0, 100, 11))
    assert np.allclose(np.hypot(x, y - 100.0), 100.0)
    assert np.allclose(h, np.linspace(0, 1, 11))
    x, y, _ = Geometry(0.0, 1.0, 1.0, np.pi / 2, 10.0, "line").pose(np.array([10.0]))
    assert np.allclose([x[0], y[0]], [1.0, 11.0])


def test_param_poly3_arc_length_parameter():
    # u = p, v = 0: a straight line whatever the range mode
    g = Geometry(0.0, 0.0, 0.0, 0.0, 10.0, "paramPoly3", (0, 1, 0, 0, 0, 0, 0, 0), False)
    x, y, _ = g.pose(np.array([0.0, 5.0, 10.0]))
    assert np.allclose(x, [0, 5, 10]) and np.allclose(y, 0)
    g = Geometry(0.0, 0.0, 0.0, 0.0, 10.0, "paramPoly3", (0, 10, 0, 0, 0, 0, 0, 0), True)
    x, _, _ = g.pose(np.array([5.0]))
    assert np.isclose(x[0], 5.0, atol=1e-3)
