"""The strict base model and the small value types every file shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from gate.placeholders import find_placeholders


class Model(BaseModel):
    """Frozen, strict, and unknown keys rejected: a typo in a hand-edited file is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def field_errors(title: str, problems: list[tuple[tuple[str | int, ...], str]]) -> ValidationError:
    """Problems found across fields, each at its own field: raised from a model validator, pydantic
    reports every one at its full location (so each becomes FILE:LINE:COL), not one at the model."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("gate", "{why}", {"why": why}), loc=loc, input=None)
            for loc, why in problems
        ],
    )


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
ID = re.compile(ID_PATTERN)
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
LOGIN_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$"
Login = Annotated[str, StringConstraints(pattern=LOGIN_PATTERN)]
LOGIN = re.compile(LOGIN_PATTERN)
TeamHandle = Annotated[str, StringConstraints(pattern=r"^@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")]
Duration = Annotated[str, StringConstraints(pattern=r"^[0-9]+[smh]$")]


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 time, or the seed's `YYYY-MM-DD HH:MM UTC`; no zone is an error."""
    norm = text[:-4] + "+00:00" if text.endswith(" UTC") else text
    try:
        when = datetime.fromisoformat(norm)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (expected e.g. 2027-03-02T14:00:00Z)") from None
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone: write it in UTC with a trailing Z")
    return _to_utc(when, text)


def _to_utc(when: datetime, shown: object) -> datetime:
    try:
        return when.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before the first representable UTC time
        raise ValueError(f"time {shown} is out of range in UTC") from None


def _utc(value: object) -> object:
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("time has no zone: write it in UTC with a trailing Z")
        return _to_utc(value, value.isoformat())
    return value


def format_time(when: datetime) -> str:
    """The one way times are written: RFC 3339 in UTC with a trailing Z, to the second (four-digit
    years: strftime's %Y writes year 1 as "1", which no parser reads back)."""
    utc = when.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


UtcTime = Annotated[datetime, BeforeValidator(_utc)]


def _time_or_placeholder(value: str) -> str:
    if not find_placeholders(value):
        parse_time(value)
    return value


# A launch-specific time may still be an unfilled placeholder: that is a FAIL of the items it feeds,
# not an unusable file, so this repository can say NO-GO honestly before it is scheduled.
PlannedTime = Annotated[str, AfterValidator(_time_or_placeholder)]
