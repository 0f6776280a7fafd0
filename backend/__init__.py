"""Fapiao Tracker.

`create_app` is loaded lazily so that `fapiao serve` can monkey-patch eventlet before Flask or
any socket-using module is imported (importing this package must stay cheap and side-effect free).
"""


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
