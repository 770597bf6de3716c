"""The interchange XML reader: locations kept, hostile and broken files refused with one located error."""

from __future__ import annotations

import pytest

from simgen.errors import ScenarioError
from simgen.interop.xmlread import parse_xml


def test_elements_keep_line_column_and_named_path(tmp_path):
    f = tmp_path / "a.xosc"
    f.write_text(
        '<?xml version="1.0"?>\n<OpenSCENARIO>\n  <Story name="s">\n    <Act name="a"/>\n  </Story>\n</OpenSCENARIO>\n'
    )
    root = parse_xml(f, "OpenSCENARIO")
    act = root.walk("Story/Act")
    assert (act.line, act.col) == (4, 5)
    assert act.path == "OpenSCENARIO/Story[s]/Act[a]"
    assert act.where == f"{f}:4:5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not xml", "not well-formed"),
        ("<OpenSCENARIO><a></OpenSCENARIO>", "not well-formed"),
        ("<OpenDRIVE/>", "root element is <OpenDRIVE>, expected <OpenSCENARIO>"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
            "<OpenSCENARIO>&b;</OpenSCENARIO>",
            "DOCTYPE declarations are not accepted",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<OpenSCENARIO>&e;</OpenSCENARIO>',
            "DOCTYPE declarations are not accepted",
        ),
    ],
)
def test_bad_files_give_one_located_error(tmp_path, text, message):
    f = tmp_path / "bad.xosc"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        parse_xml(f, "OpenSCENARIO")
    assert len(info.value.issues) == 1
    line = info.value.issues[0].format()
    assert line.startswith(f"{f}:") and message in line


def test_missing_file_and_depth_limit(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        parse_xml(tmp_path / "nope.xosc", "OpenSCENARIO")
    deep = tmp_path / "deep.xosc"
    deep.write_text("<OpenSCENARIO>" + "<a>" * 100 + "</a>" * 100 + "</OpenSCENARIO>")
    with pytest.raises(ScenarioError, match="more than 64 levels"):
        parse_xml(deep, "OpenSCENARIO")
