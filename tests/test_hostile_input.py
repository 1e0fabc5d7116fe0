"""Hostile and careless input to `gate check`: it ends within seconds with exit 2 and FILE:LINE:COL where
a file is at fault (or 1 for an integrity failure), never 3, never a traceback, and shows what launch
files say without obeying it.

Threat -> test (each on a copy of examples/go):

- times near year 1 or 9999 with an offset (OverflowError) -> test_time_out_of_range_in_utc_is_an_input_error,
  test_times_at_the_edges_of_the_calendar_never_crash
- integers past Python's 4,300-digit limit, JSON nested 100,000 deep, YAML nested as deep ->
  test_a_number_too_long_is_an_input_error, test_nesting_too_deep_is_an_input_error
- unknown keys spelled like pydantic's union tags (`str`, `a[b]`: IndexError) ->
  test_unknown_key_named_like_a_type_is_reported_where_it_is, test_union_tag_keys_inside_a_union_value
- launch files symlinked out of the repository, to /dev/zero, or through a symlinked folder ->
  test_launch_file_symlinked_out_is_refused, test_launch_folder_symlinked_out_is_refused
- FIFOs as evidence or as launch files (a reader blocked forever) -> test_fifo_evidence_is_an_integrity_failure,
  test_fifo_launch_file_is_an_input_error
- non-canonical and backslash manifest paths -> test_non_canonical_manifest_path_names_its_one_spelling,
  test_backslash_manifest_path_is_an_input_error
- ESC sequences, bidi overrides, HTML and @mentions in launch text -> test_launch_text_is_shown_not_obeyed,
  test_input_errors_are_shown_not_obeyed
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import AT, CHECKLIST, GO_DECISION, MANIFEST, Run, copy_example, read_manifest, write_manifest

SECURITY = "signoffs/security.yaml"
LOCATED = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


# ---- helpers -----------------------------------------------------------------------------------------


def gate_process(*argv: str | os.PathLike[str], timeout: float = 20) -> Run:
    """`python -m gate ARGV…` in a child process: a hang fails the test (TimeoutExpired) instead of
    hanging the suite."""
    done = subprocess.run(
        [sys.executable, "-m", "gate", *(os.fspath(a) for a in argv)], capture_output=True, text=True, timeout=timeout
    )
    return Run(done.returncode, done.stdout, done.stderr)


def no_crash(run: Run) -> None:
    assert run.code != 3, run.err
    assert "Traceback" not in run.out + run.err
    assert "internal error" not in run.err


def errors_in(out: str) -> list[tuple[str, int, int, str]]:
    """Every FILE:LINE:COL: message line of a text report."""
    found = (LOCATED.match(line) for line in out.splitlines())
    return [(m["file"], int(m["line"]), int(m["column"]), m["message"]) for m in found if m]


def position(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column (in characters) of the `nth` occurrence of `needle`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def edit(repo: Path, rel: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old` in `rel` (a regex match of the whole line when it starts
    with ^); returns the new text."""
    path = repo / rel
    text = path.read_text(encoding="utf-8")
    if old.startswith("^"):
        text, count = re.subn(old, new, text, count=1, flags=re.M)
    else:
        count = text.count(old)
        text = text.replace(old, new)
    assert count == 1, f"{old!r} occurs {count} times in {rel}"
    path.write_text(text, encoding="utf-8")
    return text


def check_text(cli, repo: Path, *extra: str) -> Run:
    result: Run = cli("check", "--repo", repo, "--at", AT, *extra)
    no_crash(result)
    return result


# ---- times at the edges of the calendar ---------------------------------------------------------------

