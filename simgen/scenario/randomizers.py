"""Spec-time randomizers: each changes the episode's spec while it is drawn, before any world exists.

:func:`apply_randomizers` runs the scenario's ``randomize:`` entries in list order on a working
copy of the spec (so a later entry sees an earlier one's distractors) and records every draw,
grouped per entry key, in ``EpisodeSpec.randomized``::

    {"obj_colours": {"type": "color", "scope": "object",
                     "objects": {"crate_0": {"hue": 212.4, "color": [0.1, 0.3, 0.7, 1.0]}, ...}},
     "cam":         {"type": "camera", "scope": "episode", "episode": {"position[0]": 0.03, ...}}}

An object absent from ``objects`` was filtered out or lost its ``probability`` draw; an episode
entry that did not apply records ``"applied": false``. Labels follow every change here because
they are computed from the world built from the changed spec.
"""

from __future__ import annotations

import colorsys
import dataclasses
import fnmatch
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from simgen.core.transforms import quaternion_from_matrix, rotation_from_rpy
from simgen.materials.material import Material, Texture
from simgen.scenario.draws import Draws, crc
from simgen.scenario.randomize_models import Filter, entry_keys
from simgen.scenario.spec import EpisodeSpec, ObjectInstance
from simgen.sensors.camera.model import CameraSpec

Randomizer = Callable[..., None]
RANDOMIZERS: dict[str, Randomizer] = {}


def register_randomizer(name: str) -> Callable[[Randomizer], Randomizer]:
    """Register the spec-time randomizer for ``randomize: [{type: name}]``."""

    def deco(fn: Randomizer) -> Randomizer:
        RANDOMIZERS[name] = fn
        return fn

    return deco


TEXTURE_PX = 256  # side of generated textures; one PNG per parameter set, cached on disk
TEXTURE_VARIANTS = 64  # pattern seeds drawn from 0..63, so patterns repeat and the cache stays small


@dataclasses.dataclass
class Working:
    """The mutable episode state the randomizers edit, turned back into a frozen spec at the end."""

    seed: int
    base_dir: Path
    classes: tuple[str, ...]
    objects: list[ObjectInstance]
    cameras: list[CameraSpec]
    gravity: tuple[float, float, float]
    light: dict[str, Any]
    ground_material: Material | None = None
    backdrop: dict[str, Any] = dataclasses.field(default_factory=dict)


def apply_randomizers(scenario: Any, spec: EpisodeSpec) -> EpisodeSpec:
    """``spec`` with the scenario's ``randomize:`` entries applied and ``effects:`` attached."""
    effects = tuple(zip(entry_keys(scenario.effects), scenario.effects, strict=True))
    if not scenario.randomize:
        return dataclasses.replace(spec, effects=effects)
    w = Working(
        seed=spec.seed,
        base_dir=Path(spec.base_dir),
        classes=spec.class_names,
        objects=list(spec.objects),
        cameras=list(spec.cameras),
        gravity=spec.world.gravity,
        light=dict(spec.scene.light),
    )
    records: dict[str, Any] = {}
    for key, entry in zip(entry_keys(scenario.randomize), scenario.randomize, strict=True):
        rec: dict[str, Any] = {"type": entry.type, "scope": entry.scope}
        RANDOMIZERS[entry.type](entry, key, w, rec)
        records[key] = rec
    return dataclasses.replace(
        spec,
        objects=tuple(w.objects),
        cameras=tuple(w.cameras),
        world=dataclasses.replace(spec.world, gravity=w.gravity),
        scene=dataclasses.replace(spec.scene, light=w.light),
        ground_material=w.ground_material,
        backdrop=w.backdrop,
        effects=effects,
        randomized=records,
    )


def draws_textures(scenario: Any) -> bool:
    """Whether the scenario's randomizers put textures on anything (objects, ground, walls, distractors)."""
    return any(e.type == "texture" or (e.type == "distractors" and e.textured) for e in scenario.randomize)


def texture_safe_renderer(scenario: Any, requested: str) -> str:
    """The renderer to use: ``auto`` becomes TinyRenderer when randomized textures meet it.

    EGL draws every episode's own textures (they travel in the mesh files, see
    :func:`simgen.sim.materials.bakes_textures`), but pybullet's EGL plugin never releases a GL
    texture, not even on ``resetSimulation``: new textures every episode grow a worker by about
    150 KB per texture per episode (measured, Mesa llvmpipe), so memory is not flat. ``auto``
    keeps the flat default; ``--renderer egl`` renders such scenes when speed matters more.
    """
    if not draws_textures(scenario) or requested != "auto":
        return requested
    from simgen.core.notices import notice

    notice(
        "randomized textures: rendering with TinyRenderer "
        "(EGL never frees textures, so memory grows per episode; --renderer egl to use it)",
        kind="renderer",
    )
    return "tiny"


