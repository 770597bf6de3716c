"""JSON Schema (draft 2020-12) of scenario files, generated from the loader's own models."""

from __future__ import annotations

from typing import Any

from simgen.scenario.models import Scenario


def scenario_json_schema() -> dict[str, Any]:
    """The schema editors use for autocompletion and validation of scenario YAML."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    # Our keys go last: pydantic's schema carries its own "title" ("Scenario") that would win otherwise.
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://simgen.dev/schema/scenario-v1.json",
        "title": "simgen scenario",
    }
