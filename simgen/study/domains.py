"""Scenario transforms of the utility study: source, randomized and target domains, photoreal check.

A study *arm* is a pair (scenario transform, renderer); a *domain* is what a transform makes of
the user's scenario. All transforms work on the scenario's resolved configuration (the JSON data
``resolved_config`` gives, which loads back as is) and reload it with ``loads`` so that the
result is validated like any scenario file and asset paths still resolve next to the original.

- :func:`study_base`: the scenario cut to the study's size: first camera only, at the study's
  image size (intrinsics scaled), no extra sensors, optionally a subset of classes.
- :func:`with_randomization` is **the randomization hook**: ``on=False`` fixes every appearance
  value at its nominal value and removes camera faults; ``on=True`` turns the scenario's
  randomization on. When the scenario language has declarative ``randomize:``/``effects:``
  blocks, those are what the hook switches; a scenario that declares none, or a language that
  has none, gets the fallback made of what the language has had from the start: colour,
  ground, light and haze distributions plus exposure-spike sensor faults.
- :func:`target_domain`: held-out scenes no training arm saw: other seeds (so other layouts) and
  a fixed, seeded appearance shift (other object colours, ground colour and light), which lies
  inside the range the randomized arm draws from but is not the source's nominal look.
- :func:`photoreal_status`: whether the photoreal arm can run here, and why not.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from simgen.errors import SimgenError, did_you_mean
from simgen.scenario.loader import loads
from simgen.scenario.models import Scenario
from simgen.scenario.names import fault_targets

# Keys of the declarative randomization blocks (issue 10); absent from older scenario languages.
RANDOMIZE_KEYS = ("randomize", "effects")
# Appearance keys of the fallback randomization (the language without randomize:/effects: blocks).
FALLBACK_COLOR = {"uniform": [0.05, 0.95]}
FALLBACK_LIGHT = {
    "direction": [{"uniform": [-1.0, 1.0]}, {"uniform": [-1.0, 1.0]}, {"uniform": [0.3, 1.0]}],
    "intensity": {"uniform": [0.45, 1.5]},
    "ambient": {"uniform": [0.3, 0.8]},
}
FALLBACK_HAZE = {"density": {"uniform": [0.0, 0.2]}, "color": [0.75, 0.76, 0.78]}
FALLBACK_EXPOSURE_GAIN = {"uniform": [0.5, 2.0]}
# The study's own additions to a scenario's declared randomization (see study_randomization).
STUDY_OBJECT_COLOR = {
    "type": "color",
    "name": "study_object_color",
    "hue": {"uniform": [0, 360]},
    "saturation": {"uniform": [0.15, 0.9]},
    "value": {"uniform": [0.25, 0.95]},
}
STUDY_TEXTURE_PROBABILITY = 0.5
# Seed offsets of the held-out domains: far from any seed a user would pick for the source.
TARGET_TRAIN_SEED_OFFSET = 1_000_003
TARGET_TEST_SEED_OFFSET = 2_000_029
SOURCE_TEST_SEED_OFFSET = 3_000_017


def config_of(scenario: Scenario) -> dict[str, Any]:
    """The scenario's resolved configuration as plain JSON data (a deep copy, safe to edit)."""
    from simgen.batch.runner import resolved_config

    return copy.deepcopy(resolved_config(scenario))


def reload(config: dict[str, Any], like: Scenario, label: str) -> Scenario:
    """Validate ``config`` as a scenario whose asset paths resolve next to ``like``'s file."""
    text = yaml.safe_dump(config, sort_keys=False)
    return loads(text, base_dir=like.base_dir, file=f"<study {label} of {like.name}>")


def study_base(
    scenario: Scenario, *, width: int, height: int, classes: list[str] | None = None, frames: int | None = None
) -> Scenario:
    """The scenario cut to the study's size: first camera at ``width`` x ``height``, no sensors.

    ``classes``: keep only objects of these classes (others are removed from the world, and the
    class list shrinks to them, in the scenario's order). ``frames``: frames per episode.
    """
    cfg = config_of(scenario)
    cam = cfg["cameras"][0]
    scale_x, scale_y = width / cam.get("width", 640), height / cam.get("height", 480)
    cam["width"], cam["height"] = int(width), int(height)
    if cam.get("intrinsics"):
        k = cam["intrinsics"]
        cam["intrinsics"] = {
            "fx": k["fx"] * scale_x,
            "fy": k["fy"] * scale_y,
            "cx": k["cx"] * scale_x,
            "cy": k["cy"] * scale_y,
        }
    for key in ("stereo", "surround", "outputs"):
        cam.pop(key, None)
    cfg["cameras"] = [cam]
    cfg["sensors"] = []
    _drop_references_to_removed_sensors(cfg, cam.get("name"))
    if frames is not None:
        cfg["frames"] = int(frames)
    all_classes = list(cfg.get("classes") or dict.fromkeys(o["class"] for o in cfg["objects"]))
    if classes:
        unknown = [c for c in classes if c not in all_classes]
        if unknown:
            raise SimgenError(
                f"--classes: {', '.join(map(repr, unknown))} not a class of scenario '{scenario.name}'",
                hint=did_you_mean(unknown[0], all_classes) or f"its classes: {', '.join(all_classes)}",
            )
        keep = set(classes)
        cfg["objects"] = [o for o in cfg["objects"] if o["class"] in keep]
        all_classes = [c for c in all_classes if c in keep]
    cfg["classes"] = all_classes
    for ignored in cfg.get("labels", {}).get("ignore_classes", []):
        if ignored not in all_classes:
            cfg["labels"]["ignore_classes"].remove(ignored)
    return reload(cfg, scenario, "base")


