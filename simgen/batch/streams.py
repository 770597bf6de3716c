"""Write an episode's :class:`~simgen.sensors.stream.SensorStream` to ``OUT/raw/sensors/``.

Until a dedicated raw/MCAP exporter consumes streams, this keeps every non-camera sample (and
the per-tick ground-truth poses) on disk: ``OUT/raw/sensors/e<episode>/`` holds
``stream.json`` (index: sensors, timing, counts) and one NPZ per sensor plus ``poses.npz``.
Files are written atomically; their bytes depend only on the scenario and seed.
"""

from __future__ import annotations

from pathlib import Path

from simgen.core.fileio import write_bytes
from simgen.sensors.stream import SensorStream

STREAM_DIR = Path("raw") / "sensors"


def write_stream(out_dir: Path, stream: SensorStream) -> list[str]:
    """Write ``stream`` under ``out_dir``; return the written paths relative to ``out_dir`` (sorted)."""
    folder = STREAM_DIR / f"e{stream.episode:06d}"
    written = []
    for name, data in sorted(stream.files().items()):
        write_bytes(out_dir / folder / name, data)
        written.append((folder / name).as_posix())
    return written


__all__ = ["STREAM_DIR", "write_stream"]
