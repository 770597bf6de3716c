"""Simulation stage: pybullet clients, world building, stepping."""