def nominal(value: Any) -> Any:
    """A distribution's nominal value (centre of a range, mean of a normal, likeliest choice).

    Numbers, references (``${...}``) and anything else pass through unchanged; lists are mapped.
    """
    if isinstance(value, list):
        return [nominal(v) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    ((form, arg),) = value.items()
    if form == "uniform":
        return (arg[0] + arg[1]) / 2
    if form == "loguniform":
        return math.sqrt(arg[0] * arg[1])
    if form == "integer":
        return int(round((arg[0] + arg[1]) / 2))
    if form == "normal":
        mean = float(arg["mean"])
        return min(max(mean, arg.get("min", mean)), arg.get("max", mean))
    if form == "choice":
        if isinstance(arg, dict):
            weights = arg["weights"]
            return arg["values"][int(np.argmax(weights))]
        return arg[0]
    return value


def has_declarative_randomization() -> bool:
    """True when the scenario language has ``randomize:``/``effects:`` blocks."""
    return all(key in Scenario.model_fields for key in RANDOMIZE_KEYS)


def _drop_references_to_removed_sensors(cfg: dict[str, Any], camera: str | None) -> None:
    """Remove event actions and effect camera lists that name sensors the study cut (in place).

    Names must resolve at load time, so a LiDAR fault or a second camera's fault would make the
    study's scenario invalid once those sensors are gone.
    """

    def keep(action: dict[str, Any]) -> bool:
        if fault_targets().get(action.get("type", ""), "camera") != "camera":
            return False  # a fault of a non-camera sensor
        named = action.get("camera")
        return named is None or named == camera

    events = []
    for event in cfg.get("events") or []:
        actions = [a for a in event.get("actions", []) if keep(a)]
        if actions:
            events.append({**event, "actions": actions})
    if "events" in cfg:
        cfg["events"] = events
    for key in ("effects", "randomize"):
        entries = []
        for entry in cfg.get(key) or []:
            if entry.get("cameras"):
                entry = {**entry, "cameras": [c for c in entry["cameras"] if c == camera]}
                if not entry["cameras"]:
                    continue
            entries.append(entry)
        if key in cfg:
            cfg[key] = entries


def with_randomization(scenario: Scenario, on: bool) -> Scenario:
    """The randomization hook: ``scenario`` with domain randomization and sensor effects on or off.

    Off: appearance fixed at nominal values (object and ground colours, light, time of day,
    haze), camera faults removed, declarative ``randomize:``/``effects:`` blocks emptied.
    On: the scenario's own ``randomize:``/``effects:`` blocks when it declares any; otherwise the
    fallback (random object and ground colours, light direction/intensity/ambient, haze density,
    and one exposure spike per episode). Layout randomness (positions, counts, sizes) is content,
    not domain randomization, and is left as the scenario draws it in both cases.
    """
    cfg = config_of(scenario)
    declared = has_declarative_randomization() and any(cfg.get(k) for k in RANDOMIZE_KEYS)
    if on and declared:
        study_randomization(cfg)
        return reload(cfg, scenario, "randomized")
    for key in RANDOMIZE_KEYS:
        if key in cfg:
            cfg[key] = []
    _fix_appearance(cfg)
    if on:
        _fallback_randomization(cfg)
    return reload(cfg, scenario, "randomized" if on else "nominal")


@dataclass(frozen=True)
class Ablation:
    """The randomized domain with one ``randomize:``/``effects:`` entry left out."""

    slug: str  # e.g. 'randomize3_background': key, position in its block, entry type
    label: str  # e.g. 'randomize[3] background'
    scenario: Scenario


def ablations(scenario: Scenario) -> list[Ablation]:
    """One randomized domain per ``randomize:``/``effects:`` entry of ``scenario``, with that entry removed.

    Pass the randomized domain (:func:`with_randomization` on), so the study's own entries count too.
    """
    cfg = config_of(scenario)
    out = []
    for key in RANDOMIZE_KEYS:
        for i, entry in enumerate(cfg.get(key) or []):
            kind = str(entry.get("type", "entry"))
            target = entry.get("target")
            label = f"{key}[{i}] {kind}" + (f" ({target})" if target else "")
            left = copy.deepcopy(cfg)
            del left[key][i]
            slug = f"{key}{i}_{kind}" + (f"_{target}" if target else "")
            out.append(Ablation(slug, label, reload(left, scenario, f"randomized without {label}")))
    return out


def study_randomization(cfg: dict[str, Any]) -> None:
    """What the randomized arm adds to a scenario's declared ``randomize:`` list (in place).

    - Every object's colour is drawn (hue 0-360, saturation 0.15-0.9, value 0.25-0.95), first
      in the list so the scenario's own colour entries still apply on top.
    - Object texture entries apply on half the draws, so plain-coloured objects are seen too.

    Why: a site's objects have their own plain colours (the target domain recolours every kind);
    a scenario that textures some classes always, and recolours others only, trains a detector
    that has never seen those classes plain, nor the others in new colours.
    """
    entries = [copy.deepcopy(STUDY_OBJECT_COLOR)]
    for entry in cfg.get("randomize") or []:
        if entry.get("type") == "texture" and entry.get("target", "objects") == "objects":
            entry = {**entry, "probability": min(float(entry.get("probability", 1.0)), STUDY_TEXTURE_PROBABILITY)}
        entries.append(entry)
    cfg["randomize"] = entries


def _fix_appearance(cfg: dict[str, Any]) -> None:
    """Collapse appearance distributions to nominal values and drop camera faults (in place)."""
    for obj in cfg["objects"]:
        if "color" in obj:
            obj["color"] = nominal(obj["color"])
    world = cfg.setdefault("world", {})
    for key in ("time_of_day", "sky"):
        if key in world:
            world[key] = nominal(world[key])
    ground = world.get("ground", {})
    for key in ("color",):
        if key in ground:
            ground[key] = nominal(ground[key])
    light = world.get("light", {})
    for key in list(light):
        light[key] = nominal(light[key])
    world.pop("haze", None)
    camera_faults = {name for name, owner in fault_targets().items() if owner == "camera"}
    events = []
    for event in cfg.get("events", []):
        actions = [a for a in event["actions"] if a["type"] not in camera_faults]
        if actions:
            events.append({**event, "actions": actions})
    cfg["events"] = events


def _fallback_randomization(cfg: dict[str, Any]) -> None:
    """Randomize appearance with what every scenario language version has (in place)."""
    for obj in cfg["objects"]:
        obj["color"] = [FALLBACK_COLOR, FALLBACK_COLOR, FALLBACK_COLOR]  # RGB: every object type takes it
    world = cfg["world"]
    world.setdefault("ground", {})["color"] = [FALLBACK_COLOR, FALLBACK_COLOR, FALLBACK_COLOR, 1.0]
    world["light"] = {**world.get("light", {}), **copy.deepcopy(FALLBACK_LIGHT)}
    world["haze"] = copy.deepcopy(FALLBACK_HAZE)
    settle = float(world.get("settle_time", 0.0))
    span = max(cfg.get("frames", 1), 1) / float(world.get("frame_rate", 10.0))
    cfg.setdefault("events", []).append(
        {
            "name": "study_exposure",
            "trigger": {"type": "window", "start": settle, "end": settle + span},
            "actions": [
                {
                    "type": "exposure_spike",
                    "duration": 1.0 / float(world.get("frame_rate", 10.0)),
                    "gain": FALLBACK_EXPOSURE_GAIN,
                }
            ],
        }
    )


def target_domain(scenario: Scenario, *, shift_seed: int) -> Scenario:
    """Held-out appearance: each object kind, the ground and the light get one fixed new look.

    The look is drawn once from ``SeedSequence(shift_seed)`` (keyed by object name), so every
    scene of the target shares it, like a real site whose objects have their own colours. It
    lies inside the randomized arm's range. Seeds (hence layouts) are set by the caller.
    """
    cfg = config_of(with_randomization(scenario, on=False))

    def rng(key: str) -> np.random.Generator:
        entropy = [shift_seed, *key.encode("utf-8")]
        return np.random.default_rng(np.random.SeedSequence(entropy))

    for obj in cfg["objects"]:
        rgb = rng(f"objects.{obj['name']}").uniform(0.1, 0.9, size=3)
        obj["color"] = [round(float(c), 4) for c in rgb] + [1.0]
    world = cfg["world"]
    world.setdefault("ground", {})["color"] = [round(float(c), 4) for c in rng("ground").uniform(0.2, 0.8, 3)] + [1.0]
    r = rng("light")
    world["light"] = {
        **world.get("light", {}),
        "direction": [
            round(float(r.uniform(-1, 1)), 4),
            round(float(r.uniform(-1, 1)), 4),
            round(float(r.uniform(0.4, 1)), 4),
        ],
        "intensity": round(float(r.uniform(0.6, 1.3)), 4),
    }
    return reload(cfg, scenario, "target")


def photoreal_status(renderer: str = "cycles") -> tuple[bool, str]:
    """(available, reason): the photoreal arm runs when ``bpy`` imports and ``renderer`` is accepted."""
    try:
        import bpy  # noqa: F401
    except Exception as err:  # bpy raises more than ImportError when its native libraries are missing
        return (
            False,
            f"bpy does not import ({type(err).__name__}: {err}); install it with pip install 'simgen[blender]'",
        )
    from simgen.sensors.render import resolve_renderer

    try:
        resolve_renderer(renderer, notify=False)
    except SimgenError as err:
        return False, f"renderer '{renderer}' is not accepted by this simgen ({err})"
    return True, ""
