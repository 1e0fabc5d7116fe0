"""`gate status`: what to do next, at a glance — the verdict and the countdown first, then every blocker
grouped by who must act, each with the command that fixes it and who may approve it.

`gate check`'s text report is the same view with the sign-offs and the recorded decision after it.
Built from the scorecard alone (what `gate check --format json` holds), so a CI job or a chat bot can
derive the same view; `StatusReport` is that view as data (`gate status --format json`).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass, field

from gate.comms import DRAFTS_ID, STATUS_ITEM
from gate.errors import caret
from gate.model.scorecard import ItemResult, Scorecard, SignoffResult

_ITEM_LINE = re.compile(r"^P[012] (?P<id>\S+) \(")
FIX = "→"
BLOCK = "✗"


@dataclass
class Blocker:
    """One reason the launch is not GO, and the commands that fix it."""

    text: str
    fixes: list[str] = field(default_factory=list)


@dataclass
class Group:
    """Everything one role (or the release manager, for the launch as a whole) must act on."""

    title: str
    blockers: list[Blocker] = field(default_factory=list)


@dataclass(frozen=True)
class StatusReport:
    """`gate status`: the scorecard, its blockers grouped by who must act, and whether every item is
    listed (`--all`)."""

    card: Scorecard
    groups: list[Group]
    every_item: bool = False


def status_report(card: Scorecard, every_item: bool = False) -> StatusReport:
    """The status view of a scorecard."""
    return StatusReport(card, blockers(card), every_item)


def top(card: Scorecard) -> list[str]:
    """The verdict line and what comes next on the calendar."""
    when = card.evaluated_at.strftime("%Y-%m-%d %H:%M UTC")
    head = f"{card.decision} — {card.launch} · {card.network} · release {card.release_tag} · as of {when}"
    out = [head]
    if card.upcoming:
        out.append("Next: " + " · ".join(card.upcoming[:3]))
    return out


def status(report: StatusReport, width: int | None = None) -> str:
    """The whole status view as text (lines cut to `width` when given)."""
    card, every_item = report.card, report.every_item
    if card.errors:
        lines = [f"{e.file}:{e.line}:{e.column}: {e.message}{caret(e.source, e.column)}" for e in card.errors]
        return "\n".join([*lines, f"NO-GO: {len(card.errors)} input error(s), nothing evaluated"]) + "\n"
    out = [*top(card), ""]
    groups = report.groups
    if groups:
        out.append(f"{sum(len(g.blockers) for g in groups)} blocking, by who must act:")
        for group in groups:
            out += ["", f"  {group.title}"]
            for blocker in group.blockers:
                out.append(f"    {BLOCK} {blocker.text}")
                out += [line for fix in blocker.fixes for line in fix_lines(f"      {FIX} ", fix, width)]
        out.append("")
    warned = [i for i in card.items if i.state == "WARN"]
    if warned:
        out.append("Warnings (tracked, not blocking):")
        out += [f"  {i.priority} {i.id} {i.title}: {_why(i)}" for i in warned]
        out.append("")
    if every_item:
        out.append("Items:")
        out += [f"  {i.state:<4} {i.priority} {i.id:<28} {i.title}" for i in card.items]
        out.append("")
    t = card.totals
    hint = "" if every_item else " — `gate status --all` lists every item"
    out.append(
        f"Items: {t.PASS} PASS · {t.WARN} WARN · {t.FAIL} FAIL · {t.NA} N/A"
        f" (P1 warnings {t.p1_warnings}/{t.p1_warning_limit}){hint}"
    )
    return "\n".join(_fit(line, width) for line in out) + "\n"


def quiet(card: Scorecard) -> str:
    """`--quiet` on a NO-GO: only what fails — the verdict line, how many blockers and each one (no
    countdown, fixes or warnings)."""
    found = [b for group in blockers(card) for b in group.blockers]
    return "\n".join([top(card)[0], f"{len(found)} blocking:", *(f"  {BLOCK} {b.text}" for b in found)]) + "\n"


def _why(item: ItemResult) -> str:
    """Why an item warns: what does not pass, and its mitigation (a P2's own note left out)."""
    reasons = [r for r in item.reasons if r != "P2: tracked, does not block"]
    return "; ".join(reasons) or "tracked"


def terminal_width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def fix_lines(prefix: str, fix: str, width: int | None) -> list[str]:
    """A fix as lines that fit `width` with its command never cut (a cut command fixes nothing): words
    of a sentence before the command wrap; the command goes on over lines ending in ` \\`, as a shell
    reads it; what it is for (the text in parentheses after it) goes last, shortened if it must be."""
    if width is None or len(prefix) + len(fix) <= width:
        return [prefix + fix]
    indent = " " * len(prefix)
    body, sep, note = fix.partition("   (")
    sentence, colon, command = body.rpartition(": gate ")
    lines = textwrap.wrap(sentence + ":", width, initial_indent=prefix, subsequent_indent=indent) if colon else []
    line, fresh = (indent if lines else prefix), True
    for word in _option_words("gate " + command if colon else body):
        if not fresh and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = f"{indent}  {word}"
        else:
            line = line + word if fresh else f"{line} {word}"
        fresh = False
    lines.append(line)
    if sep:
        lines.append(_fit(f"{indent}  ({note}", width))
    return lines


def _option_words(command: str) -> list[str]:
    """The command's words, each `--option` kept with its value so a line never ends between them."""
    out: list[str] = []
    for word in command.split(" "):
        if out and out[-1].startswith("--") and " " not in out[-1] and not word.startswith("-"):
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def _fit(line: str, width: int | None) -> str:
    return line if width is None or len(line) <= width else line[: max(10, width - 1)] + "…"


def blockers(card: Scorecard) -> list[Group]:
    """Every blocker, grouped by the role that must act, the launch's own last."""
    groups: dict[str, Group] = {}

    def add(key: str, title: str, blocker: Blocker) -> None:
        groups.setdefault(key, Group(title)).blockers.append(blocker)

    launch = ("release-manager", "release-manager · the launch")
    for item in card.items:
        if item.state == "FAIL":
            add(item.owner, f"{item.owner} · {item.area}", _item_blocker(item))
    if card.totals.p1_warnings > card.totals.p1_warning_limit:
        text = f"{card.totals.p1_warnings} P1 warnings, at most {card.totals.p1_warning_limit} allowed"
        add(*launch, Blocker(text, ["make one of them pass (or N/A, accepted in review)"]))
    for signoff in card.signoffs:
        if not signoff.stands:
            who = signoff.approver_role
            add(who, f"{who} · {signoff.name} ({_approvers(signoff)})", _signoff_blocker(signoff))
    for failure in card.integrity:
        if failure.artifact:
            fix = f"restore the file as approved, or register it again: gate evidence add {failure.path} --item …"
        else:
            fix = "record a new decision on the launch as it stands: gate decide …"
        add(*launch, Blocker(f"{failure.path}: {failure.message}", [fix]))
    for reason in launch_reasons(card):
        add(*launch, Blocker(reason, [_launch_fix(reason)]))
    return sorted(groups.values(), key=lambda g: (g.title.startswith("release-manager"), g.title))


def _item_blocker(item: ItemResult) -> Blocker:
    fixes = []
    for need in item.missing:
        if need.id == DRAFTS_ID:
            # Drafts are rendered from the checklist's own templates, not written by hand.
            where = "" if item.id == STATUS_ITEM else f" --item {item.id}"
            fixes.append(f"gate comms draft TEMPLATE… [--var NAME=VALUE …] --record{where}   ({need.description})")
        elif need.kind == "command":
            fixes.append(
                f"gate evidence capture --item {item.id} --id {need.id} -- COMMAND ARGS…   ({need.description})"
            )
        else:
            fixes.append(f"gate evidence add FILE --item {item.id} --id {need.id}   ({need.description})")
    text = " ".join(item.reasons)
    if "no mitigation recorded" in text or "mitigation has no owner" in text or "mitigation expired" in text:
        fixes.append(f'gate mitigate {item.id} --owner ROLE --description "…" [--due TIME]')
    if "marked N/A, but" in text:
        fixes.append(f'gate na {item.id} --justification "…" --accepted-by LOGIN')
    if "unfilled placeholder" in text:
        fixes.append("gate schedule … / gate set KEY VALUE   (gate set --unfilled lists them)")
    if "exited" in text:
        fixes.append(f"fix what the command checks, then capture it again: gate evidence capture --item {item.id} …")
    return Blocker(f"{item.priority} {item.id} {item.title}: {'; '.join(item.reasons)}", fixes)


def _signoff_blocker(signoff: SignoffResult) -> Blocker:
    text = f"{signoff.name} sign-off: {'; '.join(signoff.reasons)}"
    if signoff.status != "approved" or not signoff.fresh:
        return Blocker(text, [f"gate signoff {signoff.area} --approve --by LOGIN   (then the lead approves the PR)"])
    return Blocker(text, [f"resolve the open finding (status: resolved in signoffs/{signoff.area}.yaml), in review"])


def _approvers(signoff: SignoffResult) -> str:
    if signoff.roster:
        return f"{signoff.team}: {', '.join(signoff.roster)}"
    return signoff.team


def launch_reasons(card: Scorecard) -> list[str]:
    """Blocking reasons that belong to no item and no sign-off: the decision, the launch's own values."""
    names = {s.name for s in card.signoffs}
    out = []
    for reason in card.blocking:
        if _ITEM_LINE.match(reason) or reason.startswith("integrity: ") or " P1 warnings, at most " in reason:
            continue
        if any(reason.startswith(f"{name} sign-off: ") for name in names):
            continue
        if any(reason.startswith(f"{f.path} does not hold") for f in card.integrity):
            continue
        out.append(reason)
    return out


def _launch_fix(reason: str) -> str:
    if "unfilled placeholder" in reason:
        return "gate set KEY VALUE   (gate set --unfilled lists what is left)"
    if reason.startswith("no go/no-go decision recorded"):
        return "once nothing else blocks: gate decide --decision GO --window primary --attendee ROLE=LOGIN …"
    if "window closed" in reason:
        return "record a new decision naming a window still ahead: gate decide --decision GO --window backup …"
    if "is NO-GO" in reason:
        return "fix what blocks, then the meeting decides again: gate decide --decision GO …"
    if "quorum" in reason:
        return "record the meeting again with every required role, one person each: gate decide …"
    return "see the decision rules in README.md"
