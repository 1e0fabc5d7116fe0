"""Status-page drafts: a template of checklist.yaml (communications) rendered with this launch's values.

A draft never goes out half-filled: a variable the template declares but nobody gave (and the launch
cannot supply), a variable it does not declare, or a value that is itself a placeholder is refused,
each named, all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gate.decision import in_force
from gate.errors import UsageError
from gate.load import Loaded
from gate.model.checklist import Checklist, StatusTemplate
from gate.placeholders import find_placeholders
from gate.windows import chosen_window

STATUS_ITEM = "F-status-page"
DRAFTS_ID = "status-page-drafts"  # the requirement `--record` meets unless --id names another

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Draft:
    """One rendered template, and where each value came from (`given`, or the launch's own)."""

    template: StatusTemplate
    text: str
    values: dict[str, tuple[str, str]]  # variable -> (value, source)


def parse_vars(pairs: Sequence[str]) -> dict[str, str]:
    """`["TIME=30 minutes"]` -> {"TIME": "30 minutes"}; refuses what is not NAME=VALUE, naming it."""
    out: dict[str, str] = {}
    problems = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _NAME.match(name):
            problems.append(f"--var {pair!r}: expected NAME=VALUE with NAME like TIME or DATE")
        elif name in out:
            problems.append(f"--var {name} is given twice")
        else:
            out[name] = value
    if problems:
        raise UsageError("; ".join(problems))
    return out


def find_template(checklist: Checklist, template_id: str) -> StatusTemplate:
    """The status-page template with this id; refuses an unknown one, listing the known ids."""
    templates = checklist.communications.status_page_templates
    for template in templates:
        if template.id == template_id:
            return template
    known = ", ".join(t.id for t in templates) or "none"
    raise UsageError(f"no status-page template {template_id!r} in checklist.yaml (known: {known})")


def window_in_force(loaded: Loaded, at: datetime) -> str:
    """The window the GO decision in force chose; the primary window while no GO is in force."""
    current = in_force(loaded, at)
    if current is not None and current[1].decision == "GO" and current[1].window is not None:
        return current[1].window
    return "primary"


def launch_values(checklist: Checklist, window: str) -> dict[str, str]:
    """What the launch itself can fill in: DATE and WINDOW from the chosen window, once it is set."""
    out = {"LAUNCH": checklist.launch.name, "NETWORK": checklist.launch.network}
    if not find_placeholders(checklist.launch.release_tag):
        out["RELEASE_TAG"] = checklist.launch.release_tag
    span, _ = chosen_window(checklist, window)
    if span is not None:
        out["DATE"] = f"{span.start:%Y-%m-%d %H:%M} UTC"
        out["WINDOW"] = str(span)
    return out


def render(template: StatusTemplate, given: Mapping[str, str], launch: Mapping[str, str]) -> Draft:
    """The template with every declared variable filled: given values first, then the launch's."""
    declared = list(template.variables)
    problems = [
        f"template {template.id} has no variable {name} (it takes: {', '.join(declared) or 'none'})"
        for name in given
        if name not in declared
    ]
    values: dict[str, tuple[str, str]] = {}
    for name in declared:
        if name in given:
            values[name] = (given[name], "given")
        elif name in launch:
            values[name] = (launch[name], "launch")
        else:
            problems.append(f"template {template.id} needs {name}: give it with --var {name}=VALUE")
    problems += [
        f"{name}={value!r} is still a placeholder" for name, (value, _) in values.items() if find_placeholders(value)
    ]
    if problems:
        raise UsageError("; ".join(problems))
    text = template.text
    for name, (value, _) in values.items():
        text = text.replace(f"<{name}>", value)
    return Draft(template, text, values)
