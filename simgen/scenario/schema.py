"""JSON Schema (draft 2020-12) of scenario files, generated from the loader's own models.

The models describe a complete scenario; a file with ``extends:`` may leave out what its base
provides, so the keys the models require are only required of files without ``extends``.
"""

from __future__ import annotations

from typing import Any

from simgen.scenario.distributions import _SCHEMA as NUMBER_SCHEMA
from simgen.scenario.distributions import _choice_schema
from simgen.scenario.drawn_type import DrawnTypeObject
from simgen.scenario.models import OBJECT_TYPES, Scenario

SCHEMA_ID = "https://simgen.dev/schema/scenario-v1.json"


def scenario_json_schema() -> dict[str, Any]:
    """The schema editors use for autocompletion and validation of scenario YAML.

    Example:
        >>> from jsonschema import Draft202012Validator
        >>> Draft202012Validator.check_schema(scenario_json_schema())
    """
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    required = schema.pop("required", [])
    # Our keys go last: pydantic's schema carries its own "title" ("Scenario") that would win otherwise.
    out: dict[str, Any] = {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "simgen scenario",
    }
    if required:
        out["if"] = {"not": {"required": ["extends"]}}
        out["then"] = {"required": required}
    drawn = out.get("$defs", {}).get(DrawnTypeObject.__name__)
    if drawn is not None:  # the type names exist once every kind is loaded, after the model is built
        drawn["properties"]["type"] = {**drawn["properties"]["type"], **_choice_schema({"enum": list(OBJECT_TYPES)})}
    out = _share(out, NUMBER_SCHEMA["anyOf"], "#/$defs/NumberOrDistribution")
    out.setdefault("$defs", {})["NumberOrDistribution"] = dict(NUMBER_SCHEMA)
    return out


def _share(node: Any, any_of: list[Any], ref: str) -> Any:
    """Replace every inline copy of the number-or-distribution schema by a ``$ref`` to one definition."""
    if isinstance(node, dict):
        if node.get("anyOf") == any_of:
            rest = {k: v for k, v in node.items() if k not in ("anyOf", "description")}
            if "description" in node and node["description"] != NUMBER_SCHEMA["description"]:
                rest["description"] = node["description"]
            return {"$ref": ref, **rest}
        return {k: _share(v, any_of, ref) for k, v in node.items()}
    if isinstance(node, list):
        return [_share(v, any_of, ref) for v in node]
    return node
