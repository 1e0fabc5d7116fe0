"""Unusable input: `gate check` exits 2 and names every mistake as FILE:LINE:COL, all at once, no traceback.

Each case flips one thing in a copy of the repository's own launch and says where the error must be
reported. Positions are computed from the edited text (1-based line, column in characters), so each
case states exactly which line and column a user's editor should jump to.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gate.load import MAX_JSON_BYTES, MAX_YAML_BYTES
from gate.yamlread import parse

CHECKLIST = "checklist.yaml"
MANIFEST = "evidence-manifest.json"
SECURITY = "signoffs/security.yaml"
DECISION = "decisions/2026-03-01-go-no-go.yaml"
DIGEST = "a" * 64
ERROR_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$")


@dataclass(frozen=True)
class Expected:
    """An error that must be reported: where, and a pattern its message must match."""

    file: str
    line: int
    column: int
    pattern: str

    def matches(self, file: str, line: int, column: int, message: str) -> bool:
        where = (file, line, column) == (self.file, self.line, self.column)
        return where and re.search(self.pattern, message) is not None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: /{self.pattern}/"


# ---- editing a copy ------------------------------------------------------------------------------------


def edit(repo: Path, rel: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old` in `rel`; returns the new text."""
    text = (repo / rel).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {rel}"
    text = text.replace(old, new)
    (repo / rel).write_text(text, encoding="utf-8")
    return text


def write(repo: Path, rel: str, text: str) -> str:
    (repo / rel).write_text(text, encoding="utf-8")
    return text


def at(rel: str, text: str, needle: str, message: str, *, offset: int = 0, pattern: str | None = None) -> Expected:
    """The error expected at the unique occurrence of `needle` (plus `offset` characters) in `text`."""
    assert text.count(needle) == 1, f"{needle!r} must occur exactly once in {rel}"
    index = text.index(needle) + offset
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return Expected(rel, line, column, pattern or re.escape(message))


def add_artifact(repo: Path, path: str, *, items: list[str] | None = None, data: bytes = b"report\n") -> str:
    """Register one artifact (with the hash and size of `data`); returns the manifest text."""
    entry = {
        "id": "report",
        "path": path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "items": items or ["D-upgrade-runbook"],
        "captured_at": "2026-02-01T12:00:00Z",
    }
    manifest = json.loads((repo / MANIFEST).read_text(encoding="utf-8"))
    manifest["artifacts"].append(entry)
    return write(repo, MANIFEST, json.dumps(manifest, indent=2) + "\n")


# ---- the cases: one mistake each, and where it must be reported ----------------------------------------


def yaml_syntax(repo: Path) -> list[Expected]:
    text = edit(repo, CHECKLIST, "  name: VirtEngine Mainnet Launch\n", "  name: VirtEngine: Mainnet Launch\n")
    # libyaml stops at the second ': ' of the plain scalar.
    return [at(CHECKLIST, text, ": Mainnet Launch\n", "YAML syntax: mapping values are not allowed")]


def duplicate_keys(repo: Path) -> list[Expected]:
    edit(repo, CHECKLIST, "  network: mainnet\n", "  network: mainnet\n  network: testnet\n")
    text = edit(
        repo, CHECKLIST, '    team: "@virtengine/sre"\n', '    team: "@virtengine/sre"\n    team: "@virtengine/ops"\n'
    )
    network = at(CHECKLIST, text, "network: mainnet", "").line
    team = at(CHECKLIST, text, 'team: "@virtengine/sre"', "").line
    return [
        at(CHECKLIST, text, "network: testnet", f"duplicate key 'network' (first at line {network})"),
        at(CHECKLIST, text, 'team: "@virtengine/ops"', f"duplicate key 'team' (first at line {team})"),
    ]


def wrong_type(repo: Path) -> list[Expected]:
    text = edit(repo, CHECKLIST, "          threshold: 3\n", "          threshold: three\n")
    return [at(CHECKLIST, text, "three", "rollback.criteria[0].any_of[0].threshold: Input should be a valid number")]


def wrong_type_quoted_number(repo: Path) -> list[Expected]:
    # Strict models: a quoted "12" is a string, not silently a pull request number.
    text = write(repo, SECURITY, 'area: security\nstatus: pending\npull_request: "12"\n')
    return [at(SECURITY, text, '"12"', "pull_request: Input should be a valid integer")]


