"""gate: decide whether a launch may go, from version-controlled checklist, sign-offs and evidence."""

from __future__ import annotations

__version__ = "0.1.0"
