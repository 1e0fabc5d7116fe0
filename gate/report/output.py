"""The one base of results written as pydantic models (comms drafts, rollback rules, rollback watch).

These commands are never on `gate check`'s path, so their results may import pydantic at once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Output(BaseModel):
    """A command's result: exactly its fields, never changed after it is built."""

    # An infinite value (x/0) is written "Infinity": JSON has no literal for it, and null would hide it.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")
