"""`gate init`: a new launch repository from a checklist template, honestly NO-GO.

Two templates, package data under gate/templates/ (read with importlib.resources, so `gate init` works
from any folder and from an installed wheel):

- `generic` (the default): a product or service launch — the five sign-off areas, prerequisites and
  items A–J that any launch has, a request error rate and billing integrity as rollback criteria.
- `cosmos-mainnet`: the mainnet launch of a Cosmos SDK / CometBFT chain, exactly this repository's own
  checklist (a test keeps every id of the two the same), chain metrics and all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Literal, get_args

from gate.commands import schema as schemas
from gate.edit import dump_json, write_atomic
from gate.errors import UsageError

_ORG = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")
_ACTION = re.compile(r"^([A-Za-z0-9](?:-?[A-Za-z0-9])*/[A-Za-z0-9._-]+)@([0-9a-f]{40})$")
# Until a launch names the gate commit it trusts, its workflows name none that exists: they fail closed.
UNPINNED_ACTION = "OWNER/gate@" + "0" * 40
BRANCH = "main"
Template = Literal["generic", "cosmos-mainnet"]
TEMPLATES: tuple[Template, ...] = get_args(Template)
DEFAULT_TEMPLATE: Template = "generic"
# The tags the release App alone may create (docs/ruleset-tags.json): a chain's mainnet tags, or in a
# product's launch repository every tag, since each one it holds is a release.
RELEASE_TAGS: dict[Template, tuple[str, str]] = {
    "generic": ("release", "refs/tags/*"),
    "cosmos-mainnet": ("mainnet", "refs/tags/mainnet-*"),
}
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


def template(name: str, network: str, org: str, kind: Template = DEFAULT_TEMPLATE) -> str:
    """The checklist template `kind` with this launch's name, network and organisation filled in."""
    if kind not in TEMPLATES:
        raise UsageError(f"--template {kind!r} is not one of {', '.join(TEMPLATES)}")
    text = (files("gate") / "templates" / f"{kind}.yaml").read_text(encoding="utf-8")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    # As a whole value the name is a quoted scalar; inside the template's quoted texts and comments,
    # the same escaped characters without the quotes: any name round-trips, colons and '#' included.
    text = text.replace("  name: __NAME__\n", f"  name: {json.dumps(name, ensure_ascii=False)}\n")
    text = text.replace("  network: __NETWORK__\n", f"  network: {json.dumps(network, ensure_ascii=False)}\n")
    for token, value in (("__NAME__", name), ("__NETWORK__", network), ("__ORG__", org), ("__TODAY__", today)):
        text = text.replace(token, json.dumps(value, ensure_ascii=False)[1:-1])
    return text


def github_files(gate_action: str, kind: Template = DEFAULT_TEMPLATE) -> dict[str, str]:
    """The workflows, hooks, PR template and setup guide of a launch repository that uses `gate_action`
    (its release tags as template `kind` names them).

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
        "__TAG_NAME__": RELEASE_TAGS[kind][0],
        "__TAG_PATTERN__": RELEASE_TAGS[kind][1],
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
    template: str
    created: list[str]


def init(
    target: Path,
    name: str,
    network: str,
    org: str,
    gate_action: str = UNPINNED_ACTION,
    kind: Template = DEFAULT_TEMPLATE,
) -> Scaffolded:
    """Scaffold a launch repository in `target` (which must not already hold one) from template `kind`."""
    if not _ORG.match(org):
        raise UsageError(f"--org {org!r} is not a GitHub organisation name")
    for value, flag in ((name, "--name"), (network, "--network")):
        if not value.strip() or any(ch in value for ch in "\n\r\t"):
            raise UsageError(f"{flag} must be one line of text")
    if (target / "checklist.yaml").exists():
        raise UsageError(f"{target} already holds a launch (checklist.yaml exists)")
    text = template(name, network, org, kind)
    teams = _area_teams(text)
    areas = list(teams)
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
    written |= github_files(gate_action, kind)
    existing = [rel for rel in written if (target / rel).exists()]
    if existing:
        raise UsageError(f"{target} already has {', '.join(sorted(existing))}: init writes only new files")
    for rel, body in written.items():
        write_atomic(target / rel, body)
    return Scaffolded(str(target), kind, sorted(written))


def _area_teams(text: str) -> dict[str, str]:
    """Each sign-off area of a filled-in template and its team, in the template's order."""
    import yaml  # PyYAML: the template is ours and plain; the round-trip reader is not needed to read it

    data = yaml.safe_load(text)
    return {str(area["id"]): str(area["team"]) for area in data["areas"]}


def _manifest() -> str:
    return dump_json(
        {"$schema": "schemas/evidence-manifest.schema.json", "version": 1, "artifacts": [], "commands": []}
    )
