"""Sensors stage: cameras and their render backends; produces :class:`Frame` records."""

from simgen.sensors.frame import Frame, InstanceLabel

__all__ = ["Frame", "InstanceLabel"]
