"""Render the rollback commands' results: the watch verdict and the rule file's summary, as text or JSON."""

from __future__ import annotations

from gate.commands.rollback import RulesResult
from gate.rollback.watch import ConditionState, CriterionState, WatchResult


def watch_text(result: WatchResult) -> str:
    """One line per criterion (state, id, values, thresholds), what is in doubt, then the verdict."""
    lines = [f"{result.at:%Y-%m-%d %H:%M:%S} UTC  {result.prometheus}"]
    for c in result.criteria:
        lines.append(f"  {c.state:<8} {c.id:<24} {_values(c):<12} {'; '.join(k.threshold for k in c.conditions)}")
        lines += [f"           {line}" for k in c.conditions for line in _condition_lines(k)]
        lines += [f"           cannot tell: {r}" for r in c.reasons]
        lines += [f"           counted as zero while missing: {m.series}" for m in c.missing if not m.required]
    lines.append(f"verdict: {result.verdict}")
    if result.recorded:
        lines.append(f"recorded: {result.recorded} (ROLLBACK: `gate check` is NO-GO from now on)")
    if result.status_update:
        lines += ["status update draft:", f"  {result.status_update}"]
    return "\n".join(lines) + "\n"


def _values(c: CriterionState) -> str:
    shown = [f"{s.value:.4g}" if s.value is not None else "NaN" for k in c.conditions for s in k.series]
    return ", ".join(shown) or "-"


def _condition_lines(k: ConditionState) -> list[str]:
    out = list(k.notes)
    if k.recovered_at and k.clears_at:
        fmt = "%Y-%m-%d %H:%M:%S UTC"
        out.append(
            f"{k.signal}: recovered at {k.recovered_at:{fmt}}, clears at {k.clears_at:{fmt}}"
            " (the criterion holds for its window after the last breach)"
        )
    return out


def rules_text(result: RulesResult) -> str:
    """The rule file itself, or (written to a file) where it went and what each criterion needs."""
    if result.out is None:
        return result.rules
    lines = [f"wrote {result.out}"]
    lines += [f"  {c.id}: scrape {c.scrape_interval}" for c in result.criteria]
    return "\n".join(lines) + "\n"
