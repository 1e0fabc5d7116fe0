"""The Prometheus HTTP API as `gate rollback watch` uses it: instant queries and the scrape targets.

**Trust nothing it answers.** Unreachable, non-200, non-JSON, `status != success` or an answer of the
wrong shape raises `PrometheusUnavailable` (exit 2): the gate cannot tell, and says so.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gate.errors import CannotTell, UsageError

MAX_RESPONSE_BYTES = 16 * 1024 * 1024

Labels = dict[str, str]
Sample = tuple[Labels, float]

_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def server_url(text: str) -> str:
    """An http(s) URL of a server, as it is written everywhere after: the scheme in lower case (as the
    record's schema reads it), nothing blank in it."""
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(ch.isspace() for ch in text):
        raise UsageError(f"{text!r} is not an http(s) URL of a Prometheus server")
    return urllib.parse.urlunsplit(parsed)  # urlsplit lower-cases the scheme; the rest stays as given


class PrometheusUnavailable(CannotTell):
    """Prometheus cannot be reached or answers nonsense: the gate cannot tell (exit 2)."""


class Prometheus:
    """Instant queries and scrape targets over Prometheus's HTTP API."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url = server_url(base_url)
        self.api = base_url.rstrip("/") + "/api/v1/"
        self.timeout = timeout

    def query(self, expr: str, when: datetime) -> list[Sample]:
        """The instant vector `expr` evaluates to at `when`."""
        body = self._call("query", {"query": expr, "time": f"{when.timestamp():.3f}"})
        return _vector(_data(body, self.base_url), self.base_url)

    def scrape_intervals(self) -> dict[str, float | None]:
        """Each scrape job (its `job` label) -> its coarsest active target's interval in seconds.

        None: the server does not say (a Prometheus too old to report `scrapeInterval`).
        """
        data = _data(self._call("targets", {"state": "active"}, post=False), self.base_url)
        targets = data.get("activeTargets") if isinstance(data, dict) else None
        if not isinstance(targets, list):
            raise _nonsense(self.base_url, "targets: activeTargets is not a list")
        by_job: dict[str, list[float | None]] = {}
        for target in targets:
            job, interval = _target(target, self.base_url)
            by_job.setdefault(job, []).append(interval)
        return {job: _coarsest(intervals) for job, intervals in by_job.items()}

    def _call(self, endpoint: str, form: Mapping[str, str], *, post: bool = True) -> Any:
        data = urllib.parse.urlencode(form)
        url = self.api + endpoint + ("" if post else f"?{data}")
        request = urllib.request.Request(url, data=data.encode() if post else None, method="POST" if post else "GET")  # noqa: S310 (http(s) checked)
        request.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as err:
            with err:
                detail = _error_detail(err.read(64 * 1024))
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} answered HTTP {err.code}{detail}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise PrometheusUnavailable(f"cannot reach Prometheus at {self.base_url}: {reason}") from None
        if len(raw) > MAX_RESPONSE_BYTES:
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} answered more than 16 MiB")
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise PrometheusUnavailable(f"Prometheus at {self.base_url} did not answer JSON") from None


def duration_seconds(text: str) -> float | None:
    """Prometheus's own duration text (`15s`, `1m30s`, `500ms`) in seconds; None if it is not one."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)


def _coarsest(intervals: list[float | None]) -> float | None:
    known = [i for i in intervals if i is not None]
    return max(known) if len(known) == len(intervals) else None


def _target(target: Any, base_url: str) -> tuple[str, float | None]:
    labels = target.get("labels") if isinstance(target, dict) else None
    if not isinstance(labels, dict) or not isinstance(labels.get("job"), str):
        raise _nonsense(base_url, "a target without a job label")
    interval = target.get("scrapeInterval")
    return labels["job"], duration_seconds(interval) if isinstance(interval, str) else None


def _nonsense(base_url: str, why: str) -> PrometheusUnavailable:
    return PrometheusUnavailable(f"Prometheus at {base_url} answered nonsense: {why}")


def _error_detail(raw: bytes) -> str:
    """Prometheus explains a refused query in `error`; anything else is not worth echoing."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return f": {body['error']}"
    return ""


def _data(body: Any, base_url: str) -> Any:
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else None
        raise _nonsense(base_url, f"status is not success ({error})" if error else "status is not success")
    return body.get("data")


def _vector(data: Any, base_url: str) -> list[Sample]:
    """The samples of an instant-vector answer; anything else is nonsense."""
    if not isinstance(data, dict) or data.get("resultType") != "vector":
        raise _nonsense(base_url, "not an instant vector")
    result = data.get("result")
    if not isinstance(result, list):
        raise _nonsense(base_url, "result is not a list")
    samples = [_sample(item) for item in result]
    if any(s is None for s in samples):
        raise _nonsense(base_url, "a sample is not {metric: {...}, value: [time, number]}")
    return [s for s in samples if s is not None]


def _sample(item: Any) -> Sample | None:
    if not isinstance(item, dict):
        return None
    metric, value = item.get("metric"), item.get("value")
    if not isinstance(metric, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in metric.items()):
        return None
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        return None
    try:
        return dict(metric), float(value[1])
    except ValueError:
        return None
