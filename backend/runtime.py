"""What a process (web or worker) holds while it runs: settings, clock, store, queue, notifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from .clock import Clock, SystemClock
from .settings import Settings
from .storage import FileStore

if TYPE_CHECKING:
    from .pipeline.engines import Engines
    from .pipeline.extract import Reader
    from .realtime.notifier import Notifier
    from .sync.connector import Connector

# dispatch(job_id, delay_seconds) hands a job id to the task queue.
Dispatch = Callable[[int, float], None]


@dataclass
class Runtime:
    settings: Settings
    dispatch: Dispatch
    notifier: Notifier
    clock: Clock = field(default_factory=SystemClock)
    engines: Engines | None = None  # ONNX sessions; only worker processes build them
    reader: Reader | None = None  # reads one file; None: the real reader on `engines` (tests put a fake)

    @cached_property
    def store(self) -> FileStore:
        return FileStore(self.settings.files_dir)

    @cached_property
    def connector(self) -> Connector | None:
        """The tax-authority connector the settings name (None when sync is off); tests assign a fake."""
        from .sync.connector import make_connector

        s = self.settings
        return make_connector(s.connector, s.authority_url, s.connector_timeout_seconds, s.simulator_token)
