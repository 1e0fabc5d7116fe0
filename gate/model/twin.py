"""The pydantic model of each declared model, built from the same declarations when first needed.

Needed to report what is wrong with a document (every error, with its path, mapped to FILE:LINE:COL by
`gate.load`), to write the JSON Schemas, and to carry a model inside a command's dataclass result
through `TypeAdapter`. A valid document never gets here (`gate.model.strict` accepts it first), so the
common case never imports pydantic.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Annotated, Any

import pydantic
from pydantic_core import core_schema

from gate.model.declare import (
    AfterValidator,
    AllowInfNan,
    BeforeValidator,
    FieldSpec,
    StringConstraints,
    declared,
    parts,
    serializer,
    validators,
)


def pydantic_model(cls: type) -> type[pydantic.BaseModel]:
    """The pydantic model of a declared model class (built once): same name, docstring, fields,
    aliases, bounds and validators, so it validates — and describes itself in JSON Schema — the same."""
    found: type[pydantic.BaseModel] | None = cls.__dict__.get("__gate_pydantic__")
    if found is None:
        fields: dict[str, Any] = {d.name: (_annotation(d.annotation), _field(d.spec)) for d in declared(cls)}
        rules: Any = {f.__name__: pydantic.model_validator(mode="after")(f) for f in validators(cls)}
        wrap = serializer(cls)
        if wrap is not None:
            rules[wrap.__name__] = pydantic.model_serializer(mode="wrap")(wrap)
        by_name = bool(getattr(cls, "model_config", {}).get("populate_by_name"))
        found = pydantic.create_model(
            cls.__name__,
            __config__=pydantic.ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=by_name),
            __doc__=cls.__doc__,
            __module__=cls.__module__,
            __validators__=rules,
            **fields,
        )
        for name, helper in _helpers(cls).items():
            setattr(found, name, helper)
        type.__setattr__(cls, "__gate_pydantic__", found)
        _declared_for[found] = cls
    return found


def _helpers(cls: type) -> dict[str, Any]:
    """The declared class's own methods and properties (what its validators may call on `self`); not
    the shared base's, which pydantic's model has in its own form."""
    from gate.model.base import Model

    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, Model) or klass is Model:
            continue
        for name, value in klass.__dict__.items():
            marked = hasattr(value, "__gate_model_validator__") or hasattr(value, "__gate_model_serializer__")
            kind = isinstance(value, property | staticmethod | classmethod) or inspect.isfunction(value)
            if kind and not marked and not (name.startswith("__") and name.endswith("__")):
                out[name] = value
    return out


def _field(spec: FieldSpec) -> Any:
    settings: dict[str, Any] = {"alias": spec.alias, **spec.bounds}
    if spec.default_factory:
        settings["default_factory"] = spec.default_factory
    elif not spec.required:
        settings["default"] = spec.default
    return pydantic.Field(**settings)


def _annotation(annotation: Any) -> Any:
    base, metadata = parts(annotation)
    inner = _type(base)
    return Annotated[(inner, *map(_metadata, metadata))] if metadata else inner


def _metadata(m: Any) -> Any:
    if isinstance(m, StringConstraints):
        return pydantic.StringConstraints(pattern=m.pattern, min_length=m.min_length, max_length=m.max_length)
    if isinstance(m, AfterValidator):
        return pydantic.AfterValidator(m.func)
    if isinstance(m, BeforeValidator):
        return pydantic.BeforeValidator(m.func)
    if isinstance(m, AllowInfNan):
        return pydantic.AllowInfNan(m.allow_inf_nan)
    raise TypeError(f"unsupported metadata {m!r}")


def _type(tp: Any) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        return list[_annotation(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[_annotation(args[0]), _annotation(args[1])]  # type: ignore[misc]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_annotation(a) for a in args)]  # noqa: UP007 - built from a tuple
    if isinstance(tp, type) and hasattr(tp, "__gate_model__"):
        return pydantic_model(tp)
    return tp


# ---- between the two kinds of object -------------------------------------------------------------------


def from_pydantic(value: Any, cls: type | None = None) -> Any:
    """A pydantic model's object (and everything in it) as the declared model's."""
    if isinstance(value, pydantic.BaseModel):
        target = cls or _declared_for[type(value)]
        obj: Any = object.__new__(target)
        obj.__dict__.update({d.name: from_pydantic(getattr(value, d.name)) for d in declared(target)})
        return obj
    if isinstance(value, list):
        return [from_pydantic(v) for v in value]
    if isinstance(value, dict):
        return {k: from_pydantic(v) for k, v in value.items()}
    return value


def to_pydantic(value: Any) -> Any:
    """A declared model's object (and everything in it) as its pydantic model's, unchecked."""
    if hasattr(value, "__gate_model__"):
        cls = type(value)
        fields = {d.name: to_pydantic(value.__dict__[d.name]) for d in declared(cls)}
        return pydantic_model(cls).model_construct(**fields)
    if isinstance(value, list):
        return [to_pydantic(v) for v in value]
    if isinstance(value, dict):
        return {k: to_pydantic(v) for k, v in value.items()}
    return value


_declared_for: dict[type, type] = {}  # pydantic model -> the declared model it was built from


def core_schema_of(cls: type, handler: pydantic.GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """How pydantic reads and writes a declared model inside another type (a command's result):
    as its pydantic model, turned into the declared object after validation and back for output."""
    inner = handler(pydantic_model(cls))
    return core_schema.no_info_after_validator_function(
        lambda value: from_pydantic(value, cls),
        inner,
        serialization=core_schema.plain_serializer_function_ser_schema(to_pydantic, return_schema=inner),
    )
