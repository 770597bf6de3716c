"""Run one episode: build the world, settle, step, and yield labeled frames per camera."""

from __future__ import annotations

from collections.abc import Iterator

from simgen.labels.instances import LabelOptions, instance_map, label_frame, semantic_map
from simgen.labels.truth import TruthCollector
from simgen.randomize.pipeline import ImageEffects
from simgen.scenario.spec import CameraSpec, EpisodeSpec
from simgen.sensors.frame import Frame
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World


def capture_frame(
    world: World,
    cam: CameraSpec,
    index: int,
    renderer: str,
    poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]] | None = None,
    options: LabelOptions | None = None,
    truth: TruthCollector | None = None,
) -> Frame:
    """Render ``cam`` in the world's current state and label it: the whole per-frame path.

    ``poses`` (from ``world.poses()``) can be shared by the cameras of one tick; ``truth``
    adds amodal masks and 3D ground truth; ``options`` are the scenario's label filters.
    """
    spec = world.spec
    raw = render(world.client, cam, renderer, light=world.render_light())
    inst = instance_map(raw.body_uid, world.instance_of_uid)
    frame = Frame(
        episode=spec.index,
        index=index,
        time=world.time,
        split=spec.split,
        camera=cam,
        rgb=raw.rgb,
        depth=raw.depth,
        instance=inst,
        semantic=semantic_map(inst, spec.objects),
        objects=spec.objects,
        poses=world.poses() if poses is None else poses,
        class_names=spec.class_names,
    )
    if truth is not None:
        frame.truth = truth.collect(cam, inst, frame.poses)
    if options is None:
        options = LabelOptions.from_json(spec.labels, spec.min_visible_pixels)
    return label_frame(frame, options)


def run_episode(client: BulletClient, spec: EpisodeSpec, renderer: str) -> Iterator[Frame]:
    """Yield every camera's labeled frame for each of the episode's frames, in order."""
    attach(client, renderer)
    world = World(client, spec)
    effects = ImageEffects(spec)
    world.step(spec.world.settle_steps)
    options = LabelOptions.from_json(spec.labels, spec.min_visible_pixels)
    truth = TruthCollector(client, world, spec, renderer, amodal=spec.labels.get("amodal", True))
    for f in range(spec.frames):
        if f:
            world.step(spec.world.steps_per_frame)
        poses = world.poses()
        for cam in map(world.camera, spec.cameras):
            frame = capture_frame(world, cam, f, renderer, poses, options, truth)
            delivered = effects(frame, world.light, world.active_faults(cam.name))
            if delivered is not None:
                yield delivered
