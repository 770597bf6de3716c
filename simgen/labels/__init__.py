"""Labels stage: simulator ground truth (instance maps, poses, geometry) -> annotations.

``instances`` turns a Frame's instance map and ground truth into per-object labels;
``geometry`` holds the conventions (rotations, box formats, KITTI); ``truth`` (imports the
simulator) collects body-frame boxes, amodal masks and link origins during an episode.
"""

from simgen.labels.instances import LabelOptions, instance_map, label_frame, label_instances, semantic_map

__all__ = ["LabelOptions", "instance_map", "label_frame", "label_instances", "semantic_map"]
