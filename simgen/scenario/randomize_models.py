"""Scenario models for domain randomization: the ``randomize:`` and ``effects:`` lists.

Two lists, each a union discriminated by ``type`` (the YAML name; the matching runtime
implementation registers under the same name in ``simgen.scenario.randomizers`` for
``randomize:`` and ``simgen.randomize.registry`` for ``effects:``):

- ``randomize:`` entries act **before the world is built**: they change the episode's spec
  (object colours and textures, ground and background walls, distractor objects, camera pose and
  intrinsics, light, physics). Labels follow, since they come from the changed world.
- ``effects:`` entries act **after rendering**: they change pixels (and the depth/LiDAR sensor
  outputs), never labels.

Every entry has the same common keys::

    - type: color                 # registry name
      name: crate_colours         # optional; keys the entry's random generator (default: type)
      scope: object               # episode | object (randomize)   episode | frame (effects)
      probability: 0.8            # chance the entry applies at each draw, in [0, 1]
      filter: {names: [crate*], classes: [ball]}   # objects it touches (randomize, globs)
      cameras: [front]            # cameras it touches (camera randomizer and effects)

and its own ranges, each a number or a distribution (``{uniform: [lo, hi]}``, ...). Stage rule:
this module never imports pybullet or OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simgen.scenario.distributions import Num

Unit = Num(ge=0, le=1)
Any3 = tuple[Num(), Num(), Num()]
Color3 = tuple[Unit, Unit, Unit]
Finite = Annotated[float, Field(allow_inf_nan=False)]
EntryName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")]
Glob = Annotated[str, Field(min_length=1, max_length=128)]
MAX_ENTRIES = 64
MAX_DISTRACTORS = 100


class _Model(BaseModel):
    """Same contract as every scenario model: frozen, unknown keys rejected, numbers finite."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, validate_default=True
    )


class Filter(_Model):
    """Which objects an entry touches: names (object or instance names, ``*`` globs) or classes; empty = all."""

    names: list[Glob] = Field(default_factory=list, max_length=256)
    classes: list[Glob] = Field(default_factory=list, max_length=256)


class _Entry(_Model):
    name: EntryName | None = Field(None, description="keys this entry's random generator (default: its type)")
    probability: float = Field(1.0, ge=0, le=1, allow_inf_nan=False, description="chance it applies, 0..1")


class _Randomizer(_Entry):
    scope: Literal["episode", "object"] = Field(
        "object", description="object: each matching object draws its own values; episode: one draw shared"
    )
    filter: Filter = Field(default_factory=Filter)


class _Effect(_Entry):
    scope: Literal["episode", "frame"] = Field("frame", description="frame: a new draw per frame; episode: one")
    cameras: list[EntryName] = Field(default_factory=list, max_length=16, description="cameras (default all)")


# --- pre-build randomizers -----------------------------------------------------------------------


class ColorRandomizer(_Randomizer):
    """Object colour in HSV: each given component replaces the object's (hue in degrees)."""

    type: Literal["color"]
    hue: Num(ge=0, le=360) | None = Field(None, description="degrees; omitted keeps the object's hue")
    saturation: Unit | None = None
    value: Unit | None = None


class TextureRandomizer(_Randomizer):
    """Textures on objects, the ground or the background walls: procedural generators or image files."""

    type: Literal["texture"]
    target: Literal["objects", "ground", "walls"] = "objects"
    generators: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=lambda: ["noise", "checker", "stripes"],
        max_length=64,
        description="procedural texture kinds (simgen list); one is chosen per draw",
    )
    images: list[Annotated[str, Field(min_length=1, max_length=512)]] = Field(
        default_factory=list, max_length=256, description="PNG/JPG files (assets:..., or next to the scenario)"
    )
    scale: Num(gt=0, le=100) = Field(0.25, description="metres per texture tile")
    hue: Num(ge=0, le=360) = Field({"uniform": [0, 360]}, description="base hue of the texture's colours, degrees")
    saturation: Unit = Field({"uniform": [0.1, 0.7]})
    value: Unit = Field({"uniform": [0.3, 0.9]})
    contrast: Unit = Field({"uniform": [0.2, 0.6]}, description="value difference between the two colours")
    specular: Unit | None = Field(None, description="specular strength (renderers that have it)")
    roughness: Unit | None = Field(None, description="recorded for photoreal backends")