def unknown_field(repo: Path) -> list[Expected]:
    old = "    priority: P0\n    owner: security-lead\n    area: security\n    validation: Review evidence bundle"
    text = edit(repo, CHECKLIST, old, old.replace("priority", "prority"))
    return [
        at(CHECKLIST, text, "prority", "unknown field 'prority' at items[0]"),
        at(CHECKLIST, text, "  - id: B-security", "items[0].priority: required field is missing", offset=4),
    ]


def unknown_role(repo: Path) -> list[Expected]:
    old = "    owner: security-lead\n    area: security\n    validation: Review evidence bundle"
    text = edit(repo, CHECKLIST, old, old.replace("security-lead", "security-chief"))
    return [at(CHECKLIST, text, "security-chief", "unknown role 'security-chief'")]


def unknown_manifest_item(repo: Path) -> list[Expected]:
    (repo / "evidence" / "report.txt").write_bytes(b"report\n")
    text = add_artifact(repo, "evidence/report.txt", items=["no-such-item"])
    return [at(MANIFEST, text, '"no-such-item"', "unknown item 'no-such-item'")]


def naive_signoff_time(repo: Path) -> list[Expected]:
    text = write(
        repo,
        SECURITY,
        "area: security\nstatus: approved\napprover: alice\nat: 2026-02-01T10:00:00\n"
        f"area_digest: {DIGEST}\npinned: {{policy: {{}}, evidence: {{}}}}\n",
    )
    return [at(SECURITY, text, "2026-02-01T10:00:00", "at: time '2026-02-01T10:00:00' has no zone")]


DECISION_TEXT = """\
decision: NO-GO
decided_at: DECIDED_AT
release_tag: v1.0.0
meeting:
  date: 2026-03-01T10:00:00Z
  attendees:
    - {role: security-lead, login: alice}
scorecard_sha256: DIGEST
manifest_sha256: DIGEST
""".replace("DIGEST", DIGEST)


def naive_decision_time(repo: Path) -> list[Expected]:
    text = write(repo, DECISION, DECISION_TEXT.replace("DECIDED_AT", "2026-03-01 10:00"))
    return [at(DECISION, text, "2026-03-01 10:00\n", "decided_at: time '2026-03-01 10:00' has no zone")]


def not_utf8(repo: Path) -> list[Expected]:
    (repo / SECURITY).write_bytes(b"area: security\nstatus: pending\nnote: caf\xff\n")
    return [Expected(SECURITY, 3, len("note: caf") + 1, re.escape("not UTF-8: byte 0xff cannot be decoded"))]


def empty_document(repo: Path) -> list[Expected]:
    write(repo, SECURITY, "")
    return [Expected(SECURITY, 1, 1, "the document is empty")]


def list_document(repo: Path) -> list[Expected]:
    write(repo, SECURITY, "- area: security\n- status: pending\n")
    return [Expected(SECURITY, 1, 1, re.escape("the document must be a mapping (key: value) at the top"))]


def alias_bomb(repo: Path) -> list[Expected]:
    # "Billion laughs": 9 levels of 10 aliases each expand to 10**9 strings. Were the document ever
    # expanded, this test would exhaust memory long before it could report anything.
    lines = ["lol0: &lol0 [" + ", ".join(['"lol"'] * 10) + "]"]
    lines += [f"lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 10) + "]" for n in range(1, 9)]
    write(repo, SECURITY, "\n".join([*lines, "area: security", "status: pending"]) + "\n")
    return [Expected(SECURITY, 1, 1, r"YAML aliases expand \d+ nodes into \d{10,}: refused")]


def recursive_alias(repo: Path) -> list[Expected]:
    text = write(repo, SECURITY, "area: security\nstatus: pending\nnote: &loop [*loop]\n")
    return [at(SECURITY, text, "&loop", "a YAML alias refers to itself (recursive structure)")]


def too_deep(repo: Path) -> list[Expected]:
    # No anchor in the text, so the alias walk is skipped: the builder still refuses the 65th level.
    text = write(repo, SECURITY, "area: security\nstatus: pending\nnote: " + "[" * 70 + "]" * 70 + "\n")
    line = text.splitlines().index("note: " + "[" * 70 + "]" * 70) + 1
    return [Expected(SECURITY, line, len("note: ") + 65, "nesting is deeper than 64 levels")]


