"""Typed models of every file the gate reads and of the scorecard it produces.

Raw YAML/JSON becomes these right after loading; the rest of the core passes models, never dicts.
"""

from __future__ import annotations

from gate.model.checklist import Checklist, Item
from gate.model.decision import Decision
from gate.model.manifest import Artifact, Command, Manifest
from gate.model.scorecard import Scorecard
from gate.model.signoff import Signoff

__all__ = [
    "Artifact",
    "Checklist",
    "Command",
    "Decision",
    "Item",
    "Manifest",
    "Scorecard",
    "Signoff",
]
