"""A correction that gives an invoice the key the authority needs enrols it and queues its check at once;
a number the platform cannot take is named as such, not as a missing one (the real simulator behind
the real HTTP connector)."""

from __future__ import annotations

import random

import pytest

from backend.models import Invoice, SyncCheck
from backend.services import sync
from backend.settings import Settings, SimulatorSettings
from backend.simulator.app import create_simulator
from backend.sync.connector import HttpConnector

from . import factories
from .fakes import FlaskSession


@pytest.fixture
def settings(settings):
    return settings.with_(connector="simulator", demo=False)


@pytest.fixture
def ticket(rt, queue, clock, tmp_path, team, alice):
    """A train ticket read without its number, with the authority connector on."""
    sim = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token="t", simulator=SimulatorSettings(seed=1))
    connector = HttpConnector("http://simulator", 5, FlaskSession(create_simulator(sim, clock, random.Random(1))),
                              token="t")
    rt.connector = queue.runtime.connector = connector
    inv = factories.invoice(team, alice, status="extracted", family="train", invoice_code=None, total="15.50",
                            buyer_tax_id=None, seller_tax_id=None, amount=None, tax=None)
    inv.fields = {k: v for k, v in inv.fields.items() if k != "invoice_number"}
    inv.save()
    sync.enroll(rt, inv, fresh=True)
    return Invoice.get_by_id(inv.id)


def _diagnosis(inv_id):
    return [c["key"] for c in Invoice.get_by_id(inv_id).diagnosis]


def test_typing_the_missing_number_enrols_and_checks_at_once(client, queue, ticket):
    assert ticket.status == "extracted" and _diagnosis(ticket.id)[0] == "missing_key"
    assert client.post(f"/api/invoices/{ticket.id}/check").json["error"]["key"] == "sync.no_key"
    res = client.post(f"/api/invoices/{ticket.id}/fields", json={"field": "invoice_number",
                                                                  "value": "26117000000012345678"})
    assert res.status_code == 200 and res.json["invoice"]["status"] == "pending_sync"
    assert "missing_key" not in _diagnosis(ticket.id)
    assert queue.dispatched, "the check is queued by the correction, not left for the scheduler's next tick"
    queue.run_all()
    assert SyncCheck.select().where(SyncCheck.invoice == ticket.id).count() == 1
    assert sync.due(queue.runtime) == []  # the scheduler does not queue the same check again


def test_a_number_the_platform_cannot_take_is_named_not_called_missing(client, queue, ticket):
    res = client.post(f"/api/invoices/{ticket.id}/fields", json={"field": "invoice_number", "value": "E066712"})
    assert res.status_code == 200
    keys = _diagnosis(ticket.id)
    assert keys[0] == "number_unusable" and "missing_key" not in keys
    err = client.post(f"/api/invoices/{ticket.id}/check").json["error"]
    assert err["key"] == "sync.number_unusable" and err["params"]["number"] == "E066712"
    assert not queue.dispatched
