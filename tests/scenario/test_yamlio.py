"""Safe YAML loading: locations, duplicate keys, no Python tags, alias bombs, size limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from simgen.errors import ScenarioError
from simgen.scenario.yamlio import MAX_FILE_BYTES, format_path, load_file, load_text


def test_marks_record_line_and_column_of_every_key() -> None:
    located = load_text("a: 1\nb:\n  - x: 2\n    y: [3, 4]\n", file="f.yaml")
    assert located.data == {"a": 1, "b": [{"x": 2, "y": [3, 4]}]}
    assert located.marks[("a",)] == (1, 1, "f.yaml")
    assert located.marks[("b", 0, "y")] == (4, 5, "f.yaml")
    assert located.locate(("b", 0, "y", 1)) == (4, 12)
    assert located.locate(("b", 0, "nope")) == (3, 5)  # nearest ancestor


def test_format_path() -> None:
    assert format_path(("objects", 2, "size", 0)) == "objects[2].size[0]"
    assert format_path(()) == ""


def test_duplicate_key_is_an_error_at_its_line() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text("name: a\nseed: 1\nname: b\n", file="dup.yaml")
    assert str(err.value) == "dup.yaml:3:1: name: duplicate key 'name'"


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['true']\n",
        "x: !!python/object:collections.OrderedDict {}\n",
        "x: !!python/name:os.system\n",
        "x: !custom 3\n",
    ],
)
def test_custom_tags_are_rejected(text: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_text(text, file="evil.yaml")
    msg = str(err.value)
    assert msg.startswith("evil.yaml:1:4: ")
    assert "custom YAML tags are not allowed" in msg


def test_billion_laughs_fails_fast_with_a_clear_error() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    t0 = time.process_time()
    with pytest.raises(ScenarioError) as err:
        load_text(text, file="bomb.yaml")
    assert time.process_time() - t0 < 5  # generous; an unbounded expansion would never finish
    assert "bomb.yaml:" in str(err.value)
    assert "more than" in str(err.value) and "nodes" in str(err.value)
    assert "aliases" in str(err.value)


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * 40 + "]" * 40 + "\n"
    with pytest.raises(ScenarioError, match="nesting deeper"):
        load_text(text)


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(ScenarioError) as err:
        load_text("a: 1\nb: [1, 2\nc: 3\n", file="bad.yaml")
    assert str(err.value).startswith("bad.yaml:3:")
    assert "invalid YAML" in str(err.value)


def test_files_missing_too_big_or_not_text(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_file(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match="KiB limit"):
        load_file(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_file(binary)


def test_regression_tag_on_a_collection_is_not_dropped_silently() -> None:
    # Lists and mappings are built by our own walker, which once ignored their tags.
    for text in ("x: !!python/object/apply:os.system ['true']\n", "x: !thing {a: 1}\n", "x: !!set {a: null}\n"):
        with pytest.raises(ScenarioError, match="custom YAML tags are not allowed"):
            load_text(text)
    assert load_text("x: !!seq [1]\ny: !!map {a: 1}\n").data == {"x": [1], "y": {"a": 1}}
