"""JSON Schemas generated from the models, checked in under schemas/ and kept in sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from gate.model import Checklist, Decision, Manifest, Scorecard, Signoff

SCHEMA_DIR = "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

MODELS: dict[str, type[BaseModel]] = {
    "checklist.schema.json": Checklist,
    "signoff.schema.json": Signoff,
    "evidence-manifest.schema.json": Manifest,
    "decision.schema.json": Decision,
    "scorecard.schema.json": Scorecard,
}


def generate(name: str) -> dict[str, Any]:
    """The schema document for one file kind."""
    model = MODELS[name]
    mode: Literal["validation", "serialization"] = "serialization" if model is Scorecard else "validation"
    schema = model.model_json_schema(by_alias=True, mode=mode)
    return {"$schema": DRAFT, "$id": f"https://gate.invalid/schemas/{name}", **schema}


def render(name: str) -> str:
    """The exact bytes a schema file holds (stable key order, trailing newline)."""
    return json.dumps(generate(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale(root: Path) -> list[str]:
    """Schema files under `root/schemas` that differ from the models (or are missing)."""
    out = []
    for name in MODELS:
        path = root / SCHEMA_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != render(name):
            out.append(f"{SCHEMA_DIR}/{name}")
    return out


def write(root: Path) -> list[str]:
    """Write every schema file that changed; returns the paths written."""
    from gate.edit import write_atomic

    written = []
    for name in MODELS:
        rel = f"{SCHEMA_DIR}/{name}"
        if rel in stale(root):
            write_atomic(root / rel, render(name))
            written.append(rel)
    return written
