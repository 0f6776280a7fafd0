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
