"""MCAP writes sensor records through their sensor type and names what it cannot write (fake frames, no render)."""

from __future__ import annotations

import dataclasses

import fake
import numpy as np
from mcap.reader import make_reader

from simgen.export.base import get_exporter, load_builtin
from simgen.sensors.gnss.model import GnssSample
from simgen.sensors.radar.model import RadarScan

load_builtin()


def _scan(t: float) -> RadarScan:
    m = 3
    xyz = np.arange(3 * m, dtype=np.float32).reshape(m, 3)
    f = np.linspace(1, 2, m).astype(np.float32)
    return RadarScan("front", 0, t, t, np.eye(4), xyz, f, f, f, f, f, np.ones(m, np.uint32),
                     np.arange(m, dtype=np.int32), np.ones(m, np.uint16))  # fmt: skip


@dataclasses.dataclass
class Stray:
    """A record no sensor type registered."""

    sensor: str
    capture_time: float


def _topics(tmp_path, records, capfd):
    (frame,) = fake.frames(episodes=1, per_episode=1)
    frame.sensor_records = tuple(records)
    exp = get_exporter("mcap")(fake.info(tmp_path))
    exp.begin()
    exp.add(frame)
    exp.add(frame)  # a second camera of the same tick carries nothing new
    exp.end_episode(frame.episode)
    (path,) = list(tmp_path.rglob("*.mcap"))
    with open(path, "rb") as f:
        topics = [(c.topic, m.log_time) for _, c, m in make_reader(f).iter_messages()]
    return topics, capfd.readouterr().err


def test_radar_records_are_written_once_at_their_capture_time(tmp_path, capfd):
    topics, err = _topics(tmp_path, [_scan(0.25), _scan(0.30)], capfd)
    assert [t for t in topics if t[0] == "/front/detections"] == [("/front/detections", 250_000_000),
                                                                   ("/front/detections", 300_000_000)]  # fmt: skip
    assert "no MCAP encoding" not in err


def test_records_without_an_encoding_get_a_notice_not_silence(tmp_path, capfd, monkeypatch):
    from simgen.export import mcap

    monkeypatch.setattr(mcap, "_NOTICED", set())  # once per process: start from none said
    gnss = GnssSample("gps", 0, 0.2, 0.3, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), True)
    topics, err = _topics(tmp_path, [gnss, Stray("thing", 0.2)], capfd)
    assert not any(t.startswith(("/gps", "/thing")) for t, _ in topics)
    assert "sensor type 'gnss' has no MCAP encoding; the fixes are in raw/sensors/" in err
    assert "sensor type 'Stray' has no MCAP encoding; it belongs to no registered sensor type" in err
