"""GNSS plugin: antenna position and velocity in the world frame with noise and dropouts."""

from __future__ import annotations

import numpy as np

from simgen.sensors.gnss.model import GnssSample, GnssSpec
from simgen.sensors.imu.runtime import point_state
from simgen.sensors.registry import Sensor


class Gnss(Sensor[GnssSpec, GnssSample]):
    """Position fixes (local ENU metres; z up) and velocity (m/s) of the antenna point."""

    def capture(self, tick: int) -> GnssSample:
        """One fix at the current tick (NaN and ``valid=False`` when dropped)."""
        s = self.spec
        t = self.world.time
        ws, v, _ = point_state(self.world, s.mount, s.mount_from_sensor)
        pos_true = ws[:3, 3].copy()
        std = np.array([s.horizontal_noise, s.horizontal_noise, s.vertical_noise])
        pos = pos_true + self.rng.normal(0.0, 1.0, 3) * std
        vel = v + self.rng.normal(0.0, 1.0, 3) * s.velocity_noise
        valid = bool(self.rng.random() >= s.dropout)
        if not valid:
            pos = np.full(3, np.nan)
            vel = np.full(3, np.nan)
        sample = GnssSample(
            sensor=s.name,
            index=self.count,
            capture_time=t,
            delivery_time=t + s.latency,
            position=pos,
            velocity=vel,
            position_true=pos_true,
            velocity_true=v,
            valid=valid,
        )
        self.count += 1
        return sample


__all__ = ["Gnss"]
