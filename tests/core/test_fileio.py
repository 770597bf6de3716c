"""Atomic writes of the leaf layer: all or nothing, one temporary naming scheme, plain file modes."""

from __future__ import annotations

import os
import stat

import pytest

from simgen.core.fileio import (
    FILE_MODE,
    AtomicFile,
    StagedDir,
    is_staged,
    is_temporary,
    replacing,
    write_bytes,
    write_json,
)


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_bytes_replaces_whole_file_with_a_plain_mode(tmp_path):
    target = tmp_path / "sub" / "a.bin"
    write_bytes(target, b"old")
    write_bytes(target, b"new", durable=False)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    assert _names(target.parent) == ["a.bin"]


def test_write_json_is_stable_and_rejects_nan_leaving_the_old_file(tmp_path):
    target = tmp_path / "a.json"
    write_json(target, {"b": 1, "a": [1.5]})
    assert target.read_text() == '{"b": 1, "a": [1.5]}\n'
    with pytest.raises(ValueError):
        write_json(target, {"x": float("nan")})
    assert target.read_text() == '{"b": 1, "a": [1.5]}\n'


def test_atomic_file_is_invisible_until_commit_and_abort_removes_it(tmp_path):
    final = tmp_path / "e000001.mcap"
    f = AtomicFile(final)
    f.stream.write(b"partial")
    assert not final.exists()
    (tmp,) = _names(tmp_path)
    assert tmp.startswith(".e000001.mcap.") and tmp.endswith(".tmp")
    f.abort()
    f.abort()  # twice is harmless
    assert _names(tmp_path) == []
    g = AtomicFile(final)
    g.stream.write(b"whole")
    g.commit()
    assert final.read_bytes() == b"whole" and _names(tmp_path) == ["e000001.mcap"]
    assert stat.S_IMODE(final.stat().st_mode) == FILE_MODE


def test_replacing_renames_on_success_and_cleans_up_on_error(tmp_path):
    final = tmp_path / "parts.obj"
    with replacing(final, ".tmp.obj") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".tmp.obj") and not tmp.exists()
        tmp.write_text("v 0 0 0\n")
    assert final.read_text() == "v 0 0 0\n"
    with pytest.raises(RuntimeError), replacing(final) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert final.read_text() == "v 0 0 0\n" and _names(tmp_path) == ["parts.obj"]


def test_staged_dir_appears_whole_or_not_at_all(tmp_path):
    d = StagedDir(tmp_path / "000001")
    d.write("rgb/000000.png", b"x")
    assert not (tmp_path / "000001").exists() and os.path.isdir(tmp_path / ".000001.partial")
    d.abort()
    assert _names(tmp_path) == []
    d = StagedDir(tmp_path / "000001")
    d.write("rgb/000000.png", b"y")
    d.commit()
    assert (tmp_path / "000001" / "rgb" / "000000.png").read_bytes() == b"y"
    assert _names(tmp_path) == ["000001"]


def test_temporaries_are_recognised_by_name(tmp_path):
    f = AtomicFile(tmp_path / "e000003.mcap")
    (name,) = _names(tmp_path)
    assert is_temporary(name)
    f.abort()
    assert is_temporary(".instances_train.json.k3_9zq1a.tmp")  # a mkstemp name of earlier versions
    for finished in ("e000003.mcap", "a.tmp", ".a.tmp", ".e000003.mcap.abc.tmp", ".hidden.json"):
        assert not is_temporary(finished), finished
    assert is_staged(".000001.partial") and not is_staged("000001") and not is_staged("000001.partial")
