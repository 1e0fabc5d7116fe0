"""Separation of duties: the judging machinery and the verdicts it judges never change in one pull request.

The machinery is what decides who may approve and how a launch is scored: workflows and everything
else under `.github/`, the `gate/` package, the lock file and `pyproject.toml` that install it, the
composite `action.yml`, CODEOWNERS wherever GitHub reads it, and in `checklist.yaml` the parts that
are policy (teams, roles, roster, priorities, required evidence, scoring, the decision process, the
freeze's exceptions). The verdicts are `signoffs/**` and `decisions/**`. A PR changing both could
loosen a rule and use the loosened rule at once; split, each half is reviewed under the rules of
the protected branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from gate.model import Checklist

# Everything that decides what the privileged jobs install and run: their workflows, the judge's code,
# and every file `pip install .` reads or runs while building it (a root setup.py runs as code, in the
# release job, before its token is minted).
MACHINERY = (
    ".github/**",
    "gate/**",
    "gate*/**",
    "requirements*.lock",
    "requirements/**",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "MANIFEST.in",
    "action.yml",
    "action.yaml",
    "CODEOWNERS",
    "docs/CODEOWNERS",
)
VERDICTS = ("signoffs/**", "decisions/**")
CHECKLIST = "checklist.yaml"


def _matches(path: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in patterns)


def machinery_paths(files: Iterable[str]) -> list[str]:
    """The changed paths that are judging machinery by their path alone (checklist.yaml included)."""
    return [f for f in files if _matches(f, MACHINERY) or f == CHECKLIST]


def policy(checklist: Checklist) -> dict[str, object]:
    """The parts of the checklist that decide who approves and what blocks (compared, never shown)."""
    return {
        "roles": {k: v.model_dump(mode="json") for k, v in checklist.roles.items()},
        "roster": checklist.roster,
        "areas": [(a.id, a.team, a.approver_role) for a in checklist.areas],
        "items": [
            (i.id, i.priority, i.area, [e.model_dump(mode="json") for e in i.evidence])
            for i in [*checklist.prerequisites, *checklist.items]
        ],
        "scoring": checklist.scoring.model_dump(mode="json"),
        "decision_process": checklist.decision_process.model_dump(mode="json"),
        "freeze_exceptions": [c.model_dump(mode="json") for c in checklist.freeze.allowed_changes],
        "always_allowed": checklist.freeze.paths_always_allowed,
    }


def checklist_policy_changed(before: Checklist, after: Checklist | None) -> bool:
    """Whether the PR's checklist changes policy; an unreadable one (None) counts as changed."""
    return after is None or policy(before) != policy(after)


def separation_problems(files: Iterable[str], checklist_policy_changes: bool) -> list[str]:
    """Why this PR may not change machinery and verdicts together (empty when it does not)."""
    paths = list(dict.fromkeys(files))
    machinery = [f for f in machinery_paths(paths) if f != CHECKLIST or checklist_policy_changes]
    verdicts = [f for f in paths if _matches(f, VERDICTS)]
    if not machinery or not verdicts:
        return []
    shown = ", ".join(machinery[:3]) + (" …" if len(machinery) > 3 else "")
    judged = ", ".join(verdicts[:3]) + (" …" if len(verdicts) > 3 else "")
    return [
        f"separation of duties: this changes the judging machinery ({shown}) and the verdicts it judges"
        f" ({judged}) at once; split it into two pull requests"
    ]
