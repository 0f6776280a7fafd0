"""The web server entry point: the only module that touches eventlet.

eventlet is deprecated upstream, so it stays here: everything else uses Flask-SocketIO's own
helpers (start_background_task, sleep), and FAPIAO_ASYNC_MODE=threading (or gevent) swaps it
without touching other code.
"""

from __future__ import annotations

import logging
import resource
import warnings

from .settings import Settings

log = logging.getLogger(__name__)

BEACON_SECONDS = 5.0  # how stale a connected browser can be after a lost push (realtime/beacon.py)


def serve(settings: Settings) -> None:
    if settings.async_mode == "eventlet":
        with warnings.catch_warnings():
            # Known and accepted (see the module docstring); keep the log readable.
            warnings.simplefilter("ignore")
            import eventlet

        # Before Flask, peewee or socket-using modules are imported by create_app.
        eventlet.monkey_patch()

    from .app import create_app
    from .extensions import socketio
    from .realtime.beacon import Beacon
    from .realtime.notifier import SocketNotifier
    from .realtime.relay import EventRelay
    from .services.events import latest_cursor

    app = create_app(settings)
    with app.app_context():
        from .db import database

        with database.connection_context():
            start = latest_cursor()
    if settings.embedded:
        relay = EventRelay(SocketNotifier(socketio), start_after=start)
        socketio.start_background_task(relay.run_forever, socketio.sleep, settings.relay_interval_seconds)
    else:  # pushes come through Redis; the beacon catches what a Redis restart dropped
        beacon = Beacon(socketio, start_after=start)
        socketio.start_background_task(beacon.run_forever, socketio.sleep, BEACON_SECONDS)
    log.info("web server listening on http://%s:%s/", settings.host, settings.port)
    extra = {}
    if settings.async_mode == "eventlet":
        _allow_open_files(settings.web_max_connections + 256)  # the sockets, and the files and the database
        extra["max_size"] = settings.web_max_connections
    socketio.run(app, host=settings.host, port=settings.port, log_output=False,
                 allow_unsafe_werkzeug=settings.async_mode == "threading", **extra)


def _allow_open_files(wanted: int) -> None:
    """Raise this process's open-file limit towards `wanted` (up to the hard limit it may reach): a socket is a
    file, and the usual soft limit of 1024 would refuse connections long before max_size is reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        log.info("open files: raised the limit from %d to %d", soft, target)
