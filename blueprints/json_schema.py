"""The published JSON Schema of the blueprint language (for editor completion and CI)."""

from __future__ import annotations

from typing import Any

from mlstack.blueprints.schema import Blueprint

SCHEMA_ID = "https://mlstack.dev/schemas/blueprint.json"


def blueprint_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) generated from the pydantic models, so the two never disagree."""
    schema = Blueprint.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "mlstack blueprint",
        **schema,
    }
