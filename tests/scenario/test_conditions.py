"""``require:`` conditions parse into checked trees; misuse is a ValueError that says what is wrong."""

from __future__ import annotations

import pytest

from simgen.scenario.conditions import parse_condition


def test_condition_reads_objects_cameras_and_key_paths() -> None:
    c = parse_condition("visible_fraction(child, dashcam) <= 0.4 and distance(ego, child) > params.gap + 1")
    assert c.objects == ("child", "ego") and c.cameras == ("dashcam",)
    assert c.paths == (("params", "gap"),) and c.needs_truth
    geometric = parse_condition("${ahead_of(a, b) or not left_of(a, b) and abs(lateral(a, b)) < 2}")
    assert not geometric.needs_truth and geometric.text.startswith("ahead_of")
    assert parse_condition("true").objects == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("distance(a, b)", "is a number, not a condition"),
        ("visible_fraction(a)", "takes 2 arguments"),
        ("teleport(a, b) > 1", "unknown function 'teleport'"),
        ("distance(a.x, b) > 1", "should be the name of an object"),
        ("1 < true", "is a condition; comparisons are between numbers"),
        ("a in b", "compare with"),
        ("ahead_of(a, b) + 1 > 0", "arithmetic needs numbers"),
        ("left_of(a", "unbalanced parentheses"),
        ("distance(a, b) > 'far'", "only numbers"),
        ("", "empty condition"),
    ],
)
def test_misuse_is_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_condition(text)
