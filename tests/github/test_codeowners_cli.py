"""`gate codeowners owners` and `gate codeowners lint` on real files, through the command line."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT, copy_example

CODEOWNERS = (ROOT / ".github" / "CODEOWNERS").read_text()
AREA_TEAMS = ["@virtengine/security", "@virtengine/compliance", "@virtengine/sre", "@virtengine/finance"]


def line_of(text: str, pattern: str) -> int:
    """The 1-based line whose first word is `pattern` (the one GitHub would match)."""
    [number] = [n for n, line in enumerate(text.split("\n"), 1) if line.split()[:1] == [pattern]]
    return number


def test_owners_as_json_give_path_owners_and_deciding_line(run_gate, project_root):
    code, out, _ = run_gate(
        "codeowners",
        "owners",
        "signoffs/security.yaml",
        "decisions/2026-11-27T1600-go.yaml",
        "gate/cli.py",
        "evidence/ops/drill/report.txt",
        "--repo",
        project_root,
        "--format",
        "json",
    )

    assert code == 0
    report = json.loads(out)
    assert report["file"] == ".github/CODEOWNERS"
    assert report["paths"] == [
        {
            "path": "signoffs/security.yaml",
            "owners": ["@virtengine/security"],
            "line": line_of(CODEOWNERS, "/signoffs/security.yaml"),
        },
        {
            "path": "decisions/2026-11-27T1600-go.yaml",
            "owners": [*AREA_TEAMS, "@virtengine/product"],
            "line": line_of(CODEOWNERS, "/decisions/"),
        },
        {"path": "gate/cli.py", "owners": ["@virtengine/release-managers"], "line": line_of(CODEOWNERS, "*")},
        {
            "path": "evidence/ops/drill/report.txt",  # `/evidence/` spans every depth below it
            "owners": ["@virtengine/release-managers"],
            "line": line_of(CODEOWNERS, "/evidence/"),
        },
    ]


def test_owners_of_an_unowned_path_in_text(run_gate, repo_copy):
    (repo_copy / ".github").mkdir()
    (repo_copy / ".github" / "CODEOWNERS").write_text("/signoffs/ @virtengine/security\n/signoffs/x.yaml\n")

    code, out, _ = run_gate("codeowners", "owners", "signoffs/x.yaml", "README.md", "--repo", repo_copy)

    assert code == 0
    assert out == "signoffs/x.yaml: (no owners)  (.github/CODEOWNERS:2)\nREADME.md: (no owners)  (no rule)\n"


def test_lint_passes_on_the_repository(run_gate, project_root):
    code, out, _ = run_gate("codeowners", "lint", "--repo", project_root)

    assert code == 0
    assert out == ".github/CODEOWNERS: 0 problem(s)\n"


def _replace_line(text: str, first_word: str, new: str) -> str:
    lines = text.split("\n")
    lines[line_of(text, first_word) - 1] = new
    return "\n".join(lines)


def _append(line: str) -> tuple[str, int]:
    text = CODEOWNERS.rstrip("\n") + "\n" + line + "\n"
    return text, text.count("\n")


CASES = {
    "negation": (
        *_append("!evidence/secret.txt @virtengine/security"),
        1,
        "'!' negation is not supported in CODEOWNERS",
    ),
    "range": (
        *_append("evidence/[a-z]*.txt @virtengine/release-managers"),
        10,
        "'[ ]' character ranges are not supported",
    ),
    "escaped-hash": (
        *_append("docs/\\#notes.md @virtengine/release-managers"),
        6,
        "escaping '#' with '\\' is not supported in CODEOWNERS",
    ),
    "bad-owner": (
        *_append("/README.md   virtengine/release-managers"),
        14,
        "invalid owner 'virtengine/release-managers': expected @user, @org/team or an email address",
    ),
    "signoff-without-team": (
        _replace_line(CODEOWNERS, "/signoffs/finance-billing.yaml", "/signoffs/finance-billing.yaml"),
        line_of(CODEOWNERS, "/signoffs/finance-billing.yaml"),
        1,
        "signoffs/finance-billing.yaml has no code owner; area 'finance-billing' needs it owned by @virtengine/finance",
    ),
    "decisions-missing-a-team": (
        _replace_line(CODEOWNERS, "/decisions/", "/decisions/ " + " ".join(AREA_TEAMS)),
        line_of(CODEOWNERS, "/decisions/"),
        1,
        "decisions/decision.yaml must be owned by every area's team; missing @virtengine/product",
    ),
}


@pytest.mark.parametrize(("text", "line", "column", "message"), CASES.values(), ids=CASES.keys())
def test_lint_reports_each_problem_at_its_line_and_column(run_gate, repo_copy, text, line, column, message):
    (repo_copy / ".github").mkdir()
    (repo_copy / ".github" / "CODEOWNERS").write_text(text)

    code, out, _ = run_gate("codeowners", "lint", "--repo", repo_copy)

    assert code == 1
    assert out == f".github/CODEOWNERS:{line}:{column}: {message}\n.github/CODEOWNERS: 1 problem(s)\n"


def test_lint_reports_every_problem_at_once(run_gate, repo_copy):
    text = CODEOWNERS
    for case in CASES.values():
        if case[0].startswith(CODEOWNERS):  # appended lines
            text = text.rstrip("\n") + "\n" + case[0].rstrip("\n").rsplit("\n", 1)[1] + "\n"
    text = _replace_line(text, "/signoffs/finance-billing.yaml", "/signoffs/finance-billing.yaml")
    (repo_copy / "CODEOWNERS").write_text(text)  # at the root: GitHub's second place to look

    code, out, _ = run_gate("codeowners", "lint", "--repo", repo_copy)

    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "CODEOWNERS: 5 problem(s)"
    end = CODEOWNERS.rstrip("\n").count("\n") + 1  # the last line of the repository's file
    finance = line_of(CODEOWNERS, "/signoffs/finance-billing.yaml")
    expected = [(end + 1, 1), (end + 2, 10), (end + 3, 6), (end + 4, 14), (finance, 1)]
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [f"CODEOWNERS:{n}:{c}" for n, c in expected]


# ---- paths on the command line are relative to the current folder, as git reads them ----------------


@pytest.fixture
def in_security_evidence(tmp_path, monkeypatch):
    """A copy of examples/go with the project's CODEOWNERS, the current folder its evidence/security."""
    launch = copy_example(tmp_path)
    (launch / ".github").mkdir()
    (launch / ".github" / "CODEOWNERS").write_text(CODEOWNERS)
    monkeypatch.chdir(launch / "evidence" / "security")
    return launch


