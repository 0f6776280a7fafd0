"""Small helpers the test modules share (no test module imports another)."""

from __future__ import annotations

import io

import cv2

PASSWORD = "correct horse battery"
# Where a processed invoice ends: read, or read with doubts (synthetic test images hold no invoice).
DONE = {"extracted", "needs_review"}


def upload(client, *files, **form):
    data = {"files": [(io.BytesIO(body), name) for name, body in files], **form}
    return client.post("/api/uploads", data=data, content_type="multipart/form-data")


def login(client, username: str = "alice") -> dict:
    res = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.json
    return res.json["user"]


def client_for(app, username: str | None = None):
    """A test client of its own (the CSRF header set), signed in as `username` when given."""
    c = app.test_client()
    c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    if username:
        login(c, username)
    return c


def read_generated(client, queue, **spec) -> int:
    """Upload one of the project's generated invoices and let the worker read it for real; its id."""
    from backend.weights import synth

    img = synth.render(synth.Spec(**spec))
    res = upload(client, ("invoice.jpg", cv2.imencode(".jpg", img)[1].tobytes()))
    queue.run_all()
    return res.json["results"][0]["invoice"]["id"]
