"""Photoreal RGB through Blender's ``bpy`` wheel (Cycles, EEVEE, Workbench), labels from pybullet.

Ground truth stays pybullet's: the camera still makes its raster pass (TinyRenderer) for depth,
instance ids and every label, and Blender only replaces the RGB image. The two are pixel-aligned
because Blender renders the very same posed geometry through the very same intrinsics:

- **Scene.** Built once per episode from what pybullet holds (``getVisualShapeData`` of every
  body and link: boxes, spheres, cylinders, capsules, meshes, URDF visuals with their textures;
  the heightfield terrain from the world's heights) plus the instances' :class:`Material`
  values as node materials. Per frame only object transforms change.
- **Camera.** OpenCV ``K`` becomes focal length (``lens = fx * sensor / max(W, H)``, sensor fit
  AUTO), shift for the principal point (Blender samples pixel ``i`` over ``[i, i + 1]``, OpenCV
  puts its centre at ``i``: hence the half pixel), ``fy != fx`` as pixel aspect, and clipping
  from near/far. Pose: ``world_from_camera @ diag(1, -1, -1, 1)`` (Blender cameras look down -z).
- **Light.** A sun along the world light's direction; Blender's physical sky (Nishita) when the
  scenario has a ``time_of_day``, else a flat background in the scenario's sky colour.

``bpy`` is one global scene per process, so there is one :class:`BlenderScene` per worker process
(:func:`blender_scene`), cleared and rebuilt per episode: memory stays flat over long runs.
Distortion: the camera renders its ideal wider view and remaps it with the same map as the
raster pass (see :mod:`simgen.sensors.camera.runtime`), so pixels and labels stay consistent.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import SimgenError
from simgen.materials.material import Material
from simgen.sensors.camera.model import CameraSpec
from simgen.sim.quiet import quiet_stdout

PHOTOREAL = ("cycles", "eevee", "workbench")
ENGINES = {"cycles": "CYCLES", "eevee": "BLENDER_EEVEE_NEXT", "workbench": "BLENDER_WORKBENCH"}
INSTALL = "pip install 'simgen[blender]'"
SENSOR_MM = 36.0  # Blender sensor size along the larger image side; any value works, focal scales with it
SUN_STRENGTH = 4.0  # W/m^2 at light intensity 1: a clear day's sun in Blender's units
BLENDER_FROM_CV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclasses.dataclass(frozen=True)
class RenderSettings:
    """The scenario's ``render:`` block, resolved: what photoreal renderers read (raster ones ignore it)."""

    samples: int = 32
    denoise: bool = True
    max_bounces: int = 4
    resolution_scale: float = 1.0
    shadows: bool = True
    exposure: float = 0.0
    view_transform: str = "AgX"
    motion_blur: float = 0.0

    @staticmethod
    def from_json(data: dict[str, Any] | None) -> RenderSettings:
        """Settings from the spec's resolved ``render`` dict (missing keys keep defaults)."""
        fields = {f.name for f in dataclasses.fields(RenderSettings)}
        return RenderSettings(**{k: v for k, v in (data or {}).items() if k in fields})


def _missing_bpy(err: Exception | None = None) -> SimgenError:
    error = SimgenError(
        "the photoreal renderers (cycles, eevee, workbench) need Blender's bpy module, which is not installed",
        hint=f"install it with: {INSTALL}  (Python 3.11), or use --renderer auto|egl|tiny",
    )
    if err is not None:
        error.__cause__ = err
    return error


def require_bpy() -> Any:
    """Import ``bpy`` or raise the one-line user error with the install command.

    Importing bpy puts Blender's own script folders on ``sys.path``, and worker processes that
    ``multiprocessing`` spawns copy the parent's ``sys.path``; there a ``bpy`` package without its
    compiled core would shadow the wheel. Those folders are dropped before a second try.
    """
    import sys

    try:
        import bpy
    except ImportError as first:
        marker = f"{os.sep}bpy{os.sep}"
        sys.path[:] = [p for p in sys.path if not (marker in p and f"{os.sep}scripts" in p)]
        for name in [m for m in sys.modules if m == "bpy" or m.startswith("bpy.")]:
            del sys.modules[name]
        try:
            import bpy
        except ImportError as err:
            raise _missing_bpy(err) from first
    return bpy


def blender_from_pose(pos: Any, orn: Any) -> np.ndarray:
    """(4, 4) world_from_frame of a pybullet (position, xyzw quaternion)."""
    x, y, z, w = orn
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    m = np.eye(4)
    m[:3, :3] = rot
    m[:3, 3] = pos
    return m