def huge_yaml(repo: Path) -> list[Expected]:
    with (repo / SECURITY).open("r+b") as fh:  # sparse: costs no disk and no time
        fh.truncate(MAX_YAML_BYTES + 1)
    return [Expected(SECURITY, 1, 1, re.escape(f"file is {MAX_YAML_BYTES + 1} bytes; the limit is {MAX_YAML_BYTES}"))]


def huge_manifest(repo: Path) -> list[Expected]:
    with (repo / MANIFEST).open("r+b") as fh:
        fh.truncate(MAX_JSON_BYTES + 1)
    return [Expected(MANIFEST, 1, 1, re.escape(f"file is {MAX_JSON_BYTES + 1} bytes; the limit is {MAX_JSON_BYTES}"))]


def absolute_path(repo: Path) -> list[Expected]:
    text = add_artifact(repo, "/etc/passwd")
    return [at(MANIFEST, text, '"/etc/passwd"', "path '/etc/passwd' is absolute")]


def dotdot_path(repo: Path) -> list[Expected]:
    (repo.parent / "outside.txt").write_bytes(b"report\n")
    text = add_artifact(repo, "evidence/../../outside.txt")
    return [at(MANIFEST, text, '"evidence/../../outside.txt"', "contains '..': paths may not leave the repository")]


def symlink_out(repo: Path) -> list[Expected]:
    outside = repo.parent / "outside"  # a real directory next to, not inside, the repository copy
    outside.mkdir()
    (outside / "report.txt").write_bytes(b"report\n")  # same bytes: only the escape is wrong
    (repo / "evidence" / "elsewhere").symlink_to(outside, target_is_directory=True)
    text = add_artifact(repo, "evidence/elsewhere/report.txt")
    # The message may name the link's folder or the file: either way, the manifest's path line.
    message = r"'evidence/elsewhere(/report\.txt)?' resolves outside the repository \(through a symlink\)"
    return [at(MANIFEST, text, '"evidence/elsewhere/report.txt"', "", pattern=message)]


def signoff_for_unknown_area(repo: Path) -> list[Expected]:
    text = write(repo, "signoffs/marketing.yaml", "area: marketing\nstatus: pending\n")
    return [at("signoffs/marketing.yaml", text, "marketing\n", "unknown area 'marketing'")]


def area_without_signoff(repo: Path) -> list[Expected]:
    (repo / SECURITY).unlink()
    text = (repo / CHECKLIST).read_text(encoding="utf-8")
    return [
        at(
            CHECKLIST,
            text,
            "  - id: security\n",
            "area 'security' has no sign-off file signoffs/security.yaml",
            offset=len("  - id: "),
        )
    ]


def json_syntax(repo: Path) -> list[Expected]:
    text = write(repo, MANIFEST, '{\n  "version": 1,\n  "artifacts": [\n    {"id": "x" "path": "a"}\n  ]\n}\n')
    return [at(MANIFEST, text, '"path"', "JSON: Expecting ',' delimiter")]


Case = Callable[[Path], list[Expected]]
CASES: dict[str, Case] = {
    "yaml-syntax": yaml_syntax,
    "duplicate-keys": duplicate_keys,
    "wrong-type": wrong_type,
    "wrong-type-quoted-number": wrong_type_quoted_number,
    "unknown-field": unknown_field,
    "unknown-role": unknown_role,
    "unknown-manifest-item": unknown_manifest_item,
    "naive-signoff-time": naive_signoff_time,
    "naive-decision-time": naive_decision_time,
    "not-utf8": not_utf8,
    "empty-document": empty_document,
    "list-document": list_document,
    "alias-bomb": alias_bomb,
    "recursive-alias": recursive_alias,
    "too-deep": too_deep,
    "huge-yaml": huge_yaml,
    "huge-manifest": huge_manifest,
    "absolute-path": absolute_path,
    "dotdot-path": dotdot_path,
    "symlink-out": symlink_out,
    "signoff-for-unknown-area": signoff_for_unknown_area,
    "area-without-signoff": area_without_signoff,
    "json-syntax": json_syntax,
}

# ---- running gate and reading its errors ---------------------------------------------------------------