# --- helpers -----------------------------------------------------------------------------------


def matches(flt: Filter, obj: ObjectInstance) -> bool:
    """Whether ``obj`` passes a filter: any name glob matches its instance or object name, any class glob its class."""
    if not flt.names and not flt.classes:
        return True
    by_name = any(fnmatch.fnmatchcase(obj.name, g) or fnmatch.fnmatchcase(obj.source, g) for g in flt.names)
    return by_name or any(fnmatch.fnmatchcase(obj.class_name, g) for g in flt.classes)


def per_object(
    entry: Any, key: str, w: Working, rec: dict[str, Any], fn: Callable[[ObjectInstance, Draws], ObjectInstance]
) -> None:
    """Apply ``fn`` to every matching object: own draws per object, or one shared draw (scope episode)."""
    shared = Draws(w.seed, key) if entry.scope == "episode" else None
    if shared is not None and not shared.applies(entry.probability):
        rec["applied"] = False
        return
    done: dict[str, Any] = {}
    for i, obj in enumerate(w.objects):
        if not matches(entry.filter, obj):
            continue
        if shared is not None:
            # one draw for all objects: a fresh Draws with the same key gives the same values
            d = Draws(w.seed, key)
        else:
            d = Draws(w.seed, key, (crc(obj.name),))
            if not d.applies(entry.probability):
                continue
        w.objects[i] = fn(obj, d)
        done[obj.name] = d.values
    if shared is not None:
        rec["episode"] = next(iter(done.values()), {})
        rec["objects"] = sorted(done)
    else:
        rec["objects"] = done


def hsv_rgb(h_deg: float, s: float, v: float) -> tuple[float, float, float]:
    """RGB 0..1 of a hue in degrees, saturation and value in 0..1."""
    r, g, b = colorsys.hsv_to_rgb((h_deg % 360.0) / 360.0, s, v)
    return (round(r, 6), round(g, 6), round(b, 6))


def kelvin_rgb(kelvin: float) -> tuple[float, float, float]:
    """RGB 0..1 (brightest channel 1) of a black body at ``kelvin``; Tanner Helland's fit to CIE data."""
    t = kelvin / 100.0
    if t <= 66:
        r = 255.0
        g = 99.4708025861 * math.log(t) - 161.1195681661
        b = 0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307
    else:
        r = 329.698727446 * (t - 60) ** -0.1332047592
        g = 288.1221695283 * (t - 60) ** -0.0755148492
        b = 255.0
    rgb = np.clip([r, g, b], 1.0, 255.0)
    rgb = rgb / rgb.max()
    return (round(float(rgb[0]), 6), round(float(rgb[1]), 6), round(float(rgb[2]), 6))


def draw_texture(entry: Any, d: Draws, base_dir: Path) -> Material:
    """A textured material: a generator or image picked, a colour pair, a pattern seed."""
    from simgen.scenario.assets import resolve_asset

    options = [("gen", g) for g in entry.generators] + [("img", p) for p in entry.images]
    kind, name = options[int(d.rng("source").integers(len(options)))]
    d.record("source", name)
    scale = float(d.value(entry.scale, "scale"))
    if kind == "img":
        tex = Texture("image", (), 0, TEXTURE_PX, scale, str(resolve_asset(name, base_dir)))
        color: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    else:
        h, s, v = d.value(entry.hue, "hue"), d.value(entry.saturation, "saturation"), d.value(entry.value, "value")
        contrast = float(d.value(entry.contrast, "contrast"))
        a = hsv_rgb(h, s, v)
        b = hsv_rgb(h + 20.0, s, max(0.0, v - contrast))
        seed = int(d.rng("pattern").integers(TEXTURE_VARIANTS))
        d.record("pattern", seed)
        tex = Texture.make(name, seed=seed, size=TEXTURE_PX, scale=scale, colors=[list(a), list(b)])
        color = (1.0, 1.0, 1.0, 1.0)
    spec = d.value(entry.specular, "specular")
    rough = d.value(entry.roughness, "roughness")
    return Material(
        base_color=color,  # type: ignore[arg-type]
        texture=tex,
        specular=0.5 if spec is None else float(spec),
        roughness=0.5 if rough is None else float(rough),
    )


# --- the randomizers ---------------------------------------------------------------------------


