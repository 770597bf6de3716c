"""LiDAR: spinning or solid-state ray casting with per-point labels (one registration).

:mod:`.model` holds the scenario entry, spec, record and stream arrays; :mod:`.runtime` casts.
"""

from simgen.sensors.lidar import model
from simgen.sensors.registry import SensorType, register_sensor_type

LIDAR = register_sensor_type(
    SensorType(
        name="lidar",
        summary="ray-cast point clouds: xyz, range, intensity, ring, time, instance, class",
        runtime="simgen.sensors.lidar.runtime:Lidar",
        model=model.Lidar,
        spec=model.LidarSpec,
        record=model.LidarScan,
        derive=model.derive,
        arrays=model.lidar_arrays,
        on_frame=model.point_cloud,  # the newest sweep rides on camera frames: KITTI velodyne, raw points, MCAP points
        faults=(model.LidarDropout,),
    )
)
