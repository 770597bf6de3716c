"""Radar: clustered detections with range, angles, radial velocity and an RCS proxy (one registration).

:mod:`.model` holds the scenario entry, spec, record, stream arrays and MCAP topic;
:mod:`.runtime` casts the raw rays and clusters them.
"""

from simgen.sensors.radar import model
from simgen.sensors.registry import SensorType, register_sensor_type

RADAR = register_sensor_type(
    SensorType(
        name="radar",
        summary="radar detections: range, azimuth, elevation, radial velocity, RCS proxy, instance, class",
        runtime="simgen.sensors.radar.runtime:Radar",
        model=model.Radar,
        spec=model.RadarSpec,
        record=model.RadarScan,
        derive=model.derive,
        arrays=model.radar_arrays,
        mcap=model.radar_mcap,
    )
)