@register_randomizer("color")
def color(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Replace the hue, saturation and/or value of each matching object's colour."""

    def one(obj: ObjectInstance, d: Draws) -> ObjectInstance:
        base = obj.color or (obj.material.base_color if obj.material else None) or (0.8, 0.8, 0.8, 1.0)
        h, s, v = colorsys.rgb_to_hsv(*base[:3])
        nh, ns, nv = d.value(entry.hue, "hue"), d.value(entry.saturation, "saturation"), d.value(entry.value, "value")
        rgb = hsv_rgb(h * 360.0 if nh is None else nh, s if ns is None else ns, v if nv is None else nv)
        rgba = (*rgb, float(base[3]))
        d.record("color", rgba)
        mat = obj.material
        if mat is not None:
            mat = dataclasses.replace(mat, base_color=rgba)
        return dataclasses.replace(obj, color=rgba, material=mat)

    per_object(entry, key, w, rec, one)


@register_randomizer("texture")
def texture(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Textured materials on matching objects, on the ground, or on the background walls."""
    if entry.target == "objects":
        per_object(
            entry, key, w, rec, lambda obj, d: dataclasses.replace(obj, material=draw_texture(entry, d, w.base_dir))
        )
        return
    d = Draws(w.seed, key)
    if not d.applies(entry.probability):
        rec["applied"] = False
        return
    if entry.target == "ground":
        w.ground_material = draw_texture(entry, d, w.base_dir)
    else:
        w.backdrop["wall_material"] = draw_texture(entry, d, w.base_dir)
    rec["episode"] = d.values


@register_randomizer("background")
def background(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Walls on a square around the origin (unlabelled, they occlude) and a sky gradient."""
    d = Draws(w.seed, key)
    if not d.applies(entry.probability):
        rec["applied"] = False
        return
    n = int(d.value(entry.walls, "walls"))
    dist, height = float(d.value(entry.distance, "distance")), float(d.value(entry.height, "height"))
    if n:
        first = int(d.rng("side").integers(4))  # which sides get walls: n consecutive ones from a random side
        w.backdrop["walls"] = [{"side": (first + k) % 4, "distance": dist, "height": height} for k in range(n)]
        d.record("sides", [(first + k) % 4 for k in range(n)])
    if entry.sky:
        h = d.value(entry.sky_hue, "sky_hue")
        s, v = d.value(entry.sky_saturation, "sky_saturation"), d.value(entry.sky_value, "sky_value")
        zenith = hsv_rgb(h, s, v)
        horizon = hsv_rgb(h, s * 0.35, min(1.0, v * 0.6 + 0.4))
        w.backdrop["sky"] = {"zenith": zenith, "horizon": horizon}
    rec["episode"] = d.values


@register_randomizer("distractors")
def distractors(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Append N extra bodies (primitives or pybullet_data random_urdfs), labelled as ``class`` or unlabelled."""
    from simgen.kinds.registry import kind_of

    d = Draws(w.seed, key)
    if not d.applies(entry.probability):
        rec["applied"] = False
        return
    n = int(d.value(entry.count, "count"))
    cat = w.classes.index(entry.class_) + 1 if entry.class_ is not None else 0
    made: dict[str, Any] = {}
    for k in range(n):
        name = f"{key}_{k}"
        o = Draws(w.seed, key, (crc(name),))
        shape_kind = entry.shapes[int(o.rng("shape").integers(len(entry.shapes)))]
        o.record("shape", shape_kind)
        size = float(o.value(entry.size, "size"))
        pos = tuple(float(o.value(rng, f"position[{i}]")) for i, rng in enumerate(_ranges(entry)))
        yaw, tilt = o.rng("rpy").uniform(0, 360), o.rng("rpy_tilt").uniform(0, 180, size=2)
        rpy = (float(tilt[0]), float(tilt[1]), float(yaw))
        o.record("rpy", rpy)
        kind = shape_kind
        shape = kind_of(kind).of_size(size, o)
        textured = entry.textured and not kind_of(kind).own_look
        assert shape is not None, f"distractor shape {kind} has no size recipe"
        o.record("shape_params", shape)
        speed = float(o.value(entry.speed, "speed"))
        velocity = None
        if speed > 0:
            vec = o.rng("direction").normal(size=3)
            velocity = tuple(float(x) for x in vec / max(float(np.linalg.norm(vec)), 1e-9) * speed)
            o.record("velocity", velocity)
        obj = ObjectInstance(
            instance_id=len(w.objects) + 1,
            name=name,
            source=key,
            class_name=entry.class_ or "distractor",
            category_id=cat,
            type=kind,
            shape=shape,
            position=pos,  # type: ignore[arg-type]
            orientation=quaternion_from_matrix(rotation_from_rpy(rpy)),
            rpy_deg=rpy,
            mass=0.2,
            color=(*hsv_rgb(o.rng("hue").uniform(0, 360), 0.6, 0.8), 1.0),
            friction=0.6,
            restitution=0.1,
            linear_damping=0.0,
            angular_damping=0.04,
            label_id=None if entry.class_ is not None else 0,
            velocity=velocity,  # type: ignore[arg-type]
            material=draw_texture(_DISTRACTOR_TEXTURE, o, w.base_dir) if textured else None,
        )
        w.objects.append(obj)
        made[name] = o.values
    rec["episode"] = d.values
    rec["objects"] = made


@dataclasses.dataclass(frozen=True)
class _TextureDefaults:
    generators: tuple[str, ...] = ("noise", "checker", "stripes", "dots")
    images: tuple[str, ...] = ()
    scale: float = 0.1
    hue: Any = None
    saturation: Any = None
    value: Any = None
    contrast: float = 0.35
    specular: Any = None
    roughness: Any = None


def _texture_defaults() -> _TextureDefaults:
    from simgen.scenario.distributions import Uniform

    return _TextureDefaults(hue=Uniform(0.0, 360.0), saturation=Uniform(0.2, 0.9), value=Uniform(0.4, 1.0))


_DISTRACTOR_TEXTURE = _texture_defaults()


def _ranges(entry: Any) -> list[Any]:
    from simgen.scenario.distributions import Uniform

    return [Uniform(float(lo), float(hi)) for lo, hi in (entry.x, entry.y, entry.z)]


def _rot(axis: int, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def jitter_camera(cam: CameraSpec, entry: Any, d: Draws) -> CameraSpec:
    """``cam`` with orbit, look-at, rotation, position, intrinsics and distortion jitter applied."""
    pose = np.array(cam.world_from_camera if cam.mount is None else cam.mount_from_camera, dtype=float)
    pos, rot = pose[:3, 3].copy(), pose[:3, :3].copy()
    forward = rot[:, 2]
    # the point the camera looks at: its optical axis' nearest point to the origin (or the orbit target)
    target = np.asarray(entry.target, dtype=float)
    if entry.azimuth is None and entry.elevation is None and entry.distance is None:
        target = pos + forward * max(float(np.dot(-pos, forward)), 0.5)
    else:
        rel = pos - target
        r0 = float(np.linalg.norm(rel)) or 1.0
        az0, el0 = math.degrees(math.atan2(rel[1], rel[0])), math.degrees(math.asin(np.clip(rel[2] / r0, -1, 1)))
        az, el, r = (
            d.value(entry.azimuth, "azimuth"),
            d.value(entry.elevation, "elevation"),
            d.value(entry.distance, "distance"),
        )
        az, el, r = az0 if az is None else az, el0 if el is None else el, r0 if r is None else r
        ca, sa, ce, se = (
            math.cos(math.radians(az)),
            math.sin(math.radians(az)),
            math.cos(math.radians(el)),
            math.sin(math.radians(el)),
        )
        pos = target + r * np.array([ce * ca, ce * sa, se])
    look = d.vector(entry.look_at, "look_at")
    if entry.azimuth is not None or entry.elevation is not None or entry.distance is not None or any(look):
        rot = _optical(pos, target + np.asarray(look, dtype=float))
    rr, rp, ry = d.vector(entry.rotation, "rotation")
    rot = rot @ _rot(2, rr) @ _rot(0, rp) @ _rot(1, ry)  # about the optical z, x (right) and y (down) axes
    pos = pos + np.asarray(d.vector(entry.position, "position"), dtype=float)
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = rot, pos
    d.record("pose", pose)
    K = cam.K.copy()
    f = float(d.value(entry.focal, "focal"))
    dx, dy = d.vector(entry.principal_point, "principal_point")
    K[0, 0] *= f
    K[1, 1] *= f
    K[0, 2] += dx
    K[1, 2] += dy
    dk1, dk2 = float(d.value(entry.k1, "k1")), float(d.value(entry.k2, "k2"))
    dist = cam.distortion
    if dk1 or dk2:
        coeffs = list(dist) if dist is not None else [0.0] * (4 if cam.distortion_model == "fisheye" else 5)
        coeffs[0] += dk1
        coeffs[1] += dk2
        dist = tuple(coeffs)
    if cam.mount is None:
        return dataclasses.replace(cam, world_from_camera=pose, K=K, distortion=dist)
    return dataclasses.replace(cam, mount_from_camera=pose, K=K, distortion=dist)


def _optical(pos: np.ndarray, target: np.ndarray) -> np.ndarray:
    """world_from_optical rotation of a camera at ``pos`` looking at ``target`` with +z up (OpenCV axes)."""
    z = target - pos
    z = z / max(float(np.linalg.norm(z)), 1e-12)
    up = np.array([0.0, 0.0, 1.0]) if abs(z[2]) < 0.999 else np.array([0.0, 1.0, 0.0])
    x = np.cross(z, up)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


@register_randomizer("camera")
def camera(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Jitter matching cameras; scope episode shares one draw across them, object draws per camera."""
    done: dict[str, Any] = {}
    for i, cam in enumerate(w.cameras):
        if entry.cameras and cam.name not in entry.cameras:
            continue
        d = Draws(w.seed, key) if entry.scope == "episode" else Draws(w.seed, key, (crc(cam.name),))
        if not d.applies(entry.probability):
            continue
        w.cameras[i] = jitter_camera(cam, entry, d)
        done[cam.name] = d.values
    rec["cameras"] = done


@register_randomizer("light")
def light(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Light direction (azimuth/elevation), intensity, colour temperature, ambient, shadows."""
    d = Draws(w.seed, key)
    if not d.applies(entry.probability):
        rec["applied"] = False
        return
    lt = w.light
    az, el = d.value(entry.azimuth, "azimuth"), d.value(entry.elevation, "elevation")
    if az is not None or el is not None:
        cur = np.asarray(lt["direction"] if lt["direction"] is not None else (0.5, 0.5, 1.0), dtype=float)
        cur = cur / max(float(np.linalg.norm(cur)), 1e-12)
        az = math.degrees(math.atan2(cur[1], cur[0])) if az is None else az
        el = math.degrees(math.asin(np.clip(cur[2], -1, 1))) if el is None else el
        ce = math.cos(math.radians(el))
        lt["direction"] = d.record(
            "direction",
            (
                round(ce * math.cos(math.radians(az)), 9),
                round(ce * math.sin(math.radians(az)), 9),
                round(math.sin(math.radians(el)), 9),
            ),
        )
    if entry.intensity is not None:
        lt["intensity"] = float(d.value(entry.intensity, "intensity"))
    if entry.temperature is not None:
        lt["color"] = d.record("color", kelvin_rgb(float(d.value(entry.temperature, "temperature"))))
    if entry.ambient is not None:
        lt["ambient"] = float(d.value(entry.ambient, "ambient"))
    if entry.shadow is not None:
        p = float(d.value(entry.shadow, "shadow"))
        lt["shadow"] = d.record("shadow_on", bool(d.rng("shadow_on").random() < p))
    rec["episode"] = d.values


@register_randomizer("physics")
def physics(entry: Any, key: str, w: Working, rec: dict[str, Any]) -> None:
    """Mass scale, friction, restitution and initial velocities per object; gravity tilt per episode."""

    def one(obj: ObjectInstance, d: Draws) -> ObjectInstance:
        changes: dict[str, Any] = {}
        if entry.mass_scale is not None:
            changes["mass"] = obj.mass * float(d.value(entry.mass_scale, "mass_scale"))
        if entry.friction is not None:
            changes["friction"] = float(d.value(entry.friction, "friction"))
        if entry.restitution is not None:
            changes["restitution"] = float(d.value(entry.restitution, "restitution"))
        if entry.velocity is not None:
            changes["velocity"] = tuple(float(v) for v in d.vector(entry.velocity, "velocity"))
        if entry.angular_velocity is not None:
            av = d.vector(entry.angular_velocity, "angular_velocity")
            changes["angular_velocity"] = tuple(float(v) for v in av)
        return dataclasses.replace(obj, **changes)

    per_object(entry, key, w, rec, one)
    if entry.gravity_tilt is not None:
        g = Draws(w.seed, key, (crc("gravity"),))
        tilt = float(g.value(entry.gravity_tilt, "gravity_tilt"))
        axis_az = float(g.rng("axis").uniform(0, 2 * math.pi))
        axis = np.array([math.cos(axis_az), math.sin(axis_az), 0.0])
        vec = np.asarray(w.gravity, dtype=float)
        t = math.radians(tilt)  # Rodrigues rotation of gravity about a horizontal axis
        vec = vec * math.cos(t) + np.cross(axis, vec) * math.sin(t) + axis * np.dot(axis, vec) * (1 - math.cos(t))
        w.gravity = tuple(round(float(x), 9) for x in vec)  # type: ignore[assignment]
        g.record("gravity", w.gravity)
        rec["gravity"] = g.values