class BackgroundRandomizer(_Randomizer):
    """Walls around the scene (textured planes, unlabelled) and a sky gradient painted where nothing is hit."""

    type: Literal["background"]
    walls: Num(ge=0, le=4, integer=True) = Field(0, description="number of walls (0-4) on a square around the origin")
    distance: Num(gt=0, le=1000) = Field(3.0, description="metres from the origin to each wall")
    height: Num(gt=0, le=1000) = Field(3.0, description="wall height, metres")
    sky: bool = Field(True, description="paint a vertical sky gradient behind everything")
    sky_hue: Num(ge=0, le=360) = Field({"uniform": [190, 230]})
    sky_saturation: Unit = Field({"uniform": [0.1, 0.6]})
    sky_value: Unit = Field({"uniform": [0.5, 1.0]})


class DistractorRandomizer(_Randomizer):
    """N extra bodies dropped or flying through the scene: a class of their own or unlabelled."""

    type: Literal["distractors"]
    count: Num(ge=0, le=MAX_DISTRACTORS, integer=True) = Field({"integer": [1, 4]})
    shapes: list[Literal["box", "sphere", "cylinder", "capsule", "urdf"]] = Field(
        default_factory=lambda: ["box", "sphere", "cylinder", "urdf"],  # type: ignore[arg-type]  # Literal list
        min_length=1,
        max_length=5,
        description="urdf: one of pybullet_data's 1000 random_urdfs",
    )
    size: Num(gt=0, le=10) = Field({"uniform": [0.04, 0.15]}, description="metres (box side, 2 x radius)")
    x: tuple[Finite, Finite] = Field((-0.5, 0.5), description="drop region x range [low, high], metres")
    y: tuple[Finite, Finite] = Field((-0.5, 0.5), description="y range [low, high], metres")
    z: tuple[Finite, Finite] = Field((0.3, 0.8), description="z range [low, high], metres")
    speed: Num(ge=0, le=100) = Field(0.0, description="initial speed in a random direction, m/s (flying)")
    class_: str | None = Field(None, alias="class", description="label class (must be in classes); omitted: unlabelled")
    textured: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> DistractorRandomizer:
        for axis in ("x", "y", "z"):
            lo, hi = getattr(self, axis)
            if lo > hi:
                raise ValueError(f"{axis} range low {lo:g} is greater than high {hi:g}")
        return self


class CameraRandomizer(_Randomizer):
    """Camera pose jitter, orbit around a target, look-at jitter, intrinsics and distortion jitter."""

    type: Literal["camera"]
    scope: Literal["episode", "object"] = "episode"
    cameras: list[EntryName] = Field(default_factory=list, max_length=16, description="cameras (default all)")
    position: Any3 = Field((0.0, 0.0, 0.0), description="offset added to the camera position, metres")
    rotation: Any3 = Field((0.0, 0.0, 0.0), description="roll, pitch, yaw jitter about the camera's axes, degrees")
    look_at: Any3 = Field((0.0, 0.0, 0.0), description="offset of the look-at target, metres (look_at cameras)")
    azimuth: Num(ge=-360, le=360) | None = Field(None, description="orbit: degrees about +z around the target")
    elevation: Num(ge=-89, le=89) | None = Field(None, description="orbit: degrees above the target's horizon")
    distance: Num(gt=0, le=1e4) | None = Field(None, description="orbit: metres from the target")
    target: tuple[Finite, Finite, Finite] = Field((0.0, 0.0, 0.0), description="orbit centre, world frame")
    focal: Num(gt=0, le=10) = Field(1.0, description="scale on fx and fy")
    principal_point: tuple[Num(), Num()] = Field((0.0, 0.0), description="offset of cx, cy in pixels")
    k1: Num(ge=-1, le=1) = Field(0.0, description="added to the OpenCV k1 distortion coefficient")
    k2: Num(ge=-1, le=1) = 0.0


