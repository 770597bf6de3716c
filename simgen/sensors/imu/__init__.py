"""IMU: specific force and angular rate with Kalibr-style noise (one registration).

:mod:`.model` holds the scenario entry, spec and record; :mod:`.runtime` reads the world.
"""

from simgen.sensors.imu import model
from simgen.sensors.registry import SensorType, register_sensor_type

IMU = register_sensor_type(
    SensorType(
        name="imu",
        summary="specific force (m/s^2) and angular rate (rad/s), Kalibr noise, bias, scale, saturation",
        runtime="simgen.sensors.imu.runtime:Imu",
        model=model.Imu,
        spec=model.ImuSpec,
        record=model.ImuSample,
        mcap_note="Foxglove has no IMU schema; the samples are in raw/sensors/ (stream NPZ)",
        faults=(model.ImuBiasJump,),
    )
)
