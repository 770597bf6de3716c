"""Labels stage: simulator ground truth (instance maps, poses, geometry) -> annotations.

``instances`` turns a Frame's instance map and ground truth into per-object labels;
``geometry`` holds the conventions (rotations, box formats, KITTI); ``amodal`` draws each
object's whole silhouette from the visual geometry the sensors stage hands over as data. No
module here imports the simulator.
"""

from simgen.labels.instances import LabelOptions, instance_map, label_frame, label_instances, semantic_map

__all__ = ["LabelOptions", "instance_map", "label_frame", "label_instances", "semantic_map"]
