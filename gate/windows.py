"""UTC intervals: launch windows, blackouts and the freeze, and what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gate.model.base import parse_time
from gate.model.checklist import Checklist, Span
from gate.placeholders import find_placeholders


@dataclass(frozen=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def touches(self, other: Interval) -> bool:
        """True when the intervals overlap or meet end to start (a window may not even touch a blackout)."""
        return self.start <= other.end and other.start <= self.end

    def covers(self, other: Interval) -> bool:
        """True when `other` lies wholly inside this interval."""
        return self.start <= other.start and other.end <= self.end

    def __str__(self) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return f"{self.start.strftime(fmt)}–{self.end.strftime(fmt)} UTC"


def interval(span: Span, name: str) -> tuple[Interval | None, list[str]]:
    """The span as an interval, or why it cannot be one (a placeholder, or ending before it starts)."""
    holes = find_placeholders(span.start) + find_placeholders(span.end)
    if holes:
        return None, [f"{name} is not set: unfilled placeholder {', '.join(sorted(set(holes)))}"]
    start, end = parse_time(span.start), parse_time(span.end)
    if end <= start:
        return None, [f"{name} ends ({span.end}) before it starts ({span.start})"]
    return Interval(start, end), []


def chosen_window(checklist: Checklist, which: str) -> tuple[Interval | None, list[str]]:
    """The primary or backup launch window as an interval."""
    span = checklist.windows.primary if which == "primary" else checklist.windows.backup
    if span is None:
        return None, [f"the {which} window is not defined"]
    return interval(span, f"{which} window")


def blackout_clashes(checklist: Checklist, window: Interval) -> list[str]:
    """Every blackout the window touches, as reasons."""
    out = []
    for blackout in checklist.windows.blackouts:
        span, _problems = interval(blackout, "blackout")
        if span and span.touches(window):
            out.append(f"touches the blackout {span} ({blackout.reason})")
    return out


def humanize(delta: timedelta) -> str:
    """`3d 4h`, `2h 5m`, `45m`: how far away something is, to the minute."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rem = divmod(minutes, 24 * 60)
    hours, mins = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def upcoming(checklist: Checklist, at: datetime) -> list[str]:
    """What comes next on the calendar: freeze start/end, window openings, as of `at`."""
    events: list[tuple[datetime, str]] = []
    freeze, _ = interval(checklist.freeze, "freeze")
    if freeze:
        events += [(freeze.start, "freeze starts"), (freeze.end, "freeze ends")]
    for which in ("primary", "backup"):
        window, _ = chosen_window(checklist, which)
        if window:
            events += [
                (window.start, f"{which} window opens"),
                (window.end, f"{which} window closes"),
            ]
    ahead = sorted((when, what) for when, what in events if when > at)
    return [f"{what} in {humanize(when - at)} ({when.strftime('%Y-%m-%d %H:%M')} UTC)" for when, what in ahead]