OUT_OF_RANGE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"]
# In range in UTC, but one step from either end: arithmetic on them must not overflow either.
EDGES = ["0001-01-01T01:00:00+01:00", "9999-12-31T18:59:59-05:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]


def _in_signoff(repo: Path, value: str) -> tuple[str, str]:
    return SECURITY, edit(repo, SECURITY, r"^at: .*$", f'at: "{value}"')


def _in_decision(repo: Path, value: str) -> tuple[str, str]:
    return GO_DECISION, edit(repo, GO_DECISION, r"^decided_at: .*$", f"decided_at: '{value}'")


def _in_window(repo: Path, value: str) -> tuple[str, str]:
    return CHECKLIST, edit(repo, CHECKLIST, r'^  backup: \{start: "[^"]*"', f'  backup: {{start: "{value}"')


PLACES: dict[str, Callable[[Path, str], tuple[str, str]]] = {
    "signoff-at": _in_signoff,
    "decision-decided-at": _in_decision,
    "window-start": _in_window,
}


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("place", list(PLACES))
def test_time_out_of_range_in_utc_is_an_input_error(tmp_path, cli, place, value):
    repo = copy_example(tmp_path)
    rel, text = PLACES[place](repo, value)
    result = check_text(cli, repo)
    assert result.code == 2
    line, column = position(text, value)
    [(file, at_line, at_column, message)] = errors_in(result.out)
    assert (file, at_line, at_column) == (rel, line, column - 1)  # at its opening quote
    assert message.endswith(f"time {value} is out of range in UTC")


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_at_out_of_range_is_a_usage_error(tmp_path, cli, value):
    repo = copy_example(tmp_path)
    result = cli("check", "--repo", repo, "--at", value)
    no_crash(result)
    assert result.code == 2
    assert f"argument --at: time {value} is out of range in UTC" in result.err


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("place", [*PLACES, "at", "at-with-decision-there"])
def test_times_at_the_edges_of_the_calendar_never_crash(tmp_path, cli, place, value):
    repo = copy_example(tmp_path)
    at = AT
    if place in PLACES:
        PLACES[place](repo, value)
    if place.startswith("at"):
        at = value
    if place == "at-with-decision-there":
        _in_decision(repo, value)
    for fmt in ("json", "text", "markdown", "github"):
        result = cli("check", "--repo", repo, "--at", at, "--format", fmt, "--require-go")
        no_crash(result)
        assert result.code in (1, 2)  # never GO: every case moves something the GO relies on


# ---- numbers and nesting -----------------------------------------------------------------------------

LONG = "9" * 5000


def _yaml_version(repo: Path) -> tuple[str, str]:
    return CHECKLIST, edit(repo, CHECKLIST, "\nversion: 1\n", f"\nversion: {LONG}\n")


def _yaml_in_scoring(repo: Path) -> tuple[str, str]:
    return CHECKLIST, edit(repo, CHECKLIST, "max_warnings: 2}", f"max_warnings: {LONG}}}")


def _yaml_in_signoff(repo: Path) -> tuple[str, str]:
    return SECURITY, edit(repo, SECURITY, "pull_request: 41\n", f"pull_request: {LONG}\n")


def _json_version(repo: Path) -> tuple[str, str]:
    return MANIFEST, edit(repo, MANIFEST, '"version": 1,', f'"version": {LONG},')


def _json_size(repo: Path) -> tuple[str, str]:
    data = read_manifest(repo)
    data["artifacts"][3]["size"] = 12345678901234567
    write_manifest(repo, data)
    return MANIFEST, edit(repo, MANIFEST, '"size": 12345678901234567', f'"size": {LONG}')


NUMBERS = {
    "yaml-top-level": _yaml_version,
    "yaml-nested": _yaml_in_scoring,
    "yaml-signoff": _yaml_in_signoff,
    "json-top-level": _json_version,
    "json-artifact": _json_size,
}


@pytest.mark.parametrize("case", list(NUMBERS))
def test_a_number_too_long_is_an_input_error(tmp_path, cli, case):
    repo = copy_example(tmp_path)
    rel, text = NUMBERS[case](repo)
    result = check_text(cli, repo)
    assert result.code == 2
    [(file, line, column, message)] = errors_in(result.out)
    assert (file, line, column) == (rel, *position(text, LONG))
    assert "too long" in message


def _deep_json(repo: Path) -> str:
    edit(repo, MANIFEST, '"version": 1,', '"version": 1, "deep": ' + "[" * 100_000 + "]" * 100_000 + ",")
    return MANIFEST


def _deep_yaml(repo: Path) -> str:
    edit(repo, SECURITY, "pull_request: 41\n", "note: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return SECURITY


@pytest.mark.parametrize("nest", [_deep_json, _deep_yaml], ids=["json", "yaml"])
def test_nesting_too_deep_is_an_input_error(tmp_path, nest):
    repo = copy_example(tmp_path)
    rel = nest(repo)
    result = gate_process("check", "--repo", repo, "--at", AT)
    no_crash(result)
    assert result.code == 2
    assert [e[0] for e in errors_in(result.out)] == [rel]
    assert re.search("nesting|depth", result.out)


# ---- keys spelled like pydantic's own location parts -------------------------------------------------

TYPE_KEYS = ["str", "int", "float", "bool", "a[b]", "function-after[x]"]


def _key_at(file: str, text: str, needle: str, where: str, key: str) -> tuple[str, int, int, str]:
    """The error expected for the key planted as the unique `needle` (which starts with the key)."""
    assert text.count(needle) == 1, needle
    return (file, *position(text, needle), f"unknown field {key!r} at {where}")


def _plant_everywhere(repo: Path, key: str) -> list[tuple[str, int, int, str]]:
    """The key at the top level and nested, in every kind of launch file; the errors expected."""
    edit(repo, CHECKLIST, "\nversion: 1\n", f"\nversion: 1\n{key}: top\n")
    title = "    title: Security evidence bundle\n"
    checklist = edit(repo, CHECKLIST, title, f"{title}    {key}: item\n")
    signoff = edit(repo, SECURITY, "    severity: medium\n", f"    severity: medium\n    {key}: finding\n")
    decision = edit(repo, GO_DECISION, "    login: rm-rosa\n", f"    login: rm-rosa\n    {key}: attendee\n")
    data = read_manifest(repo)
    data["artifacts"][0][key] = "artifact"
    data[key] = "top"
    write_manifest(repo, data)
    manifest = (repo / MANIFEST).read_text(encoding="utf-8")
    quoted = json.dumps(key)
    return [
        _key_at(CHECKLIST, checklist, f"{key}: top\n", "document", key),
        _key_at(CHECKLIST, checklist, f"{key}: item\n", "items[0]", key),
        _key_at(SECURITY, signoff, f"{key}: finding\n", "findings[0]", key),
        _key_at(GO_DECISION, decision, f"{key}: attendee\n", "meeting.attendees[5]", key),
        _key_at(MANIFEST, manifest, f'{quoted}: "artifact"', "artifacts[0]", key),
        _key_at(MANIFEST, manifest, f'{quoted}: "top"', "document", key),
    ]


@pytest.mark.parametrize("key", TYPE_KEYS)
def test_unknown_key_named_like_a_type_is_reported_where_it_is(tmp_path, cli, key):
    repo = copy_example(tmp_path)
    expected = _plant_everywhere(repo, key)
    result = check_text(cli, repo)
    assert result.code == 2
    assert sorted(errors_in(result.out)) == sorted(expected)


@pytest.mark.parametrize("key", TYPE_KEYS)
def test_union_tag_keys_inside_a_union_value(tmp_path, cli, key):
    """`target_block_time` is a duration or a text: pydantic names both members in its errors."""
    repo = copy_example(tmp_path)
    text = edit(repo, CHECKLIST, "  target_block_time: 6s\n", f'  target_block_time: {{"{key}": [1]}}\n')
    result = check_text(cli, repo)
    assert result.code == 2
    line, _ = position(text, "target_block_time: {")
    assert {(e[0], e[1]) for e in errors_in(result.out)} == {(CHECKLIST, line)}


# ---- launch files that are not plain files inside the repository --------------------------------------

LAUNCH_FILES = [CHECKLIST, MANIFEST, SECURITY, GO_DECISION]


def _outside_copy(repo: Path, rel: str) -> str:
    outside = repo.parent / "outside"
    outside.mkdir(exist_ok=True)
    target = outside / Path(rel).name
    target.write_bytes((repo / rel).read_bytes())  # the very same bytes: only the location is wrong
    return str(target)


@pytest.mark.parametrize("target", ["outside-copy", "/dev/zero", "/etc/passwd"])
@pytest.mark.parametrize("rel", LAUNCH_FILES)
def test_launch_file_symlinked_out_is_refused(tmp_path, rel, target):
    repo = copy_example(tmp_path)
    to = _outside_copy(repo, rel) if target == "outside-copy" else target
    (repo / rel).unlink()
    (repo / rel).symlink_to(to)
    result = gate_process("check", "--repo", repo, "--at", AT)
    no_crash(result)
    assert result.code == 2
    assert rel in result.out + result.err


@pytest.mark.parametrize("folder", ["signoffs", "decisions", "evidence"])
def test_launch_folder_symlinked_out_is_refused(tmp_path, folder):
    repo = copy_example(tmp_path)
    moved = tmp_path / f"moved-{folder}"
    (repo / folder).rename(moved)
    (repo / folder).symlink_to(moved, target_is_directory=True)
    result = gate_process("check", "--repo", repo, "--at", AT)
    no_crash(result)
    assert result.code == 2
    assert re.search(rf"'{folder}[/']", result.out), result.out
    assert "resolves outside the repository" in result.out


VULN_SCAN = "evidence/security/vuln-scan.txt"


def test_fifo_evidence_is_an_integrity_failure(tmp_path):
    repo = copy_example(tmp_path)
    (repo / VULN_SCAN).unlink()
    os.mkfifo(repo / VULN_SCAN)
    result = gate_process("check", "--repo", repo, "--at", AT, "--format", "json")
    no_crash(result)
    assert result.code == 1
    [failure] = [f for f in result.json()["integrity"] if f["path"] == VULN_SCAN]
    assert "not a regular file" in failure["message"]
    verified = gate_process("evidence", "verify", "--repo", repo)
    no_crash(verified)
    assert verified.code == 1
    assert f"{VULN_SCAN}: not a regular file" in verified.out


@pytest.mark.parametrize("rel", [SECURITY, GO_DECISION, MANIFEST, "decisions/extra.yaml"])
def test_fifo_launch_file_is_an_input_error(tmp_path, rel):
    repo = copy_example(tmp_path)
    (repo / rel).unlink(missing_ok=True)
    os.mkfifo(repo / rel)
    result = gate_process("check", "--repo", repo, "--at", AT)
    no_crash(result)
    assert result.code == 2
    assert f"{rel}:1:1: not a regular file" in result.out


def test_fifo_checklist_is_refused(tmp_path):
    repo = copy_example(tmp_path)
    (repo / CHECKLIST).unlink()
    os.mkfifo(repo / CHECKLIST)
    result = gate_process("check", "--repo", repo, "--at", AT)
    no_crash(result)
    assert result.code == 2
    assert CHECKLIST in result.out + result.err


# ---- path spellings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "./evidence/security/vuln-scan.txt",
        "evidence//security/vuln-scan.txt",
        "evidence/./security/vuln-scan.txt",
        "evidence/security/vuln-scan.txt/",
        "evidence/security/./vuln-scan.txt",
    ],
)
def test_non_canonical_manifest_path_names_its_one_spelling(tmp_path, cli, spelling):
    repo = copy_example(tmp_path)
    text = edit(repo, MANIFEST, f'"path": "{VULN_SCAN}"', f'"path": "{spelling}"')
    result = check_text(cli, repo)
    assert result.code == 2
    [(file, line, column, message)] = errors_in(result.out)
    assert (file, line, column) == (MANIFEST, *position(text, f'"{spelling}"'))
    assert message.endswith(f".path: path {spelling!r} is not canonical: write {VULN_SCAN!r}")