def camera_settings(cam: CameraSpec, scale: float = 1.0) -> dict[str, Any]:
    """Blender camera and render settings reproducing ``cam.K`` at ``scale`` x resolution.

    Returns lens (mm), sensor_width (mm), shift_x, shift_y, resolution_x/y, pixel_aspect_x/y.
    """
    (fx, _, cx), (_, fy, cy), _ = np.asarray(cam.K, dtype=float)
    w, h = round(cam.width * scale), round(cam.height * scale)
    sx, sy = w / cam.width, h / cam.height
    fx, fy, cx, cy = fx * sx, fy * sy, (cx + 0.5) * sx, (cy + 0.5) * sy  # window coords: pixel i spans [i, i+1]
    # Non-square focal lengths: Blender stretches pixels by pixel_aspect_y / pixel_aspect_x vertically.
    aspect_x, aspect_y = (1.0, fx / fy) if fx >= fy else (fy / fx, 1.0)
    # Blender's sensor fit AUTO puts SENSOR_MM along the larger of the aspect-corrected sides.
    big = max(w * aspect_x, h * aspect_y)
    lens = fx * aspect_x * SENSOR_MM / big
    return {
        "lens": lens,
        "sensor_width": SENSOR_MM,
        "shift_x": (w / 2 - cx) * aspect_x / big,
        "shift_y": (cy - h / 2) * aspect_y / big,
        "resolution_x": w,
        "resolution_y": h,
        "pixel_aspect_x": aspect_x,
        "pixel_aspect_y": aspect_y,
    }


@dataclasses.dataclass
class _Visual:
    """One Blender object standing for one pybullet visual: where it hangs and how it is offset."""

    uid: int
    link: int
    local: np.ndarray  # (4, 4) link_frame_from_visual
    obj: Any