def reported_errors(out: str) -> list[tuple[str, int, int, str]]:
    """The FILE:LINE:COL lines of a text report; every line but the verdict must be one, or (indented,
    as compilers do) the source line of a syntax error and the caret under its column."""
    lines = out.splitlines()
    assert lines, "gate printed nothing"
    assert re.fullmatch(r"NO-GO: \d+ input error\(s\), nothing evaluated", lines[-1]), lines[-1]
    errors = []
    for n, line in enumerate(lines[:-1]):
        if line.startswith("    "):
            assert ERROR_LINE.match(lines[n - 1]) or lines[n - 1].startswith("    "), line
            continue
        match = ERROR_LINE.match(line)
        assert match, f"not a FILE:LINE:COL: message line: {line!r}"
        errors.append((match["file"], int(match["line"]), int(match["column"]), match["message"]))
    assert lines[-1] == f"NO-GO: {len(errors)} input error(s), nothing evaluated"
    return errors


def assert_reported(expected: list[Expected], errors: list[tuple[str, int, int, str]]) -> None:
    missing = [str(e) for e in expected if not any(e.matches(*err) for err in errors)]
    shown = "\n  ".join(f"{f}:{ln}:{c}: {m}" for f, ln, c, m in errors)
    assert not missing, "not reported:\n  " + "\n  ".join(missing) + "\nreported:\n  " + shown


def check_unusable(run_gate, repo: Path, *extra: str) -> tuple[str, str]:
    code, out, err = run_gate("check", "--repo", repo, *extra)
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    assert code == 2, out + err
    return out, err


# ---- the tests -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_mistake_is_reported_at_its_line_and_column(case: Case, repo_copy: Path, run_gate) -> None:
    expected = case(repo_copy)
    out, _ = check_unusable(run_gate, repo_copy)
    assert_reported(expected, reported_errors(out))


@pytest.mark.parametrize(
    "name",
    list(CASES),
)
def test_each_mistake_is_reported_once(name: str, repo_copy: Path, run_gate) -> None:
    """Exactly the expected errors: nothing twice, no follow-on noise."""
    expected = CASES[name](repo_copy)
    out, _ = check_unusable(run_gate, repo_copy)
    errors = reported_errors(out)
    assert len(errors) == len(expected), out
    assert_reported(expected, errors)


@pytest.mark.parametrize(
    "names",
    [
        ("unknown-field", "naive-signoff-time"),
        ("json-syntax", "duplicate-keys"),
        ("alias-bomb", "naive-decision-time"),
        ("unknown-role", "unknown-manifest-item"),
        ("yaml-syntax", "not-utf8"),
        pytest.param(
            ("unknown-role", "naive-signoff-time"),
        ),
    ],
    ids=lambda names: "+".join(names),
)
def test_every_error_of_every_file_at_once(names: tuple[str, str], repo_copy: Path, run_gate) -> None:
    expected = [e for name in names for e in CASES[name](repo_copy)]
    assert len({e.file for e in expected}) == 2, "the two mistakes must be in two files"
    out, _ = check_unusable(run_gate, repo_copy)
    assert_reported(expected, reported_errors(out))


def test_non_utf8_column_counts_characters(repo_copy: Path, run_gate) -> None:
    (repo_copy / SECURITY).write_bytes("area: security\nstatus: pending\nnote: café — ".encode() + b"\xff\n")
    out, _ = check_unusable(run_gate, repo_copy)
    # "note: café — " is 13 characters (16 bytes): the bad byte is the 14th character of line 3.
    assert_reported([Expected(SECURITY, 3, 14, "not UTF-8")], reported_errors(out))


def _two_file_mistakes(repo: Path) -> list[Expected]:
    return unknown_field(repo) + naive_signoff_time(repo)