def test_a_bad_path_is_reported_with_every_other_problem_of_the_manifest(tmp_path, cli):
    """A path's spelling is part of the manifest's schema: it is reported in the same run as a bad
    SHA-256 beside it, not in a later one after that is fixed."""
    repo = copy_example(tmp_path)
    text = edit(repo, MANIFEST, f'"path": "{VULN_SCAN}"', f'"path": "./{VULN_SCAN}"')
    digest = re.search(r'"sha256": "([0-9a-f]{64})"', text)
    assert digest is not None
    text = edit(repo, MANIFEST, digest[1], digest[1].upper())
    result = check_text(cli, repo)
    assert result.code == 2
    messages = [message for *_, message in errors_in(result.out)]
    assert any("is not canonical" in m for m in messages), messages
    assert any("sha256" in m for m in messages), messages


def test_backslash_manifest_path_is_an_input_error(tmp_path, cli):
    repo = copy_example(tmp_path)
    (repo / "evidence" / "a\\b.md").write_text("x\n", encoding="utf-8")
    text = edit(repo, MANIFEST, f'"path": "{VULN_SCAN}"', '"path": "evidence/a\\\\b.md"')
    result = check_text(cli, repo)
    assert result.code == 2
    [(file, line, column, message)] = errors_in(result.out)
    assert (file, line, column) == (MANIFEST, *position(text, '"evidence/a'))
    assert "backslash" in message


