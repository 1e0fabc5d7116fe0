"""Check a document against a model's declarations in plain Python, as strictly as pydantic does.

This is the common case of every command: the files are valid. Checking them here keeps pydantic (and
building its models, together more than half of `gate check` in a pre-commit hook) out of it. The
check answers only "valid, and here are the objects"; anything it does not accept is handed to the
pydantic models built from the same declarations (`gate.model.twin`), which decide and say why with
every location. So this side may refuse more than pydantic would, never less: tests hold the two to
the same answers and the same objects on valid, broken and mutated documents.

Strict means pydantic's strict mode: no conversion between types (a quoted "3" is not an int, 1 is not
True), except an int where a float is declared, which becomes that float.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from gate.model.declare import (
    AfterValidator,
    AllowInfNan,
    BeforeValidator,
    StringConstraints,
    declared,
    parts,
    serializer,
    validators,
)

Check = Callable[[Any], Any]


class Invalid(Exception):
    """The document is not accepted here; pydantic decides, and says why."""


_MISSING: Any = object()


@dataclass(frozen=True)
class FieldPlan:
    """How one field is read: the key it comes under (its alias, else its name; with populate_by_name
    its name too), its check and its default (a factory, a value, or required)."""

    name: str
    key: str
    also: str | None
    check: Check
    required: bool
    factory: Callable[[], Any] | None
    default: Any
    plain: bool  # its values are dumped as they are (text, numbers, literals; no objects, lists or times)


@dataclass(frozen=True)
class Plan:
    """How one model is read and dumped: its fields, its rules across fields, its wrap serializer."""

    fields: tuple[FieldPlan, ...]
    rules: tuple[Callable[[Any], Any], ...]
    wrap: Callable[[Any, Any], Any] | None


def plan(cls: type) -> Plan:
    """The compiled checks of a model class (once per class; unsupported declarations raise TypeError)."""
    found: Plan | None = cls.__dict__.get("__gate_plan__")
    if found is None:
        by_name = bool(getattr(cls, "model_config", {}).get("populate_by_name"))
        fields = []
        for d in declared(cls):
            try:
                check = _bounded(checker(d.annotation), d.spec.bounds)
            except TypeError as exc:
                raise TypeError(f"{cls.__name__}.{d.name}: {exc}") from None
            also = d.name if by_name and d.spec.alias else None
            spec = d.spec
            fields.append(
                FieldPlan(
                    d.name,
                    d.key,
                    also,
                    check,
                    spec.required,
                    spec.default_factory,
                    spec.default,
                    _is_plain(d.annotation),
                )
            )
        found = Plan(tuple(fields), tuple(validators(cls)), serializer(cls))
        type.__setattr__(cls, "__gate_plan__", found)
    return found


def _is_plain(annotation: Any) -> bool:
    base, _ = parts(annotation)
    if typing.get_origin(base) in (typing.Union, types.UnionType):
        return all(_is_plain(a) for a in typing.get_args(base))
    return typing.get_origin(base) is typing.Literal or base in (str, int, float, bool, type(None))


def validate(cls: type, data: Any) -> Any:
    """An instance of `cls` from `data`, checked strictly; Invalid when anything is not as declared."""
    if not isinstance(data, dict):
        raise Invalid
    compiled = plan(cls)
    values = {}
    used = 0
    for f in compiled.fields:
        value = data.get(f.key, _MISSING)
        if value is _MISSING and f.also is not None:
            value = data.get(f.also, _MISSING)
        if value is not _MISSING:
            values[f.name] = f.check(value)
            used += 1
        elif f.required:
            raise Invalid
        else:
            values[f.name] = f.factory() if f.factory else f.default
    if used != len(data):
        raise Invalid  # a key no field has (or one field under two keys)
    obj: Any = object.__new__(cls)
    obj.__dict__.update(values)
    for rule in compiled.rules:
        if rule(obj) is not obj:
            raise Invalid
    return obj


# ---- one check per annotation ---------------------------------------------------------------------------


def checker(annotation: Any) -> Check:
    """The check of one annotation: returns the value (converted, as pydantic would) or raises."""
    base, metadata = parts(annotation)
    strings = [m for m in metadata if isinstance(m, StringConstraints)]
    if len(strings) > 1 or (strings and metadata[0] is not strings[0]):
        raise TypeError("StringConstraints must come first, and once")
    check = _string(strings[0]) if strings else _plain(base)
    if strings and base is not str:
        raise TypeError("StringConstraints on a type other than str")
    for m in metadata[1:] if strings else metadata:
        if isinstance(m, AfterValidator):
            check = _after(check, m.func)
        elif isinstance(m, BeforeValidator):
            check = _before(check, m.func)
        elif isinstance(m, AllowInfNan) and base is float:
            check = check if m.allow_inf_nan else _finite(check)
        else:
            raise TypeError(f"unsupported metadata {m!r}")
    return check


def _after(check: Check, func: Callable[[Any], Any]) -> Check:
    return lambda value: func(check(value))


def _before(check: Check, func: Callable[[Any], Any]) -> Check:
    return lambda value: check(func(value))


def _finite(check: Check) -> Check:
    def finite(value: Any) -> Any:
        value = check(value)
        if not math.isfinite(value):
            raise Invalid
        return value

    return finite


def _plain(tp: Any) -> Check:
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return _literal(typing.get_args(tp))
    if origin is list:
        return _list(checker(typing.get_args(tp)[0]))
    if origin is dict:
        key, value = typing.get_args(tp)
        return _dict(checker(key), checker(value))
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(tp))
    if isinstance(tp, type) and hasattr(tp, "__gate_model__"):
        return _model(tp)
    simple = _SIMPLE.get(tp)
    if simple is None:
        raise TypeError(f"unsupported type {tp!r}")
    return simple


# A lone surrogate (JSON's "\ud800") is no Unicode text: pydantic refuses it, and it cannot be encoded.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and (value.isascii() or not _SURROGATE.search(value))


def _str(value: Any) -> str:
    if not _text(value):
        raise Invalid
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid
    return value


def _float(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Invalid
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid
    return value


def _datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise Invalid
    return value


def _none(value: Any) -> None:
    if value is not None:
        raise Invalid


_SIMPLE: dict[Any, Check] = {
    str: _str,
    int: _int,
    float: _float,
    bool: _bool,
    datetime: _datetime,
    type(None): _none,
}


def _string(constraints: StringConstraints) -> Check:
    pattern = _search(constraints.pattern) if constraints.pattern else None
    low, high = constraints.min_length, constraints.max_length

    def check(value: Any) -> str:
        if not _text(value):
            raise Invalid
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise Invalid
        if pattern is not None and not pattern.search(value):
            raise Invalid
        return value

    return check


def _search(pattern: str) -> re.Pattern[str]:
    """The pattern as pydantic's regex engine reads it. Its `$` ends the text; Python's `$` also matches
    before a final newline, so the one `$` allowed (at the very end) becomes `\\Z`."""
    body = pattern[:-1] if pattern.endswith("$") and not pattern.endswith("\\$") else pattern
    if re.search(r"(?<!\\)\$", body) or "(?" in body.replace("(?:", ""):
        raise TypeError(f"pattern {pattern!r} uses what this check does not read as pydantic does")
    return re.compile(body + ("\\Z" if body != pattern else ""))


def _bounded(check: Check, bounds: dict[str, int]) -> Check:
    if not bounds:
        return check
    ge, low, high = bounds.get("ge"), bounds.get("min_length"), bounds.get("max_length")

    def bounded(value: Any) -> Any:
        value = check(value)
        if value is None:
            return value
        if ge is not None and value < ge:
            raise Invalid
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise Invalid
        return value

    return bounded


def _literal(values: tuple[Any, ...]) -> Check:
    allowed = [(type(v), v) for v in values]

    def check(value: Any) -> Any:
        # By type as well as value: strict, so 1 is not True and "1" is not 1.
        if not any(type(value) is kind and value == v for kind, v in allowed):
            raise Invalid
        return value

    return check


def _list(item: Check) -> Check:
    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Invalid
        return [item(v) for v in value]

    return check


def _dict(key: Check, item: Check) -> Check:
    def check(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise Invalid
        return {key(k): item(v) for k, v in value.items()}

    return check


def _union(members: tuple[Any, ...]) -> Check:
    nullable = type(None) in members
    checks = [checker(m) for m in members if m is not type(None)]
    if sum(1 for m in members if hasattr(m, "__gate_model__")) > 1:
        raise TypeError("a union of several models")

    def check(value: Any) -> Any:
        if value is None and nullable:
            return None
        for one in checks:
            try:
                return one(value)
            except Exception:  # noqa: S112 - this member does not take it; the next may
                continue
        raise Invalid

    return check


def _model(cls: type) -> Check:
    def check(value: Any) -> Any:
        return value if isinstance(value, cls) else validate(cls, value)

    return check


# ---- back to plain data ---------------------------------------------------------------------------------


def dump(obj: Any, *, json: bool, by_alias: bool) -> Any:
    """The object as plain data, exactly as pydantic's `model_dump(mode=..., by_alias=...)` gives it."""
    compiled = plan(type(obj))
    values = obj.__dict__
    out = {
        (f.key if by_alias else f.name): values[f.name] if f.plain else _data(values[f.name], json, by_alias)
        for f in compiled.fields
    }
    return compiled.wrap(obj, lambda _obj: out) if compiled.wrap else out


_AS_IS = frozenset({str, int, float, bool, type(None)})


def _data(value: Any, json: bool, by_alias: bool) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is list:
        return [_data(v, json, by_alias) for v in value]
    if kind is dict:
        return {k: _data(v, json, by_alias) for k, v in value.items()}
    if hasattr(value, "__gate_model__"):
        return dump(value, json=json, by_alias=by_alias)
    if json and isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value
