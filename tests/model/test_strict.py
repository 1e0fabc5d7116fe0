"""The quick check of `gate.model.strict` against pydantic on the same declarations: the same answers
(accept or refuse), the same objects and the same dumps — on every real launch file, and on thousands of
mutations of them (each value replaced by ones of other types and edge cases, each key dropped, an
unknown key added). The quick check may never accept what pydantic refuses: that would be a hole in
the models' strictness."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.commands.check import CheckRequest, run_check
from gate.model import Checklist, Decision, Manifest, Signoff, strict
from gate.model.base import Model
from gate.model.twin import from_pydantic, pydantic_model, to_pydantic
from gate.yamlread import parse
from tests.helpers import AT, EXAMPLES, FROZEN_LAUNCH, ROOT

LAUNCHES = [ROOT, FROZEN_LAUNCH, EXAMPLES / "go", EXAMPLES / "no-go"]


def _documents() -> Iterator[tuple[str, type[Model], Any]]:
    for launch in LAUNCHES:
        name = launch.relative_to(ROOT).as_posix() or "root"
        yield f"{name}/checklist", Checklist, parse((launch / "checklist.yaml").read_text("utf-8"), "c").data
        yield f"{name}/manifest", Manifest, json.loads((launch / "evidence-manifest.json").read_text("utf-8"))
        for kind, model in (("signoffs", Signoff), ("decisions", Decision)):
            for path in sorted((launch / kind).glob("*.yaml")):
                yield f"{name}/{kind}/{path.stem}", model, parse(path.read_text("utf-8"), path.name).data


DOCUMENTS = list(_documents())


def _pydantic(model: type[Model], data: Any) -> Any:
    """pydantic's answer: the object (as the declared model's) or None when it refuses."""
    import pydantic

    try:
        return from_pydantic(pydantic_model(model).model_validate(data), model)
    except pydantic.ValidationError:
        return None


def _quick(model: type[Model], data: Any) -> Any:
    try:
        return strict.validate(model, data)
    except Exception:
        return None


def _same(model: type[Model], data: Any) -> None:
    slow, quick = _pydantic(model, data), _quick(model, data)
    assert (quick is not None) == (slow is not None), f"pydantic {'accepts' if slow else 'refuses'}: {data!r:.300}"
    if quick is not None:
        assert quick == slow
        for mode in ("python", "json"):
            for by_alias in (False, True):
                expected = to_pydantic(quick).model_dump(mode=mode, by_alias=by_alias)
                assert quick.model_dump(mode=mode, by_alias=by_alias) == expected


@pytest.mark.parametrize(("name", "model", "data"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_every_real_launch_file_reads_the_same(name, model, data):
    assert _quick(model, data) is not None, f"{name} should be valid"
    _same(model, data)


# Values of other types and the edges of the ones declared: bool against int, int against float, a
# quoted number, an id or time with a trailing newline (the end of a pattern), empty and overlong text.
def _variants(value: Any) -> list[Any]:
    out: list[Any] = [None, True, 0, -1, 3, 2.5, float("inf"), "", "x", "3", "a\nb", " ", "Ü" * 3, [], {}, ["x"]]
    out += [{"x": 1}, "2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "1" * 200, "x" * 10_001, "x\ud800"]
    if isinstance(value, str):
        out += [value + "\n", value + " ", value.upper(), value[:-1], "@" + value, value.replace("-", "_")]
    if isinstance(value, int) and not isinstance(value, bool):
        out += [value + 1, value - 1, float(value), str(value), value != 0]
    if isinstance(value, list):
        out += [value[:1], value + value[:1], [None], tuple(value)]
    return out


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for n, value in enumerate(data):
            yield from _paths(value, (*path, n))


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_replaced(v, rest, value) if k == head else v) for k, v in data.items()}
    return [_replaced(v, rest, value) if n == head else v for n, v in enumerate(data)]


def _dropped(data: Any, path: tuple[Any, ...]) -> Any:
    head, rest = path[0], path[1:]
    if not rest:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k != head}
        return [v for n, v in enumerate(data) if n != head]
    return _replaced(data, path[:1], _dropped(data[head], rest))


def _lookup(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _mutations(data: Any, rng: random.Random, count: int) -> Iterator[Any]:
    paths = [p for p in _paths(data) if p]
    for path in rng.sample(paths, min(count, len(paths))):
        value = _lookup(data, path)
        yield _dropped(data, path)
        for variant in rng.sample(_variants(value), 6):
            yield _replaced(data, path, variant)
        if isinstance(value, dict):
            yield _replaced(data, path, {**value, "unknown_field": "x"})
            yield _replaced(data, path, {**value, **{k: v for k, v in value.items()}, "for": "1m"})


MUTATED = [d for d in DOCUMENTS if not d[0].startswith("tests/data/launch")]


@pytest.mark.parametrize(("name", "model", "data"), MUTATED, ids=[d[0] for d in MUTATED])
def test_mutated_documents_get_pydantics_answer(name, model, data):
    rng = random.Random(name)
    for mutated in _mutations(data, rng, 60 if model is Checklist else 25):
        _same(model, mutated)


def test_every_model_compiles():
    """Every declared model (and each nested one) is one the quick check reads fully."""
    seen: set[type] = set()
    todo: list[type] = [Checklist, Manifest, Signoff, Decision]
    todo += [type(run_check(CheckRequest(repo=EXAMPLES / "go", at=_at())))]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        strict.plan(model)
        todo += [t for t in _nested(model) if t not in seen]
    assert len(seen) >= 40


def _nested(model: type) -> list[type]:
    from gate.model.declare import declared

    found: list[type] = []

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, Model):
            found.append(tp)
        for arg in getattr(tp, "__args__", ()) or ():
            walk(arg)
        walk_meta = getattr(tp, "__origin__", None)
        if walk_meta is not None and walk_meta is not tp:
            walk(walk_meta)

    for d in declared(model):
        walk(d.annotation)
    return found


def _at() -> Any:
    from gate.model.base import parse_time

    return parse_time(AT)


@pytest.mark.parametrize("example", ["go", "no-go"])
def test_the_scorecard_json_is_what_pydantic_writes(example):
    card = run_check(CheckRequest(repo=EXAMPLES / example, at=_at()))
    assert card.model_dump_json(by_alias=True, indent=2) == to_pydantic(card).model_dump_json(by_alias=True, indent=2)


def test_an_id_ending_in_a_newline_is_refused_as_pydantic_refuses_it(tmp_path: Path) -> None:
    """pydantic's patterns end at the end of the text; Python's `$` would also match before a newline."""
    data = {"role": "ops-lead\n", "login": "ops-lead-chen"}
    from gate.model.decision import Attendee

    assert _quick(Attendee, data) is None
    assert _pydantic(Attendee, data) is None


def test_an_object_built_in_code_is_checked_and_reported_as_pydantic_would() -> None:
    """A result built with objects inside (a Where in an ItemResult) and one bad value: pydantic is
    asked, and names only the bad value."""
    import pydantic

    from gate.model.scorecard import ItemResult, Where

    fields: dict[str, Any] = {
        "id": "A-1", "section": "A", "title": "t", "priority": "P9", "owner": "o", "area": "a", "state": "PASS",
        "reasons": [], "where": Where(file="checklist.yaml", line=1, column=1),
    }  # fmt: skip
    with pytest.raises(pydantic.ValidationError) as caught:
        ItemResult(**fields)
    assert [e["loc"] for e in caught.value.errors()] == [("priority",)]
    assert ItemResult(**{**fields, "priority": "P1"}).where == Where(file="checklist.yaml", line=1, column=1)