def test_owners_of_paths_named_from_a_subfolder(run_gate, in_security_evidence):
    paths = ("../../signoffs/security.yaml", "threat-model.md", str(in_security_evidence / "checklist.yaml"))
    code, out, err = run_gate("codeowners", "owners", *paths, "--format", "json")

    assert code == 0, err
    assert json.loads(out)["paths"] == [
        {
            "path": "signoffs/security.yaml",
            "owners": ["@virtengine/security"],
            "line": line_of(CODEOWNERS, "/signoffs/security.yaml"),
        },
        {
            "path": "evidence/security/threat-model.md",
            "owners": ["@virtengine/release-managers"],
            "line": line_of(CODEOWNERS, "/evidence/"),
        },
        {"path": "checklist.yaml", "owners": ["@virtengine/release-managers"], "line": line_of(CODEOWNERS, "*")},
    ]


@pytest.mark.parametrize("path", ["../../../elsewhere.yaml", "/etc/passwd"])
def test_owners_refuses_a_path_outside_the_repository(run_gate, in_security_evidence, path):
    code, out, err = run_gate("codeowners", "owners", path)

    assert (code, out) == (2, "")
    assert f"{path} is outside the repository" in err


def test_lint_reads_the_file_named_from_a_subfolder(run_gate, in_security_evidence):
    code, out, err = run_gate("codeowners", "lint", "../../.github/CODEOWNERS")

    assert code == 0, err
    assert out == "../../.github/CODEOWNERS: 0 problem(s)\n"