class LightRandomizer(_Randomizer):
    """Light direction, intensity, colour temperature, ambient, shadows."""

    type: Literal["light"]
    scope: Literal["episode", "object"] = "episode"
    azimuth: Num(ge=-360, le=360) | None = Field(None, description="degrees about +z of the direction to the light")
    elevation: Num(ge=0, le=90) | None = Field(None, description="degrees above the horizon")
    intensity: Num(ge=0, le=10) | None = None
    temperature: Num(ge=1000, le=40000) | None = Field(None, description="colour temperature, kelvin")
    ambient: Unit | None = None
    shadow: Unit | None = Field(None, description="probability that shadows are on")


class PhysicsRandomizer(_Randomizer):
    """Mass, friction, restitution, initial velocities, gravity tilt."""

    type: Literal["physics"]
    mass_scale: Num(ge=0, le=1000) | None = None
    friction: Num(ge=0, le=10) | None = None
    restitution: Unit | None = None
    velocity: Any3 | None = Field(None, description="initial linear velocity, m/s, world frame")
    angular_velocity: Any3 | None = Field(None, description="initial angular velocity, rad/s, world frame")
    gravity_tilt: Num(ge=0, le=90) | None = Field(None, description="degrees; gravity tilted about a random axis")


RandomizerModel = Annotated[
    ColorRandomizer
    | TextureRandomizer
    | BackgroundRandomizer
    | DistractorRandomizer
    | CameraRandomizer
    | LightRandomizer
    | PhysicsRandomizer,
    Field(discriminator="type"),
]
RANDOMIZER_TYPES: tuple[str, ...] = ("color", "texture", "background", "distractors", "camera", "light", "physics")


# --- post-render sensor effects --------------------------------------------------------------------


class Exposure(_Effect):
    """Exposure change in stops: pixel values x 2**ev (linear approximation on 8-bit values)."""

    type: Literal["exposure"]
    ev: Num(ge=-10, le=10) = Field({"uniform": [-0.7, 0.7]})


class Gamma(_Effect):
    """Gamma curve: out = 255 * (in / 255) ** (1 / gamma)."""

    type: Literal["gamma"]
    gamma: Num(gt=0, le=10) = Field({"uniform": [0.8, 1.25]})


class WhiteBalance(_Effect):
    """White-balance error: the image tinted as if balanced for the wrong colour temperature (kelvin)."""

    type: Literal["white_balance"]
    temperature: Num(ge=1000, le=40000) = Field({"uniform": [4500, 8500]})


class Vignette(_Effect):
    """Radial darkening: gain 1 - strength * r**2 (r = 1 at the image corner)."""

    type: Literal["vignette"]
    strength: Unit = Field({"uniform": [0.1, 0.4]})


class ChromaticAberration(_Effect):
    """Lateral chromatic aberration: red scaled outward, blue inward, by ``shift`` pixels at the corner."""

    type: Literal["chromatic_aberration"]
    shift: Num(ge=0, le=50) = Field({"uniform": [0.5, 2.0]})


class GaussianNoise(_Effect):
    """Additive Gaussian read noise, standard deviation in 8-bit digital numbers."""

    type: Literal["gaussian_noise"]
    std: Num(ge=0, le=255) = Field({"uniform": [1, 5]})


class ShotNoise(_Effect):
    """Poisson shot noise: ``full_well`` electrons at value 255, so darker (underexposed) pixels are noisier."""

    type: Literal["shot_noise"]
    full_well: Num(gt=0, le=1e7) = Field({"loguniform": [500, 20000]})


class SaltPepper(_Effect):
    """Salt-and-pepper noise: a share ``amount`` of pixels set to black or white."""

    type: Literal["salt_pepper"]
    amount: Unit = Field({"uniform": [0.0, 0.002]})


class Defocus(_Effect):
    """Defocus blur: a disc (pillbox) kernel of ``radius`` pixels."""

    type: Literal["defocus"]
    radius: Num(ge=0, le=50) = Field({"uniform": [0, 2]})