class BlenderScene:
    """The process's Blender scene: rebuilt per episode from a pybullet world, posed per frame."""

    def __init__(self, engine: str) -> None:
        self.bpy = require_bpy()
        self.engine = engine
        self.visuals: list[_Visual] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="simgen-blender-"))
        self._world_id: int | None = None
        self._mesh_cache: dict[tuple[str, tuple[float, ...]], Any] = {}

    # --- episode --------------------------------------------------------------------------

    def build(self, world: Any, settings: RenderSettings) -> None:
        """Clear the scene and build ``world``'s bodies, ground, sun and sky (once per episode)."""
        bpy = self.bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.visuals.clear()
        self._mesh_cache.clear()
        self.settings = settings
        scene = bpy.context.scene
        self._configure(scene, settings)
        p, cid = world.client.p, world.client.id
        materials = world.materials.applied  # what the world put on each (uid, link), textures included
        for uid in range(p.getNumBodies(physicsClientId=cid)):
            body = p.getBodyUniqueId(uid, physicsClientId=cid)
            for shape in p.getVisualShapeData(body, physicsClientId=cid):
                self._add_visual(world, body, shape, materials.get((body, shape[1])))
        self._add_light(world)
        self._world_id = id(world)

    def _configure(self, scene: Any, s: RenderSettings) -> None:
        scene.render.engine = ENGINES[self.engine]
        scene.render.image_settings.file_format = "PNG"
        scene.render.image_settings.color_mode = "RGB"
        scene.render.image_settings.color_depth = "8"
        scene.render.film_transparent = False
        scene.view_settings.view_transform = s.view_transform
        scene.view_settings.exposure = s.exposure
        scene.render.use_motion_blur = s.motion_blur > 0 and self.engine != "workbench"
        scene.render.motion_blur_shutter = 1.0  # one frame: from the pose at t - exposure (frame 1) to t (frame 2)
        scene.render.motion_blur_position = "END"  # the shutter closes at the capture time
        scene.frame_start, scene.frame_end = 1, 2
        if self.engine == "cycles":
            scene.cycles.device = "CPU"
            scene.cycles.samples = s.samples
            scene.cycles.use_adaptive_sampling = False  # same sample count everywhere: deterministic cost
            scene.cycles.use_denoising = bool(s.denoise) and _has_oidn(self.bpy)
            scene.cycles.max_bounces = s.max_bounces
            scene.cycles.use_animated_seed = False
        elif self.engine == "eevee":
            scene.eevee.taa_render_samples = s.samples
            scene.eevee.use_shadows = s.shadows
        else:
            scene.view_settings.view_transform = "Standard"  # flat colours as given, no tone curve
            scene.display.shading.light = "STUDIO"
            scene.display.shading.color_type = "TEXTURE"  # image textures, else the material colour
            scene.display.shading.show_shadows = s.shadows
            scene.display.render_aa = "8"

    # --- geometry ---------------------------------------------------------------------------

    def _add_visual(self, world: Any, body: int, shape: tuple, material: Material | None) -> None:
        p = world.client.p
        _, link, geom, dims, filename, lpos, lorn, rgba = shape[:8]
        mesh = self._mesh(world, geom, dims, filename.decode() if isinstance(filename, bytes) else filename)
        if mesh is None:
            return
        bpy = self.bpy
        obj = bpy.data.objects.new(f"b{body}l{link}", mesh)
        bpy.context.scene.collection.objects.link(obj)
        obj.pass_index = int(world.instance_of_uid[body]) if body < len(world.instance_of_uid) else 0
        if material is None and not mesh.materials:
            material = Material(base_color=tuple(rgba))
        if material is not None:
            mesh.materials.clear()
            mesh.materials.append(self._material(material))
        elif mesh.materials and tuple(rgba) != (1.0, 1.0, 1.0, 1.0):
            _tint(mesh.materials[0], rgba)
        local = blender_from_pose(lpos, lorn)
        if geom == p.GEOM_HEIGHTFIELD:  # the terrain mesh is built in world coordinates already
            local = np.linalg.inv(_link_frame(p, world.client.id, body, link))
        self.visuals.append(_Visual(body, link, local, obj))

    def _mesh(self, world: Any, geom: int, dims: Any, filename: str) -> Any:
        import trimesh

        p = world.client.p
        key = (f"{geom}:{filename}", tuple(round(float(d), 9) for d in dims))
        if key in self._mesh_cache:
            return self._mesh_cache[key]
        tex_image = None
        if geom in (p.GEOM_BOX, p.GEOM_SPHERE, p.GEOM_CYLINDER, p.GEOM_CAPSULE):
            from simgen.sensors.truth import primitive_polytope  # the hull pybullet draws, as labels use it

            vertices, faces = primitive_polytope(geom, tuple(dims))
            tm = trimesh.Trimesh(vertices, faces, process=False)
        elif geom == p.GEOM_MESH:
            loaded = trimesh.load(filename, process=False, force="mesh", skip_materials=False)
            tm = loaded.copy()
            tm.apply_scale(np.asarray(dims[:3], dtype=float))
            mat = getattr(getattr(loaded, "visual", None), "material", None)
            tex_image = getattr(mat, "image", None)
        elif geom == p.GEOM_HEIGHTFIELD and getattr(world, "heights", None) is not None:
            tm = _heightfield_mesh(world)
        else:
            return None
        mesh = self.bpy.data.meshes.new(f"m{len(self._mesh_cache)}")
        mesh.from_pydata(np.asarray(tm.vertices).tolist(), [], np.asarray(tm.faces).tolist())
        uv = getattr(getattr(tm, "visual", None), "uv", None)
        if uv is not None and len(uv) == len(tm.vertices):
            layer = mesh.uv_layers.new(name="UVMap")
            corner_uv = np.asarray(uv, dtype=np.float32)[np.asarray(tm.faces).reshape(-1)]
            layer.data.foreach_set("uv", corner_uv.reshape(-1))
        for poly in mesh.polygons:  # smooth normals on round shapes; the silhouette stays pybullet's
            poly.use_smooth = geom in (p.GEOM_SPHERE, p.GEOM_CYLINDER, p.GEOM_CAPSULE)
        mesh.update()
        if tex_image is not None:
            path = self.workdir / f"tex{len(self._mesh_cache)}.png"
            tex_image.convert("RGB").save(path)
            mesh.materials.append(self._material(Material(base_color=(1, 1, 1, 1)), image=str(path)))
        self._mesh_cache[key] = mesh
        return mesh

    def _material(self, material: Material, image: str | None = None) -> Any:
        """A Principled BSDF node material with the same base colour and texture as pybullet's."""
        bpy = self.bpy
        mat = bpy.data.materials.new(material.name or "simgen")
        mat.use_nodes = True
        base = srgb_to_linear(material.base_color)  # scenario colours are display (sRGB) values
        mat.diffuse_color = base  # Workbench's material colour
        bsdf = mat.node_tree.nodes["Principled BSDF"]
        bsdf.inputs["Base Color"].default_value = base
        bsdf.inputs["Roughness"].default_value = material.roughness
        bsdf.inputs["Metallic"].default_value = material.metallic
        bsdf.inputs["Specular IOR Level"].default_value = material.specular
        if any(material.emission):
            bsdf.inputs["Emission Color"].default_value = (*material.emission, 1.0)
            bsdf.inputs["Emission Strength"].default_value = 1.0
        if image is None and material.texture is not None:
            from simgen.materials.textures import texture_png

            image = str(texture_png(material.texture))
        if image is not None:
            nodes, links = mat.node_tree.nodes, mat.node_tree.links
            tex = nodes.new("ShaderNodeTexImage")
            tex.image = bpy.data.images.load(image, check_existing=True)
            tex.interpolation = "Closest"  # pybullet samples textures without filtering
            mix = nodes.new("ShaderNodeMix")
            mix.data_type = "RGBA"
            mix.blend_type = "MULTIPLY"
            mix.inputs["Factor"].default_value = 1.0
            mix.inputs[6].default_value = base
            links.new(tex.outputs["Color"], mix.inputs[7])
            links.new(mix.outputs[2], bsdf.inputs["Base Color"])
        return mat

    def _add_light(self, world: Any) -> None:
        bpy = self.bpy
        lt = world.light
        direction = np.asarray(lt.get("direction") or (0.4, -0.3, 1.0), dtype=float)
        direction /= np.linalg.norm(direction) + 1e-12
        sun = bpy.data.lights.new("sun", "SUN")
        sun.energy = SUN_STRENGTH * float(lt.get("intensity", 1.0) or 1.0)
        sun.color = tuple(lt.get("color") or (1.0, 1.0, 1.0))
        sun.angle = np.radians(0.53)
        sun.use_shadow = bool(self.settings.shadows)
        obj = bpy.data.objects.new("sun", sun)
        bpy.context.scene.collection.objects.link(obj)
        obj.matrix_world = _look_along(-direction)
        scene = bpy.context.scene
        scene.world = bpy.data.worlds.new("world")
        scene.world.use_nodes = True
        background = scene.world.node_tree.nodes["Background"]
        spec = world.spec.scene
        if spec.time_of_day is not None and self.engine != "workbench":
            sky = scene.world.node_tree.nodes.new("ShaderNodeTexSky")
            sky.sky_type = "NISHITA"
            elevation = float(np.arcsin(np.clip(direction[2], -1.0, 1.0)))
            sky.sun_elevation = elevation
            sky.sun_rotation = float(np.arctan2(direction[0], direction[1]))
            sky.sun_disc = False  # the sun lamp lights the scene; the disc would double it
            scene.world.node_tree.links.new(sky.outputs["Color"], background.inputs["Color"])
            background.inputs["Strength"].default_value = 0.3 * max(0.05, float(np.sin(max(elevation, 0.05))))
        else:
            sky_rgb = spec.sky or (0.7, 0.75, 0.8)
            background.inputs["Color"].default_value = srgb_to_linear((*sky_rgb, 1.0))
            background.inputs["Strength"].default_value = 1.0
            scene.world.color = srgb_to_linear((*sky_rgb, 1.0))[:3]  # Workbench reads the plain world colour
        scene.display.shading.background_type = "WORLD"

    # --- frame ------------------------------------------------------------------------------

    def pose(self, world: Any) -> None:
        """Move every Blender object to its pybullet visual's current world pose.

        With ``motion_blur`` (an exposure time in seconds) each object also gets its pose at
        ``t - exposure``, moved back along the body's true linear and angular velocity, as a
        keyframe one frame earlier, and Blender blurs along that motion.
        """
        p, cid = world.client.p, world.client.id
        blur = self.settings.motion_blur if self.bpy.context.scene.render.use_motion_blur else 0.0
        frames: dict[tuple[int, int], tuple[np.ndarray, np.ndarray | None]] = {}
        for v in self.visuals:
            key = (v.uid, v.link)
            if key not in frames:
                now = _link_frame(p, cid, v.uid, v.link)
                frames[key] = (now, _moved_back(p, cid, v.uid, v.link, now, blur) if blur > 0 else None)
            now, then = frames[key]
            if then is None:
                v.obj.matrix_world = _matrix(now @ v.local)
                continue
            v.obj.rotation_mode = "QUATERNION"
            for frame, m in ((1, then @ v.local), (2, now @ v.local)):
                v.obj.matrix_world = _matrix(m)
                v.obj.keyframe_insert("location", frame=frame)
                v.obj.keyframe_insert("rotation_quaternion", frame=frame)
        if blur > 0:
            self.bpy.context.scene.frame_set(2)

    def place_camera(self, cam: CameraSpec) -> None:
        """Set the scene camera and resolution to reproduce ``cam`` (K, pose, near/far)."""
        bpy = self.bpy
        scene = bpy.context.scene
        if scene.camera is None:
            data = bpy.data.cameras.new("camera")
            obj = bpy.data.objects.new("camera", data)
            scene.collection.objects.link(obj)
            scene.camera = obj
        s = camera_settings(cam, self.settings.resolution_scale)
        data = scene.camera.data
        data.sensor_fit = "AUTO"
        data.sensor_width = s["sensor_width"]
        data.lens = s["lens"]
        data.shift_x, data.shift_y = s["shift_x"], s["shift_y"]
        data.clip_start, data.clip_end = cam.near, cam.far
        scene.render.resolution_x, scene.render.resolution_y = s["resolution_x"], s["resolution_y"]
        scene.render.pixel_aspect_x, scene.render.pixel_aspect_y = s["pixel_aspect_x"], s["pixel_aspect_y"]
        scene.render.resolution_percentage = 100
        scene.camera.matrix_world = _matrix(np.asarray(cam.world_from_camera) @ BLENDER_FROM_CV)

    def render(self, world: Any, cam: CameraSpec, seed: int) -> np.ndarray:
        """RGB (H, W, 3) uint8 of ``cam`` now, at the camera's resolution (seeded: same seed, same pixels)."""
        import cv2

        if self._world_id != id(world):
            raise RuntimeError("BlenderScene.render called before build() for this world")
        self.pose(world)
        self.place_camera(cam)
        scene = self.bpy.context.scene
        if self.engine == "cycles":
            scene.cycles.seed = int(seed) % (2**31)
        out = self.workdir / "frame.png"
        scene.render.filepath = str(out)
        with quiet_stdout(stderr=False):  # Blender prints a progress line per tile to C stdout
            self.bpy.ops.render.render(write_still=True)
        bgr = cv2.imread(str(out), cv2.IMREAD_COLOR)
        if bgr is None:
            raise RuntimeError(f"Blender wrote no readable image at {out}")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if rgb.shape[:2] != (cam.height, cam.width):
            rgb = cv2.resize(rgb, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
        return rgb

    def render_passes(self, world: Any, cam: CameraSpec) -> tuple[np.ndarray, np.ndarray]:
        """Cycles object-index and depth passes of ``cam``: ((H, W) int32 instance, (H, W) float32 m).

        For alignment checks against pybullet's ground truth: one sample at the pixel centre
        (box filter of width ~0), so each pixel reports what its centre sees.
        """
        bpy = self.bpy
        scene = bpy.context.scene
        self.pose(world)
        self.place_camera(cam)
        saved = (scene.render.engine, scene.cycles.samples, scene.cycles.pixel_filter_type, scene.cycles.filter_width)
        scene.render.engine = "CYCLES"
        scene.cycles.samples, scene.cycles.pixel_filter_type, scene.cycles.filter_width = 1, "BOX", 0.01
        scene.cycles.use_denoising = False
        layer = scene.view_layers[0]
        layer.use_pass_object_index = True
        layer.use_pass_z = True
        scene.use_nodes = True
        tree = scene.node_tree
        tree.nodes.clear()
        rl = tree.nodes.new("CompositorNodeRLayers")
        sink = tree.nodes.new("CompositorNodeOutputFile")
        folder = self.workdir / "passes"
        sink.base_path = str(folder)
        sink.format.file_format = "OPEN_EXR"
        sink.format.color_mode = "RGB"
        sink.format.color_depth = "32"
        sink.file_slots.clear()
        for name in ("IndexOB", "Depth"):
            sink.file_slots.new(name)
            tree.links.new(rl.outputs[name], sink.inputs[name])
        with quiet_stdout(stderr=False):
            bpy.ops.render.render()
        out = {}
        for name in ("IndexOB", "Depth"):
            path = folder / f"{name}{scene.frame_current:04d}.exr"
            img = bpy.data.images.load(str(path))
            w, h = img.size
            px = np.empty(w * h * img.channels, dtype=np.float32)
            img.pixels.foreach_get(px)
            out[name] = px.reshape(h, w, img.channels)[::-1, :, 0].copy()  # Blender rows run bottom-up
            bpy.data.images.remove(img)
            path.unlink()
        scene.render.engine, scene.cycles.samples, scene.cycles.pixel_filter_type, scene.cycles.filter_width = saved
        scene.use_nodes = False
        depth = out["Depth"]
        depth[depth > cam.far] = 0.0
        return np.round(out["IndexOB"]).astype(np.int32), depth


_SCENES: dict[str, BlenderScene] = {}


def blender_scene(engine: str) -> BlenderScene:
    """The worker process's Blender scene for ``engine`` (bpy holds one global scene per process)."""
    if engine not in _SCENES:
        _SCENES.clear()
        _SCENES[engine] = BlenderScene(engine)
    return _SCENES[engine]


def srgb_to_linear(rgba: Any) -> tuple[float, float, float, float]:
    """RGBA with its RGB taken from display sRGB to Blender's linear scene values (alpha unchanged)."""
    c = np.asarray(rgba[:3], dtype=float)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    alpha = float(rgba[3]) if len(rgba) > 3 else 1.0
    return (float(lin[0]), float(lin[1]), float(lin[2]), alpha)


def _has_oidn(bpy: Any) -> bool:
    try:
        return bool(bpy.app.build_options.openimagedenoise)
    except AttributeError:
        return False


def _tint(mat: Any, rgba: Any) -> None:
    nodes = mat.node_tree.nodes if mat.use_nodes else {}
    if "Principled BSDF" in nodes and not nodes["Principled BSDF"].inputs["Base Color"].is_linked:
        nodes["Principled BSDF"].inputs["Base Color"].default_value = srgb_to_linear(rgba)


def _matrix(m: np.ndarray) -> Any:
    import mathutils

    return mathutils.Matrix(np.asarray(m, dtype=float).tolist())


def _look_along(d: np.ndarray) -> np.ndarray:
    """world_from_lamp whose -z axis points along unit vector ``d``."""
    z = -d
    up = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.99 else np.array([0.0, 1.0, 0.0])
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2] = x, y, z
    return m


