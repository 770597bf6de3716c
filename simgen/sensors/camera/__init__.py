"""Camera: rgb, depth, ids, normals, flow and object coordinates through a lens (one registration).

:mod:`.model` holds the ``cameras:`` entry, the spec and the capture record; :mod:`.sampling`
resolves rigs, intrinsics and mounts into specs; :mod:`.pinhole` is the projection maths;
:mod:`.runtime` (with :mod:`.outputs`) renders through the shared backends in
:mod:`simgen.sensors.render`. A camera has its own ``cameras:`` section, so its type has no
``sensors:`` entry model.
"""

from simgen.sensors.camera import model
from simgen.sensors.registry import SensorType, register_sensor_type

CAMERA = register_sensor_type(
    SensorType(
        name="camera",
        summary="rgb, depth, instance, semantic, normals, flow, object_coords; OpenCV and fisheye lenses; mounts",
        runtime="simgen.sensors.camera.runtime:Camera",
        spec=model.CameraSpec,
        record=model.CameraCapture,
        faults=model.CAMERA_FAULTS,
    )
)
