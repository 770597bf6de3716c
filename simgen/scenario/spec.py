"""EpisodeSpec: one episode with every random value drawn, fixed and recorded.

Everything downstream (world building, rendering, labels, export) reads only these plain
frozen records, so an episode can be rebuilt exactly from its spec alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from simgen.materials.material import Material
from simgen.scenario.scene_spec import SceneSpec
from simgen.sensors.camera.model import CameraSpec


@dataclass(frozen=True)
class ObjectInstance:
    """One spawned object. ``instance_id`` (1-based) is also its track id within the episode."""

    instance_id: int
    name: str
    source: str
    class_name: str
    category_id: int
    type: str
    shape: dict[str, Any]
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float]
    rpy_deg: tuple[float, float, float]
    mass: float
    color: tuple[float, float, float, float] | None
    friction: float
    restitution: float
    linear_damping: float
    angular_damping: float
    # World extras (see simgen.scenario.sample_world): label id policy, metadata, actor, joints.
    label_id: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    behavior: dict[str, Any] | None = None
    joints: dict[str, float] = field(default_factory=dict)
    spawn: bool = True
    # Appearance (see simgen.materials): set by asset generators and appearance randomizers;
    # None keeps ``color`` (or a mesh's/URDF's own look).
    material: Material | None = None
    # Initial velocities (m/s, rad/s, world frame) set by the physics randomizer; None = at rest.
    velocity: tuple[float, float, float] | None = None
    angular_velocity: tuple[float, float, float] | None = None
    reflectivity: float | None = None  # LiDAR/radar reflectivity in 0..1; None: from the colour

    @property
    def label(self) -> int:
        """Instance id written into instance maps: own id, a shared id, or 0 (unlabeled)."""
        return self.instance_id if self.label_id is None else self.label_id


@dataclass(frozen=True)
class WorldSpec:
    """Physics settings and the step schedule of one episode."""

    gravity: tuple[float, float, float]
    time_step: float
    solver_iterations: int
    ground: dict[str, Any]
    settle_steps: int
    steps_per_frame: int


@dataclass(frozen=True)
class EpisodeSpec:
    """Everything needed to rebuild and render episode ``index``."""

    index: int
    seed: int
    split: str
    frames: int
    world: WorldSpec
    objects: tuple[ObjectInstance, ...]
    cameras: tuple[CameraSpec, ...]
    class_names: tuple[str, ...]
    min_visible_pixels: int
    base_dir: str
    variant: str | None = None  # name of the scenario variant this episode drew, if it has variants
    sweep: dict[str, Any] | None = None  # {cell, cells, index, values} when the scenario has a sweep
    sampled: dict[str, Any] = field(default_factory=dict)
    scene: SceneSpec = field(default_factory=SceneSpec)
    # Filled by the simulator while the episode runs: every fired event with its time.
    event_log: list[dict[str, Any]] = field(default_factory=list, compare=False)
    # The scenario's resolved ``labels:`` block (filters, amodal pass); see simgen.labels.LabelOptions.
    labels: dict[str, Any] = field(default_factory=dict)
    # The scenario's ``render:`` block (photoreal renderer settings); see simgen.sensors.blender.
    render: dict[str, Any] = field(default_factory=dict)
    sensors: tuple[Any, ...] = ()  # each a SensorSpec subclass, the spec of its registered sensor type
    # Domain randomization (see simgen.randomize): the ground's material, background walls and sky
    # gradient, the scenario's effect entries as (key, entry) pairs, and every randomizer's draws.
    ground_material: Material | None = None
    backdrop: dict[str, Any] = field(default_factory=dict)
    effects: tuple[tuple[str, Any], ...] = ()
    randomized: dict[str, Any] = field(default_factory=dict)
    # Filled while frames are rendered: every sensor effect's draws per camera (and frame).
    effect_log: dict[str, Any] = field(default_factory=dict, compare=False)
    # With ``require:``: the accepted attempt count and each condition's checks and failures.
    requirements: dict[str, Any] | None = None

    def frame_time(self, frame: int) -> float:
        """Simulated time in seconds at which ``frame`` is captured."""
        w = self.world
        return (w.settle_steps + frame * w.steps_per_frame) * w.time_step

    def to_json(self) -> dict[str, Any]:
        """JSON-safe record for the manifest: seeds, split, sampled values, objects, cameras."""
        return {
            "index": self.index,
            "seed": self.seed,
            "split": self.split,
            "variant": self.variant,
            "sweep": self.sweep,
            "frames": self.frames,
            "world": asdict(self.world),
            "sampled": self.sampled,
            "objects": [asdict(o) for o in self.objects],
            "cameras": [c.to_json() for c in self.cameras],
            "scene": self.scene.to_json(),
            "events_fired": list(self.event_log),
            **({"sensors": [s.to_json() for s in self.sensors]} if self.sensors else {}),
            **({"randomize": self.randomized} if self.randomized else {}),
            **({"effects": self.effect_log} if self.effect_log else {}),
            **({"requirements": self.requirements} if self.requirements else {}),
        }