def _link_frame(p: Any, cid: int, uid: int, link: int) -> np.ndarray:
    """world_from_link (URDF link frame) of a body's base (-1) or link."""
    if link < 0:
        pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
        lpos, lorn = p.getDynamicsInfo(uid, -1, physicsClientId=cid)[3:5]  # inertial frame in the base frame
        return blender_from_pose(pos, orn) @ np.linalg.inv(blender_from_pose(lpos, lorn))
    state = p.getLinkState(uid, link, computeForwardKinematics=True, physicsClientId=cid)
    return blender_from_pose(state[4], state[5])


def _moved_back(p: Any, cid: int, uid: int, link: int, now: np.ndarray, seconds: float) -> np.ndarray:
    """world_from_link ``seconds`` earlier, from the body's current linear and angular velocity.

    Rigid motion about the centre of mass: rotate by ``-omega * seconds`` around it and shift
    by ``-v * seconds`` (exact for constant velocities over the exposure).
    """
    if link < 0:
        v, w = p.getBaseVelocity(uid, physicsClientId=cid)
        com = np.asarray(p.getBasePositionAndOrientation(uid, physicsClientId=cid)[0])
    else:
        state = p.getLinkState(uid, link, computeLinkVelocity=1, computeForwardKinematics=1, physicsClientId=cid)
        com, v, w = np.asarray(state[0]), state[6], state[7]
    w = np.asarray(w, dtype=float) * -seconds
    angle = float(np.linalg.norm(w))
    back = np.eye(4)
    if angle > 1e-12:
        k = w / angle
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        back[:3, :3] = np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx
    back[:3, 3] = com - back[:3, :3] @ com - np.asarray(v, dtype=float) * seconds
    return back @ now


def _heightfield_mesh(world: Any) -> Any:
    import trimesh

    heights = np.asarray(world.heights, dtype=float)
    rows, cols = heights.shape
    size = world.spec.scene.ground["heightfield"]["size"]
    xs = (np.arange(cols) / (cols - 1) - 0.5) * size[0]
    ys = (np.arange(rows) / (rows - 1) - 0.5) * size[1]
    gx, gy = np.meshgrid(xs, ys)
    verts = np.stack([gx.ravel(), gy.ravel(), heights.ravel()], axis=1)
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    faces = np.concatenate([np.stack([a, a + 1, a + cols + 1], 1), np.stack([a, a + cols + 1, a + cols], 1)])
    return trimesh.Trimesh(verts, faces, process=False)
