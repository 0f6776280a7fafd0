"""Fakes for the edges: an in-process queue that runs jobs on demand through the real runner."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.jobs.runner import run_job
from backend.runtime import Runtime


@dataclass
class InlineQueue:
    """Records what was dispatched; `run_all()` runs it with the real job runner (as a worker would)."""

    runtime: Runtime | None = None
    dispatched: list[tuple[int, float]] = field(default_factory=list)

    def dispatch(self, job_id: int, delay: float = 0) -> None:
        self.dispatched.append((job_id, delay))

    def run_all(self, max_rounds: int = 20, clock=None) -> int:
        """Run everything queued, including retries queued while running; returns jobs run."""
        ran = 0
        for _ in range(max_rounds):
            if not self.dispatched:
                break
            batch, self.dispatched = self.dispatched, []
            for job_id, delay in batch:
                if clock is not None and delay:
                    clock.advance(seconds=delay + 0.001)
                run_job(self.runtime, job_id)
                ran += 1
        return ran


class FlaskSession:
    """A `requests.Session` look-alike that sends the connector's HTTP calls to an in-process
    Flask app (the real simulator), so connector and simulator are tested together without sockets.
    `fail` makes the far side misbehave: "down", "timeout" or "garbage"."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.fail: str | None = None
        self.calls: list[str] = []

    def request(self, method: str, url: str, timeout: float | None = None, json=None, params=None):
        import requests

        path = "/" + url.split("/", 3)[3]
        self.calls.append(f"{method} {path.split('?')[0]}")
        if self.fail == "down":
            raise requests.ConnectionError("refused")
        if self.fail == "timeout":
            raise requests.Timeout("slow")
        res = self.client.open(path, method=method, json=json, query_string=params)
        return _Response(res.status_code, b"<html>oops" if self.fail == "garbage" else res.data)


@dataclass
class _Response:
    status_code: int
    content: bytes

    def json(self):
        import json

        return json.loads(self.content)
