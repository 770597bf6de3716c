"""The leaf layer: small modules by noun that every stage may import and that import no stage.

- :mod:`simgen.core.transforms`: rotations, quaternions, rigid poses and camera projection.
- :mod:`simgen.core.lens`: camera lens models (OpenCV plumb-bob and fisheye) as numpy math.
- :mod:`simgen.core.fileio`: atomic writes (temporary name, then rename) of files and folders.

Nothing here imports pybullet, OpenCV or any other simgen package but :mod:`simgen.core`
itself (checked by ``tests/test_imports.py``), so geometry and file conventions have one home.
"""
