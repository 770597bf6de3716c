"""Sensors stage: cameras and their render backends; produces :class:`simgen.frame.Frame` records."""