# ---- what launch files say is shown, never obeyed ----------------------------------------------------

# YAML double-quoted escapes: ESC [2J (clear screen), an OSC window title ended by BEL, a right-to-left
# override, HTML that runs script when rendered, and a mention that pages a whole organisation.
HOSTILE_YAML = r"\e[2J\e]0;title\a \u202Eevil <img src=x onerror=alert(1)> @org/everyone"
RAW = ["\x1b", "\x07", "\u202e"]


def plant_hostile_text(repo: Path) -> None:
    edit(repo, CHECKLIST, "    title: Security evidence bundle\n", f'    title: "Security {HOSTILE_YAML}"\n')
    edit(
        repo,
        SECURITY,
        "    summary: Rate-limit the VEID verification endpoint per account\n",
        f'    summary: "Rate-limit {HOSTILE_YAML}"\n',
    )


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_launch_text_is_shown_not_obeyed(tmp_path, cli, fmt):
    repo = copy_example(tmp_path, decisions=False)
    plant_hostile_text(repo)
    result = check_text(cli, repo, "--format", fmt)
    assert result.code == 0
    for raw in RAW:
        assert raw not in result.out
    assert "\\x1b[2J" in result.out
    assert "\\u202e" in result.out
    assert "Rate-limit \\x1b[2J" in result.out  # the finding's summary too, not only the title
    if fmt == "markdown":
        assert "<img" not in result.out
        assert "@org/" not in result.out
        assert "&lt;img src=x onerror=alert(1)&gt;" in result.out


