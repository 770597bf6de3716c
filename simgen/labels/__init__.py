"""Labels stage: simulator ground truth (instance maps, poses) -> annotations."""

from simgen.labels.instances import instance_map, label_frame, label_instances, semantic_map

__all__ = ["instance_map", "label_frame", "label_instances", "semantic_map"]
