"""Render backends behind one small interface: ``attach`` to a client, ``render`` a camera.

- ``tiny``: pybullet's TinyRenderer, CPU, always available.
- ``egl``: pybullet's EGL plugin (GPU, or Mesa llvmpipe on CPU); loaded once per client.
- ``auto``: EGL when it loads, else TinyRenderer with a one-line notice.
- ``cycles``, ``eevee``, ``workbench``: photoreal RGB from Blender (optional ``bpy`` extra) over
  a TinyRenderer pass that still gives depth, ids and labels (see :mod:`simgen.sensors.blender`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from simgen.errors import SimgenError, did_you_mean
from simgen.sensors.camera.model import CameraSpec
from simgen.sensors.camera.pinhole import metric_depth, projection_matrix, view_matrix
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

PHOTOREAL = ("cycles", "eevee", "workbench")
RENDERERS = ("auto", "egl", "tiny", *PHOTOREAL)
EGL_WARMUP_RENDERS = 2


@dataclass
class RawImage:
    """What one render call returns: rgb (H, W, 3) uint8, depth (H, W) float32 m, seg (H, W) int32 uid."""

    rgb: np.ndarray
    depth: np.ndarray
    body_uid: np.ndarray


def attach(client: BulletClient, renderer: str) -> None:
    """Make ``renderer`` ('egl' or 'tiny') usable on ``client``; EGL loads its plugin once."""
    if renderer == "egl" and "egl" not in client.plugins:
        import pkgutil

        loader = pkgutil.get_loader("eglRenderer")
        plugin = -1
        if loader is not None:
            with quiet_stdout(stderr=True):
                path = loader.get_filename()  # type: ignore[attr-defined]  # a file loader; typeshed's Protocol lacks it
                plugin = client.p.loadPlugin(path, "_eglRendererPlugin", physicsClientId=client.id)
        if plugin < 0:
            raise SimgenError(
                "the EGL renderer could not start",
                hint="install Mesa's EGL (apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri) or use --renderer tiny",
            )
        client.plugins["egl"] = plugin
        # The first two hardware renders after the plugin loads shade differently from every later
        # one (measured on Mesa llvmpipe: up to 37/255 per channel), which made an episode's
        # pixels depend on how many frames its process had rendered before, i.e. on the worker
        # count. Two throwaway 1x1 renders bring the renderer to its steady state.
        with quiet_stdout(stderr=True):
            for _ in range(EGL_WARMUP_RENDERS):
                client.p.getCameraImage(1, 1, renderer=client.p.ER_BULLET_HARDWARE_OPENGL, physicsClientId=client.id)


def resolve_renderer(requested: str, *, notify: bool = True) -> str:
    """Turn 'auto' into 'egl' or 'tiny' by trying EGL once in a scratch client."""
    if requested not in RENDERERS:
        raise SimgenError(
            f"unknown renderer '{requested}'; expected one of {', '.join(RENDERERS)}",
            hint=did_you_mean(requested, RENDERERS),
        )
    if requested in PHOTOREAL:
        from simgen.sensors.blender import require_bpy

        require_bpy()  # a one-line error with the install command when the extra is missing
        return requested
    if requested != "auto":
        return requested
    try:
        with BulletClient() as client:
            attach(client, "egl")
        return "egl"
    except SimgenError:
        if notify:
            from simgen.core.notices import notice

            notice("EGL renderer unavailable, using TinyRenderer (CPU)", kind="renderer")
        return "tiny"


def raster_of(renderer: str) -> str:
    """The pybullet rasteriser behind ``renderer``: itself for egl/tiny, TinyRenderer under a photoreal one."""
    return renderer if renderer in ("egl", "tiny") else "tiny"


def render(client: BulletClient, cam: CameraSpec, renderer: str, light: dict[str, Any] | None = None) -> RawImage:
    """One ``getCameraImage`` call: RGB, metric depth and per-pixel body uid (-1 for nothing).

    ``light``: extra getCameraImage lighting arguments (``World.render_light()``).
    """
    p = client.p
    flags = p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX
    mode = p.ER_BULLET_HARDWARE_OPENGL if renderer == "egl" else p.ER_TINY_RENDERER
    w, h, rgba, depth, seg = p.getCameraImage(
        cam.width,
        cam.height,
        viewMatrix=view_matrix(cam).flatten(order="F").tolist(),
        projectionMatrix=projection_matrix(cam, renderer).flatten(order="F").tolist(),
        renderer=mode,
        flags=flags,
        shadow=0,
        physicsClientId=client.id,
        **(light or {}),
    )
    # cvtColor drops alpha in one pass; numpy's [..., :3] copy of a 3-byte inner stride is ~20x slower.
    rgb = cv2.cvtColor(np.asarray(rgba, dtype=np.uint8).reshape(h, w, 4), cv2.COLOR_RGBA2RGB)
    depth_m = metric_depth(np.asarray(depth, dtype=np.float32).reshape(h, w), cam.near, cam.far)
    seg = np.asarray(seg, dtype=np.int32).reshape(h, w)
    # OBJECT_AND_LINKINDEX packs uid + ((link + 1) << 24); keep the body uid, -1 stays -1.
    uid = np.where(seg >= 0, seg & ((1 << 24) - 1), -1).astype(np.int32)
    # TinyRenderer leaves empty pixels just short of the far plane (depth ~ far, not 1.0); the
    # segmentation says exactly where nothing was hit.
    depth_m[uid < 0] = 0.0
    return RawImage(rgb=rgb, depth=depth_m, body_uid=uid)
