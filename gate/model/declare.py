"""How models are declared: fields, constraints and validators, in pydantic's own words and meaning.

A model class lists its fields as annotations, with `Field(...)` for defaults, aliases and bounds,
`Annotated[str, StringConstraints(...)]` for patterns and lengths, `AllowInfNan(False)` on floats,
`AfterValidator`/`BeforeValidator` for conversions, `@model_validator(mode="after")` for rules across
fields and `@model_serializer(mode="wrap")` to adjust its dump — the same spelling and the same
meaning as pydantic's. Nothing here imports pydantic: `gate.model.strict` checks documents
against these declarations, and `gate.model.twin` builds the pydantic models from them when errors
must be reported or schemas written.

Only what the models use is supported; anything else is refused when the model is first used (and
by the tests, which compile every model), never silently ignored.
"""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MISSING: Any = object()
# The field bounds understood, on numbers (`ge`) and on lists and strings (lengths).


@dataclass(frozen=True)
class FieldSpec:
    """What `Field(...)` declares about a field beyond its type."""

    default: Any = _MISSING
    default_factory: Callable[[], Any] | None = None
    alias: str | None = None
    bounds: dict[str, int] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.default_factory is None


def Field(
    default: Any = _MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    alias: str | None = None,
    ge: int | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Any:
    """A field's default (or default factory), alias and bounds, as pydantic's `Field` declares them."""
    given = {"ge": ge, "min_length": min_length, "max_length": max_length}
    bounds = {k: v for k, v in given.items() if v is not None}
    return FieldSpec(default, default_factory, alias, bounds)


@dataclass(frozen=True)
class StringConstraints:
    """A string's pattern (searched, as pydantic does) and length bounds, in characters."""

    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class AllowInfNan:
    """Whether a float may be infinite or NaN (pydantic allows both unless told otherwise)."""

    allow_inf_nan: bool = True


@dataclass(frozen=True)
class AfterValidator:
    """A function run on the value once its type is checked; it may raise ValueError."""

    func: Callable[[Any], Any]


@dataclass(frozen=True)
class BeforeValidator:
    """A function run on the raw value before its type is checked (a conversion); may raise ValueError."""

    func: Callable[[Any], Any]


def model_validator(*, mode: Literal["after"]) -> Callable[[F], F]:
    """A rule across fields, run on the finished object; it raises ValueError to reject it."""

    def mark(func: F) -> F:
        func.__gate_model_validator__ = mode  # type: ignore[attr-defined]
        return func

    return mark


# What a wrap serializer is handed: called with the object, it gives the object's usual dump.
SerializerFunctionWrapHandler = Callable[[Any], Any]


def model_serializer(*, mode: Literal["wrap"]) -> Callable[[F], F]:
    """How the object is dumped, given its usual dump (`handler(self)`): one per model, e.g. leaving
    out a field while it is unset."""

    def mark(func: F) -> F:
        func.__gate_model_serializer__ = mode  # type: ignore[attr-defined]
        return func

    return mark


def ConfigDict(**settings: Any) -> dict[str, Any]:
    """Model settings. Every model is frozen, strict and refuses unknown keys; `populate_by_name`
    (accept a field's name beside its alias) is the one setting a model may add."""
    fixed = {"extra": "forbid", "frozen": True, "strict": True}
    for key, value in settings.items():
        if key != "populate_by_name" and fixed.get(key, _MISSING) != value:
            raise TypeError(f"unsupported model setting {key}={value!r}")
    return settings


@dataclass(frozen=True)
class Declared:
    """One field as declared: its name, its annotation (evaluated, with its metadata) and its spec."""

    name: str
    annotation: Any
    spec: FieldSpec

    @property
    def key(self) -> str:
        """The key documents use for it."""
        return self.spec.alias or self.name


def declared(cls: type) -> list[Declared]:
    """Every field of a model class in declaration order, inherited ones first (cached per class)."""
    found: list[Declared] | None = cls.__dict__.get("__gate_declared__")
    if found is None:
        found = []
        for klass in reversed(cls.__mro__):
            for name in inspect.get_annotations(klass):
                if name.startswith("_") or name == "model_config":
                    continue
                found = [d for d in found if d.name != name]
                found.append(Declared(name, _annotation(klass, name), _spec(klass, name)))
        type.__setattr__(cls, "__gate_declared__", found)
    return found


def validators(cls: type) -> list[Callable[[Any], Any]]:
    """The class's `@model_validator(mode="after")` functions, inherited ones first."""
    out: dict[str, Callable[[Any], Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in klass.__dict__.items():
            if getattr(value, "__gate_model_validator__", None) == "after":
                out[name] = value
    return list(out.values())


def serializer(cls: type) -> Callable[[Any, SerializerFunctionWrapHandler], Any] | None:
    """The class's `@model_serializer(mode="wrap")` function, inherited or its own, if any (looked up
    once per class: every dump asks)."""
    if "__gate_serializer__" not in cls.__dict__:
        found = next(
            (
                value
                for klass in cls.__mro__
                for value in klass.__dict__.values()
                if getattr(value, "__gate_model_serializer__", None) == "wrap"
            ),
            None,
        )
        type.__setattr__(cls, "__gate_serializer__", found)
    return cls.__dict__["__gate_serializer__"]  # type: ignore[no-any-return]


def _spec(klass: type, name: str) -> FieldSpec:
    value = klass.__dict__.get(name, _MISSING)
    if isinstance(value, FieldSpec):
        return value
    if type(value).__module__.startswith("pydantic"):
        raise TypeError(f"{klass.__name__}.{name}: declare with gate.model.base.Field, not pydantic's")
    return FieldSpec(default=value)


# Annotations are strings (`from __future__ import annotations`); the same few dozen spellings recur
# in every model, so each is evaluated once per module.
_evaluated: dict[tuple[str, str], Any] = {}


def _annotation(klass: type, name: str) -> Any:
    text = inspect.get_annotations(klass)[name]
    if not isinstance(text, str):
        return text
    key = (klass.__module__, text)
    if key not in _evaluated:
        _evaluated[key] = eval(text, vars(sys.modules[klass.__module__]))  # noqa: S307 - the model's own source
    return _evaluated[key]


def parts(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """`Annotated[base, *metadata]` as (base, metadata); any other annotation with no metadata."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        inner, more = parts(base)
        return inner, (*more, *metadata)
    return annotation, ()
