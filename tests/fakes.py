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


SIM_TOKEN = "sim-token"


def connect_simulator(tmp_path, clock, rt: Runtime, queue: InlineQueue) -> FlaskSession:
    """The real simulator in-process (seeded), with the connector of both runtimes (web and worker) pointed at it."""
    import random

    from backend.settings import Settings, SimulatorSettings
    from backend.simulator.app import create_simulator
    from backend.sync.connector import HttpConnector

    sim_settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=SIM_TOKEN,
                            simulator=SimulatorSettings(seed=1))
    session = FlaskSession(create_simulator(sim_settings, clock, random.Random(1)))
    connector = HttpConnector("http://simulator", 5, session, token=SIM_TOKEN)
    rt.connector = connector
    queue.runtime.connector = connector
    return session


class FlaskSession:
    """A `requests.Session` look-alike that sends the connector's HTTP calls to an in-process
    Flask app (the real simulator), so connector and simulator are tested together without sockets.
    `fail` makes the far side misbehave: "down", "timeout" or "garbage"."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.fail: str | None = None
        self.calls: list[str] = []

    def request(self, method: str, url: str, timeout: float | None = None, json=None, params=None, headers=None):
        import requests

        path = "/" + url.split("/", 3)[3]
        self.calls.append(f"{method} {path.split('?')[0]}")
        if self.fail == "down":
            raise requests.ConnectionError("refused")
        if self.fail == "timeout":
            raise requests.Timeout("slow")
        res = self.client.open(path, method=method, json=json, query_string=params, headers=headers)
        return _Response(res.status_code, b"<html>oops" if self.fail == "garbage" else res.data)


@dataclass
class _Response:
    status_code: int
    content: bytes

    def json(self):
        import json

        return json.loads(self.content)


@dataclass
class FakeReader:
    """A reader for tests that are not about reading: no ONNX, the image stages announced as the
    real reader announces them, and the fields it is given (none by default: nothing found, as the
    real reader finds on the tests' synthetic pictures). Records what it was asked to read."""

    fields: dict[str, str] = field(default_factory=dict)
    family: str = "unknown"
    calls: list[tuple[str, bool]] = field(default_factory=list)  # (kind, was the document passed in)

    def __call__(self, data, kind, limits, today, on_stage=None, document=None):
        from backend.pipeline.extract import Extraction
        from backend.pipeline.fields import FIELD_NAMES
        from backend.pipeline.types import FieldValue
        from backend.validate import validate
        from backend.validate.codes import Family

        self.calls.append((kind, document is not None))
        for stage in ("decoding", "qr", "detecting", "recognising", "extracting", "validating"):
            if on_stage:
                on_stage(stage)
        values = {name: FieldValue(self.fields.get(name), 0.99 if name in self.fields else 0.0, None,
                                   "ocr" if name in self.fields else None) for name in FIELD_NAMES}
        family = Family(self.family)
        findings = tuple(validate({k: v.value for k, v in values.items()}, family, today))
        return Extraction(family, values, None, findings)
