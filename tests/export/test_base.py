"""The exporter contract's abort hook: a failed episode leaves no temporary and no open state."""

from __future__ import annotations

import fake
import pytest

from simgen.export.base import EXPORTERS, get_exporter, load_builtin

load_builtin()


def _hidden(out):
    """Temporary files and staged folders (hidden names) anywhere under ``out``."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob(".*"))


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_abort_discards_what_an_episode_started(tmp_path, name):
    frames = [f for f in fake.frames(episodes=2) if f.episode == 0]
    exp = get_exporter(name)(fake.info(tmp_path))
    exp.begin()
    for frame in frames:
        exp.add(frame)
    exp.abort(0)
    exp.abort(7)  # an episode it never saw: nothing to do, no error
    exp.flush()
    assert _hidden(tmp_path) == []
    assert not list(tmp_path.rglob("e000000.mcap")) and not list(tmp_path.glob("bop/*/000000"))
    # The same exporter renders the episode again afterwards, as a retry in the same worker would.
    records = [exp.add(frame) for frame in frames]
    exp.end_episode(0)
    exp.flush()
    exp.finish(records)
    assert _hidden(tmp_path) == []


def test_mcap_abort_removes_the_open_recording(tmp_path):
    frames = fake.frames(episodes=1)
    exp = get_exporter("mcap")(fake.info(tmp_path))
    exp.begin()
    exp.add(frames[0])
    (tmp,) = _hidden(tmp_path)  # the recording grows under a temporary name
    assert tmp.endswith(".tmp") and ".e000000.mcap." in tmp
    exp.abort(0)
    assert _hidden(tmp_path) == [] and not exp.open


def test_bop_abort_drops_the_staged_scene(tmp_path):
    frames = fake.frames(episodes=1)
    exp = get_exporter("bop")(fake.info(tmp_path))
    exp.begin()
    exp.add(frames[0])
    (staged,) = _hidden(tmp_path)
    assert staged.endswith("/.000000.partial")
    exp.abort(0)
    assert _hidden(tmp_path) == [] and not exp.scenes