def test_json_format_lists_input_errors(repo_copy: Path, run_gate, project_root: Path) -> None:
    expected = _two_file_mistakes(repo_copy)
    out, _ = check_unusable(run_gate, repo_copy, "--format", "json")
    card = json.loads(out)
    schema = json.loads((project_root / "schemas" / "output" / "check.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    problems = [e.message for e in Draft202012Validator(schema).iter_errors(card)]
    assert not problems, problems
    assert card["decision"] == "NO-GO"
    assert all(set(e) >= {"file", "line", "column", "message"} for e in card["errors"])
    errors = [(e["file"], e["line"], e["column"], e["message"]) for e in card["errors"]]
    assert len(errors) == len(expected)
    assert_reported(expected, errors)


def test_github_format_annotates_each_input_error(repo_copy: Path, run_gate) -> None:
    expected = _two_file_mistakes(repo_copy)
    out, _ = check_unusable(run_gate, repo_copy, "--format", "github")
    annotation = re.compile(r"^::error file=([^,]+),line=(\d+),col=(\d+),title=input error::(.+)$")
    found = [m for line in out.splitlines() if (m := annotation.match(line))]
    errors = [(m[1], int(m[2]), int(m[3]), m[4]) for m in found]
    assert len(errors) == len(expected), out
    assert_reported(expected, errors)
    assert out.splitlines()[-1].startswith("gate: NO-GO")


def test_markdown_format_lists_input_errors(repo_copy: Path, run_gate) -> None:
    expected = _two_file_mistakes(repo_copy)
    out, _ = check_unusable(run_gate, repo_copy, "--format", "markdown")
    item = re.compile(r"^- `([^:`]+):(\d+):(\d+)` (.+)$")
    errors = [(m[1], int(m[2]), int(m[3]), m[4]) for line in out.splitlines() if (m := item.match(line))]
    assert "NO-GO" in out
    assert len(errors) == len(expected), out
    assert_reported(expected, errors)


@pytest.mark.parametrize(("key", "word"), [("name", "no"), ("network", "on"), ("name", "off"), ("network", "yes")])
def test_yaml_1_2_words_stay_strings(key: str, word: str, repo_copy: Path, run_gate) -> None:
    """YAML 1.1 would read `no`/`on`/`off`/`yes` as booleans; the launch files are YAML 1.2."""
    old = {"name": "  name: VirtEngine Mainnet Launch\n", "network": "  network: mainnet\n"}[key]
    edit(repo_copy, CHECKLIST, old, f"  {key}: {word}\n")
    code, out, err = run_gate("check", "--repo", repo_copy, "--format", "json")
    assert code == 0, out + err
    card = json.loads(out)
    assert card["launch" if key == "name" else "network"] == word
    assert card["errors"] == []


def test_yaml_reads_as_1_2_with_or_without_anchors() -> None:
    """Plain scalars resolve by YAML 1.2 (`no`, `on` stay strings), `&` in a text is no anchor, and
    small anchored blocks reused by alias still read; every node keeps its position."""
    text = "a: no\nb: on\nc: 0x1F\nd: ~\ne: R&D\nf: &x {k: 1}\ng: *x\nh: '3'\n"
    doc = parse(text, "t.yaml")
    assert doc.data == {"a": "no", "b": "on", "c": 31, "d": None, "e": "R&D", "f": {"k": 1}, "g": {"k": 1}, "h": "3"}
    assert str(doc.locate(("g", "k"))) == "t.yaml:6:11"  # an alias is the anchored node itself
    assert parse(text.replace("&x", "").replace("*x", "{k: 1}"), "t.yaml").data == doc.data


def test_a_syntax_error_shows_its_line_with_a_caret(repo_copy: Path, run_gate) -> None:
    write(repo_copy, SECURITY, "area: security\nstatus: {pending\n")
    code, out, _ = run_gate("check", "--repo", repo_copy)
    assert code == 2
    lines = out.splitlines()
    at = next(n for n, line in enumerate(lines) if line.startswith(f"{SECURITY}:2:9: YAML syntax"))
    assert lines[at + 1 : at + 3] == ["    status: {pending", "            ^"]
    code, _, err = run_gate("signoff", "security", "--approve", "--by", "sec-lead-ana", "--repo", repo_copy)
    assert code == 2
    assert "    status: {pending\n            ^" in err


def test_an_unclosed_bracket_found_lines_later_names_where_it_was_opened(repo_copy: Path, run_gate) -> None:
    """The parser notices a missing `]` on a later line; the message says where the sequence began."""
    write(repo_copy, SECURITY, "area: security\nfindings: [oops\nstatus: pending\n")
    code, out, _ = run_gate("check", "--repo", repo_copy)
    assert code == 2
    [line] = [ln for ln in out.splitlines() if ln.startswith(f"{SECURITY}:3:")]
    assert line.endswith("(the flow sequence began at line 2, column 11)")
