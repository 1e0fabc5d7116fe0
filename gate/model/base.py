"""The strict base model and the small value types every file shares.

A model is declared as a pydantic model is (`Field`, `StringConstraints`, validators; see
`gate.model.declare`) and is a frozen, typed object at run time. Documents are checked against the
declarations by `gate.model.strict`, in plain Python, with pydantic's strict-mode answers; only what
that check refuses goes to the pydantic model built from the same declarations (`gate.model.twin`),
which reports every error with its place. The common case — valid files, in every pre-commit hook —
never imports pydantic, which with building ~45 models was more than half of `gate check`'s time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self, dataclass_transform

from gate.model import strict
from gate.model.declare import (
    AfterValidator,
    AllowInfNan,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)
from gate.placeholders import find_placeholders, names_nobody

if TYPE_CHECKING:
    import pydantic
    from pydantic_core import core_schema

__all__ = [
    "AfterValidator",
    "AllowInfNan",
    "BeforeValidator",
    "ConfigDict",
    "Field",
    "Model",
    "SerializerFunctionWrapHandler",
    "StringConstraints",
    "model_serializer",
    "model_validator",
]


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field,))
class Model:
    """Frozen, strict, and unknown keys rejected: a typo in a hand-edited file is an error, not a no-op.

    The API is pydantic's, for what the gate uses of it: `model_validate` (raising pydantic's
    ValidationError), `model_dump`, `model_dump_json`, `model_copy`; equality by value.
    """

    __gate_model__: ClassVar[bool] = True
    model_config: ClassVar[dict[str, Any]] = {}

    def __init__(self, **data: Any) -> None:
        done, failure = type(self)._checked(data, built=True)
        if failure is not None:
            raise failure
        object.__setattr__(self, "__dict__", done.__dict__)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """`data` checked against the model: the object, or pydantic's ValidationError with every error."""
        obj, failure = cls.validate_data(data)
        if failure is not None:
            raise failure
        assert obj is not None
        return obj

    @classmethod
    def validate_data(cls, data: Any) -> tuple[Self | None, pydantic.ValidationError | None]:
        """(the object, None), or (None, pydantic's ValidationError) — pydantic only asked when needed."""
        return cls._checked(data, built=False)

    @classmethod
    def _checked(cls, data: Any, *, built: bool) -> tuple[Any, pydantic.ValidationError | None]:
        try:
            quick: Self | None = strict.validate(cls, data)
        except Exception:  # whatever the quick check does not accept, pydantic decides
            quick = None
        if quick is not None:
            return quick, None
        import pydantic

        from gate.model.twin import from_pydantic, pydantic_model, to_pydantic

        # Values built in code (keyword arguments) may hold declared objects: they go in as pydantic's
        # own. A document's data holds none, and may nest deeper than a walk of it could go.
        given = to_pydantic(data) if built else data
        try:
            return from_pydantic(pydantic_model(cls).model_validate(given), cls), None
        except pydantic.ValidationError as exc:
            return None, exc

    def model_dump(self, *, mode: str = "python", by_alias: bool = False) -> dict[str, Any]:
        """Plain data, exactly as pydantic's `model_dump` gives it (times as text in "json" mode)."""
        data: dict[str, Any] = strict.dump(self, json=mode == "json", by_alias=by_alias)
        return data

    def model_dump_json(self, *, by_alias: bool = False, indent: int | None = None) -> str:
        """JSON text, as pydantic's `model_dump_json` writes it."""
        data = self.model_dump(mode="json", by_alias=by_alias)
        return json.dumps(data, indent=indent, ensure_ascii=False, separators=None if indent else (",", ":"))

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with some fields replaced (unchecked, as pydantic's)."""
        obj = object.__new__(type(self))
        obj.__dict__.update({**self.__dict__, **(update or {})})
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: pydantic.GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Inside a command's result read and written through pydantic (`TypeAdapter`), and in schemas."""
        from gate.model.twin import core_schema_of

        return core_schema_of(cls, handler)


def field_errors(title: str, problems: list[tuple[tuple[str | int, ...], str]]) -> pydantic.ValidationError:
    """Problems found across fields, each at its own field: raised from a model validator, pydantic
    reports every one at its full location (so each becomes FILE:LINE:COL), not one at the model.
    (Only a document with problems gets here: pydantic is imported for it.)"""
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

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


def _a_person(login: str) -> str:
    if names_nobody(login):
        raise ValueError(f"{login!r} is a placeholder, not a person: give the GitHub login of who it is")
    return login


# Who approved, or attended: `TBD`, `tbd` or `nobody` matches the login pattern, and with no roster for
# the team nothing else would tell it from a person.
Person = Annotated[str, StringConstraints(pattern=LOGIN_PATTERN), AfterValidator(_a_person)]


def _repo_path(path: str) -> str:
    from gate.paths import check_relative

    problem = check_relative(path)
    if problem:
        raise ValueError(problem)
    return path


# A repository-relative path in its one spelling: checked with the rest of the file's schema, so a bad
# path is reported in the same run as every other problem of the file.
RepoPath = Annotated[str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(_repo_path)]
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
