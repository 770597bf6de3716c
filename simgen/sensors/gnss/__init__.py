"""GNSS: position and velocity fixes with noise and dropouts (one registration).

:mod:`.model` holds the scenario entry, spec and record; :mod:`.runtime` reads the world.
"""

from simgen.sensors.gnss import model
from simgen.sensors.registry import SensorType, register_sensor_type

GNSS = register_sensor_type(
    SensorType(
        name="gnss",
        summary="position/velocity fixes with Gaussian noise and dropouts",
        runtime="simgen.sensors.gnss.runtime:Gnss",
        model=model.Gnss,
        spec=model.GnssSpec,
        record=model.GnssSample,
        mcap_note="the fixes are in raw/sensors/ (stream NPZ)",
    )
)