def test_json_keeps_launch_text_exactly(tmp_path, cli):
    """Machines get the text as written (JSON escapes control characters itself)."""
    repo = copy_example(tmp_path, decisions=False)
    plant_hostile_text(repo)
    result = check_text(cli, repo, "--format", "json")
    assert "\x1b" not in result.out
    title = next(i["title"] for i in result.json()["items"] if i["id"] == "B-security")
    assert title == "Security \x1b[2J\x1b]0;title\x07 \u202eevil <img src=x onerror=alert(1)> @org/everyone"


@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_input_errors_are_shown_not_obeyed(tmp_path, cli, fmt):
    """An error names the file as it is called, and a file name can hold anything but `/`."""
    repo = copy_example(tmp_path)
    (repo / "signoffs" / "x\x1b[2J\x1b]0;pwned\x07\u202e.yml").write_text("area: security\n", encoding="utf-8")
    result = check_text(cli, repo, "--format", fmt)
    assert result.code == 2
    for raw in RAW:
        assert raw not in result.out + result.err
    assert "signoffs/x\\x1b[2J\\x1b]0;pwned\\x07\\u202e.yml" in result.out


def test_refusals_on_stderr_are_shown_not_obeyed(tmp_path, cli):
    """A refusal quotes the checklist (an evidence description) on stderr: escaped there too."""
    repo = copy_example(tmp_path, decisions=False)
    edit(
        repo,
        CHECKLIST,
        "{id: vuln-scan, kind: report, description: Vuln scan results}",
        '{id: vuln-scan-2, kind: report, description: "Vuln \\e[2J scan \\u202E results"}',
    )
    refused = cli("signoff", "security", "--repo", repo, "--approve", "--by", "sec-lead-ana", "--at", AT)
    no_crash(refused)
    assert refused.code == 1
    for raw in RAW:
        assert raw not in refused.err
    assert "Vuln \\x1b[2J scan \\u202e results" in refused.err


def test_a_lone_surrogate_in_json_is_an_input_error(tmp_path, cli):
    """JSON can spell half a character ("\\ud800"); it is no text, and hashing it crashed (exit 3)."""
    repo = copy_example(tmp_path)
    edit(repo, MANIFEST, "schemas/evidence-manifest.schema.json", "x\\ud800")  # a field that takes any text
    result = check_text(cli, repo)
    assert result.code == 2
    assert "Traceback" not in result.err
    [(file, *_)] = errors_in(result.out)
    assert file == MANIFEST