class MotionBlur(_Effect):
    """Motion blur from the simulator's true camera and object velocities over the exposure time."""

    type: Literal["motion_blur"]
    exposure: Num(ge=0, le=1) = Field(0.02, description="exposure time, seconds")
    samples: int = Field(8, ge=2, le=64, description="time samples along each pixel's path")


class Jpeg(_Effect):
    """JPEG recompression at a random quality."""

    type: Literal["jpeg"]
    quality: Num(ge=1, le=100, integer=True) = Field({"integer": [40, 95]})


class Fog(_Effect):
    """Koschmieder fog on metric depth: T = exp(-3.912 d / visibility), blended towards an airlight colour."""

    type: Literal["fog"]
    visibility: Num(gt=0, le=1e6) = Field({"uniform": [20, 200]}, description="meteorological visibility, metres")
    airlight: Color3 = Field(
        ({"uniform": [0.7, 0.8]}, {"uniform": [0.72, 0.82]}, {"uniform": [0.75, 0.85]}),
        description="airlight RGB 0..1",
    )


class Rain(_Effect):
    """Rain streaks: thin bright slanted lines blended over the image."""

    type: Literal["rain"]
    drops: Num(ge=0, le=20000, integer=True) = Field({"integer": [200, 800]})
    length: Num(gt=0, le=500) = Field({"uniform": [10, 30]}, description="streak length, pixels")
    angle: Num(ge=-80, le=80) = Field({"uniform": [-15, 15]}, description="degrees from vertical")
    brightness: Unit = Field({"uniform": [0.1, 0.3]})


class LowLight(_Effect):
    """Low light: underexposure, then read noise, then a gamma lift (as a camera's auto-gain would)."""

    type: Literal["low_light"]
    gain: Num(gt=0, le=1) = Field({"uniform": [0.05, 0.3]})
    noise: Num(ge=0, le=255) = Field({"uniform": [1, 4]}, description="read noise std after the gain, 8-bit DN")
    gamma: Num(gt=0, le=10) = Field({"uniform": [1.5, 2.2]})


class Glare(_Effect):
    """Glare from the light source when it lies in view: a bloom and a horizontal streak at its image position."""

    type: Literal["glare"]
    strength: Unit = Field({"uniform": [0.3, 0.8]})
    radius: Num(gt=0, le=2000) = Field({"uniform": [40, 120]}, description="bloom radius, pixels")


class LensDirt(_Effect):
    """Lens dirt: soft dark smudges at random places (fixed for the episode when scope: episode)."""

    type: Literal["lens_dirt"]
    scope: Literal["episode", "frame"] = "episode"
    spots: Num(ge=0, le=200, integer=True) = Field({"integer": [3, 10]})
    size: Num(gt=0, le=1000) = Field({"uniform": [10, 40]}, description="smudge radius, pixels")
    opacity: Unit = Field({"uniform": [0.1, 0.35]})


class DepthNoise(_Effect):
    """Structured-light depth noise: disparity quantisation, noise growing as depth squared, holes at edges."""

    type: Literal["depth_noise"]
    sigma: Num(ge=0, le=1) = Field(0.0015, description="std at 1 m, metres; grows as depth**2")
    quantization: Num(ge=0, le=1) = Field(0.00125, description="depth step at 1 m, metres; grows as depth**2")
    edge_holes: Num(ge=0, le=20, integer=True) = Field(1, description="pixels dropped on each side of depth edges")
    edge_jump: Num(gt=0, le=100) = Field(0.05, description="depth jump that counts as an edge, metres")


class LidarNoise(_Effect):
    """LiDAR range noise and dropout: Gaussian range error, random point loss and lost azimuth sectors."""

    type: Literal["lidar_noise"]
    range_std: Num(ge=0, le=10) = Field(0.02, description="metres")
    dropout: Unit = Field(0.05, description="share of points lost at random")
    sectors: Num(ge=0, le=36, integer=True) = Field(0, description="azimuth sectors lost per sweep")
    sector_width: Num(gt=0, le=360) = Field(5.0, description="degrees")


