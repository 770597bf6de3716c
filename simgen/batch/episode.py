"""Run one episode: build the world, settle, step, and yield labeled frames per camera."""

from __future__ import annotations

from collections.abc import Iterator

from simgen.labels.instances import LabelOptions, instance_map, label_frame, semantic_map
from simgen.labels.truth import TruthCollector
from simgen.scenario.spec import EpisodeSpec
from simgen.sensors.frame import Frame
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World


def run_episode(client: BulletClient, spec: EpisodeSpec, renderer: str) -> Iterator[Frame]:
    """Yield every camera's labeled frame for each of the episode's frames, in order."""
    attach(client, renderer)
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    options = LabelOptions.from_json(spec.labels, spec.min_visible_pixels)
    truth = TruthCollector(client, world, spec, renderer, amodal=spec.labels.get("amodal", True))
    for f in range(spec.frames):
        if f:
            world.step(spec.world.steps_per_frame)
        poses = world.poses()
        for cam in spec.cameras:
            raw = render(client, cam, renderer)
            inst = instance_map(raw.body_uid, world.instance_of_uid)
            frame = Frame(
                episode=spec.index,
                index=f,
                time=world.time,
                split=spec.split,
                camera=cam,
                rgb=raw.rgb,
                depth=raw.depth,
                instance=inst,
                semantic=semantic_map(inst, spec.objects),
                objects=spec.objects,
                poses=poses,
                class_names=spec.class_names,
            )
            frame.truth = truth.collect(cam, inst, poses)
            yield label_frame(frame, options)
