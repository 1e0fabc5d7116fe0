"""`gate init`: a new launch repository from this checklist as a template, honestly NO-GO."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from gate.commands import schema as schemas
from gate.edit import dump_json, write_atomic
from gate.errors import UsageError

_ORG = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")
_ACTION = re.compile(r"^([A-Za-z0-9](?:-?[A-Za-z0-9])*/[A-Za-z0-9._-]+)@([0-9a-f]{40})$")
# Until a launch names the gate commit it trusts, its workflows name none that exists: they fail closed.
UNPINNED_ACTION = "OWNER/gate@" + "0" * 40
BRANCH = "main"
# The GitHub side of a launch repository: what `gate init` writes besides the launch files.
GITHUB_FILES = {
    ".github/workflows/gate.yml": "workflows/gate.yml",
    ".github/workflows/gate-relay.yml": "workflows/gate-relay.yml",
    ".github/workflows/release.yml": "workflows/release.yml",
    ".github/pull_request_template.md": "pull_request_template.md",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    "docs/github-setup.md": "github-setup.md",
    "docs/ruleset.json": "ruleset.json",
    "docs/ruleset-tags.json": "ruleset-tags.json",
}
SIGNOFF = """# yaml-language-server: $schema=../schemas/signoff.schema.json
# The {area} sign-off. Its lead approves by approving the pull request that sets status: approved
# (written by `gate signoff {area} --approve --by LOGIN`, which pins the area digest: its evidence and policy).
area: {area}
status: pending
"""
CODEOWNERS = """# Who must approve what (the gate reads this from the protected branch as it is now).
# Tool, schemas and workflows: the release managers.
*                       @{org}/release-managers
# Each area's sign-off: that area's team.
{signoffs}
# A decision needs every area.
/decisions/             {all_teams}
"""


def template(name: str, network: str, org: str) -> str:
    """The checklist template with this launch's name, network and organisation filled in."""
    text = (files("gate") / "templates" / "checklist.yaml").read_text(encoding="utf-8")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    # As a whole value the name is a quoted scalar; inside the template's quoted texts and comments,
    # the same escaped characters without the quotes: any name round-trips, colons and '#' included.
    text = text.replace("  name: __NAME__\n", f"  name: {json.dumps(name, ensure_ascii=False)}\n")
    text = text.replace("  network: __NETWORK__\n", f"  network: {json.dumps(network, ensure_ascii=False)}\n")
    for token, value in (("__NAME__", name), ("__NETWORK__", network), ("__ORG__", org), ("__TODAY__", today)):
        text = text.replace(token, json.dumps(value, ensure_ascii=False)[1:-1])
    return text


def github_files(gate_action: str) -> dict[str, str]:
    """The workflows, hooks, PR template and setup guide of a launch repository that uses `gate_action`.

    `gate_action` is `OWNER/REPO@COMMIT` of this tool's repository: the workflows run it as a composite
    action (`action.yml`), which installs the judge from its own hash-locked requirements, so nothing
    of the launch repository is ever installed as the judge.
    """
    found = _ACTION.match(gate_action)
    if found is None:
        raise UsageError(f"--gate-action {gate_action!r} is not OWNER/REPO@COMMIT (a full 40-hex commit)")
    values = {
        "__GATE_ACTION__": gate_action,
        "__GATE_REPOSITORY__": found[1],
        "__GATE_COMMIT__": found[2],
        "__BRANCH__": BRANCH,
    }
    out = {}
    for rel, source in GITHUB_FILES.items():
        text = (files("gate") / "templates" / "github" / source).read_text(encoding="utf-8")
        for token, value in values.items():
            text = text.replace(token, value)
        out[rel] = text
    return out


@dataclass(frozen=True)
class Scaffolded:
    """The new launch repository and every file written into it."""

    target: str
    created: list[str]


def init(target: Path, name: str, network: str, org: str, gate_action: str = UNPINNED_ACTION) -> Scaffolded:
    """Scaffold a launch repository in `target` (which must not already hold one)."""
    if not _ORG.match(org):
        raise UsageError(f"--org {org!r} is not a GitHub organisation name")
    for value, flag in ((name, "--name"), (network, "--network")):
        if not value.strip() or any(ch in value for ch in "\n\r\t"):
            raise UsageError(f"{flag} must be one line of text")
    if (target / "checklist.yaml").exists():
        raise UsageError(f"{target} already holds a launch (checklist.yaml exists)")
    text = template(name, network, org)
    areas = re.findall(r"^  - id: ([a-z-]+)\n    name: .+\n    approver_role:", text, flags=re.M)
    teams = dict(re.findall(r'^  - id: ([a-z-]+)\n(?:    .+\n){2}    team: "([^"]+)"', text, flags=re.M))
    written = {
        "checklist.yaml": text,
        "evidence-manifest.json": _manifest(),
        "evidence/.gitkeep": "",
        "decisions/.gitkeep": "",
    }
    written |= {f"signoffs/{a}.yaml": SIGNOFF.format(area=a) for a in areas}
    written[".github/CODEOWNERS"] = CODEOWNERS.format(
        org=org,
        signoffs="\n".join(f"/signoffs/{a}.yaml{' ' * max(1, 24 - len(a) - 16)}{teams[a]}" for a in areas),
        all_teams=" ".join(teams[a] for a in areas),
    )
    written |= {f"{schemas.SCHEMA_DIR}/{n}": text for n, text in schemas.rendered().items()}
    written |= github_files(gate_action)
    existing = [rel for rel in written if (target / rel).exists()]
    if existing:
        raise UsageError(f"{target} already has {', '.join(sorted(existing))}: init writes only new files")
    for rel, body in written.items():
        write_atomic(target / rel, body)
    return Scaffolded(str(target), sorted(written))


def _manifest() -> str:
    return dump_json(
        {"$schema": "schemas/evidence-manifest.schema.json", "version": 1, "artifacts": [], "commands": []}
    )