EffectModel = Annotated[
    Exposure
    | Gamma
    | WhiteBalance
    | Vignette
    | ChromaticAberration
    | GaussianNoise
    | ShotNoise
    | SaltPepper
    | Defocus
    | MotionBlur
    | Jpeg
    | Fog
    | Rain
    | LowLight
    | Glare
    | LensDirt
    | DepthNoise
    | LidarNoise,
    Field(discriminator="type"),
]
EFFECT_TYPES: tuple[str, ...] = (
    "exposure",
    "gamma",
    "white_balance",
    "vignette",
    "chromatic_aberration",
    "gaussian_noise",
    "shot_noise",
    "salt_pepper",
    "defocus",
    "motion_blur",
    "jpeg",
    "fog",
    "rain",
    "low_light",
    "glare",
    "lens_dirt",
    "depth_noise",
    "lidar_noise",
)


def check_randomize(scenario: Any, base_dir: Any, add: Callable[..., None]) -> None:
    """Cross-field rules: known texture kinds, confined image paths, classes and cameras that exist.

    Reported through ``add(path, message, hint)`` like every semantic check.
    """
    from simgen.errors import did_you_mean
    from simgen.materials.textures import TEXTURES
    from simgen.scenario.assets import check_asset_path

    try:  # library materials register more generators where that module exists
        import simgen.materials.library  # noqa: F401
    except ImportError:
        pass
    classes = list(scenario.class_names)
    cameras = [c.name for c in scenario.cameras]
    kinds = sorted(TEXTURES)
    for i, e in enumerate(scenario.randomize):
        if isinstance(e, TextureRandomizer):
            for j, g in enumerate(e.generators):
                if g not in TEXTURES:
                    add(
                        ("randomize", i, "generators", j),
                        f"unknown texture generator '{g}'; expected one of {', '.join(kinds)}",
                        did_you_mean(g, kinds),
                    )
            for j, path in enumerate(e.images):
                problem = check_asset_path(path, base_dir, kind="texture")
                if problem:
                    add(("randomize", i, "images", j), problem[0], problem[1])
            if e.target == "ground" and scenario.world.ground.type != "plane":
                add(
                    ("randomize", i, "target"),
                    f"a ground texture needs world.ground.type: plane, not '{scenario.world.ground.type}'",
                    "set world.ground.type: plane",
                )
            if not e.generators and not e.images:
                add(("randomize", i, "generators"), "a texture randomizer needs generators or images")
        if isinstance(e, DistractorRandomizer) and e.class_ is not None and e.class_ not in classes:
            add(
                ("randomize", i, "class"),
                f"class '{e.class_}' is not in the scenario's classes list",
                did_you_mean(e.class_, classes) or "add it to 'classes', or omit 'class' for unlabelled distractors",
            )
        for j, c in enumerate(e.filter.classes):
            if "*" not in c and c not in classes:
                add(
                    ("randomize", i, "filter", "classes", j),
                    f"class '{c}' is not in this scenario",
                    did_you_mean(c, classes),
                )
        for j, cam in enumerate(getattr(e, "cameras", [])):
            if cam not in cameras:
                add(("randomize", i, "cameras", j), f"no camera named '{cam}'", did_you_mean(cam, cameras))
    for i, e in enumerate(scenario.effects):
        for j, cam in enumerate(e.cameras):
            if cam not in cameras:
                add(("effects", i, "cameras", j), f"no camera named '{cam}'", did_you_mean(cam, cameras))


def entry_keys(entries: list[Any]) -> list[str]:
    """Generator key of each entry: its ``name``, else its type, suffixed ``#k`` for the k-th repeat.

    Keys, not list positions, seed the entries, so inserting an entry never shifts another's draws.
    """
    keys: list[str] = []
    for e in entries:
        base = e.name or e.type
        k, key = 1, base
        while key in keys:
            k += 1
            key = f"{base}#{k}"
        keys.append(key)
    return keys


__all__ = [
    "EFFECT_TYPES",
    "RANDOMIZER_TYPES",
    "EffectModel",
    "Filter",
    "RandomizerModel",
    "check_randomize",
    "entry_keys",
]
