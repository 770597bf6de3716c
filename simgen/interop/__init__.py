"""Interchange formats read by ``simgen import``: ASAM OpenSCENARIO 1.x and OpenDRIVE."""
