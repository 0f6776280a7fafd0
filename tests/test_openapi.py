"""The API description (GET /api/openapi.json) is made from the routes: every rule is in it with its permission
and docstring, it is a valid OpenAPI document, and the docs page shows it without inline code or a CDN."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from backend.api import openapi
from backend.services import search


def _doc(client) -> dict:
    res = client.get("/api/openapi.json")
    assert res.status_code == 200
    return res.json


def test_every_route_declares_a_permission_and_every_api_route_a_description(app):
    assert openapi.gaps(app) == []


def test_a_route_without_a_declaration_is_a_gap(app):
    def bare():
        return {}

    before = openapi.gaps(app)
    app.add_url_rule("/api/bare", view_func=bare)
    assert set(openapi.gaps(app)) - set(before) == {
        "/api/bare (bare): no permission declared (guard.requires / guard.public)", "/api/bare (bare): no docstring"}


def test_the_document_is_valid_openapi_and_needs_no_session(client):
    doc = _doc(client)  # the client has not signed in
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_api_rule_and_method_is_an_operation(app, client):
    doc = _doc(client)
    expected = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", r.rule), m.lower()) for r in openapi.api_rules(app)
                for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert listed == expected
    assert len(expected) > 50


def test_an_operation_says_its_permission_parameters_and_security(client):
    doc = _doc(client)
    detail = doc["paths"]["/api/invoices/{invoice_id}"]["get"]
    assert detail["x-permission"] == "read"
    assert detail["summary"].startswith("One invoice")
    assert detail["parameters"] == [{"name": "invoice_id", "in": "path", "required": True,
                                     "schema": {"type": "integer", "minimum": 0, "maximum": 2**62}}]
    assert detail["security"] == [{"session": []}]
    assert detail["responses"]["4XX"] == {"$ref": "#/components/responses/Error"}

    booking = doc["paths"]["/api/invoices/{invoice_id}/booking"]["post"]
    assert booking["x-permission"] == "finance"
    assert booking["security"] == [{"session": [], "csrf": []}]
    body = booking["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"booked", "period", "voucher"}

    login = doc["paths"]["/api/auth/login"]["post"]
    assert login["x-permission"] == "public"
    assert login["security"] == [{"csrf": []}]  # no session, but the CSRF header like every write
    assert doc["paths"]["/api/openapi.json"]["get"]["security"] == []
    assert doc["components"]["securitySchemes"]["csrf"] == {
        "type": "apiKey", "in": "header", "name": "X-Requested-With",
        "description": "required on every call that is not a GET (a cross-site form cannot set it)"}


def test_the_board_filter_is_described_from_the_parser(client):
    doc = _doc(client)
    for path in ("/api/invoices", "/api/export"):
        params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
        assert {"q", "sort", *search.LISTS, *search.READERS} <= set(params)
        assert params["status"]["schema"]["items"]["enum"] == sorted(search.STATUSES)
        assert (params["status"]["style"], params["status"]["explode"]) == ("form", False)  # a,b,c
        assert params["duplicate"]["schema"]["type"] == "boolean"
    export = {p["name"]: p for p in doc["paths"]["/api/export"]["get"]["parameters"]}
    assert export["format"]["schema"]["enum"] == ["csv", "xlsx"]


def test_the_document_is_made_once_per_app(app, client):
    assert _doc(client) is not None
    assert openapi.cached(app) is openapi.cached(app)


def test_the_docs_page_loads_its_script_from_the_app_and_has_no_inline_code(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts == [(' src="/api/docs/docs.js" defer', "")]
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html, re.I)  # no inline style, no event handler
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from elsewhere
    script = client.get("/api/docs/docs.js")
    assert script.status_code == 200 and "javascript" in script.mimetype
    assert "/api/openapi.json" in script.get_data(as_text=True)
    assert client.get("/api/docs/docs.css").mimetype == "text/css"
    assert client.get("/api/docs/other.js").status_code == 404
