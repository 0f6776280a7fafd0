"""Every kind of response carries the security headers: the SPA's index, a static asset, API JSON, API
errors, 404s, 405s and 500s; HSTS only when the app says it is served over HTTPS (secure cookies)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backend.api.headers import content_security_policy
from backend.app import create_app

REPO = Path(__file__).resolve().parent.parent
FIXED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@pytest.fixture
def dist(settings):
    """A built SPA as Vite leaves it: index.html naming one module script and one stylesheet."""
    root = settings.frontend_dist
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><html><head><script type="module" src="/assets/app.js"></script>'
                                     '<link rel="stylesheet" href="/assets/app.css"></head><body></body></html>')
    (root / "assets" / "app.js").write_text("console.log(1)")
    (root / "assets" / "app.css").write_text("body{margin:0}")
    return root


def directives(response) -> dict[str, str]:
    csp = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in (p.strip() for p in csp.split(";"))}


def assert_secured(response) -> None:
    for name, value in FIXED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert len(response.headers.getlist("X-Content-Type-Options")) == 1
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["worker-src"] == "'self'" and policy["manifest-src"] == "'self'"  # the SW and the manifest
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_the_spa_index_and_its_assets(client, dist):
    for path, status in [("/", 200), ("/board/some/client/route", 200), ("/assets/app.js", 200),
                         ("/assets/app.css", 200), ("/assets/missing.js", 200)]:
        res = client.get(path)
        assert res.status_code == status, path
        assert_secured(res)


def test_api_json_and_api_errors(client, alice):
    responses = [
        client.get("/api/auth/me"),  # 200 JSON
        client.get("/api/invoices", query_string={"limit": "x"}),  # 400
        client.get("/api/invoices/999999"),  # 404
        client.get("/api/nowhere"),  # 404 without a route
        client.put("/api/auth/me"),  # 405
        client.post("/api/auth/logout", headers={"X-Requested-With": ""}),  # 403 CSRF
    ]
    assert [r.status_code for r in responses] == [200, 400, 404, 404, 405, 403]
    for res in responses:
        assert res.is_json
        assert_secured(res)


def test_unauthenticated_and_not_built(client):
    res = client.get("/api/auth/me")
    assert res.status_code == 401
    assert_secured(res)
    res = client.get("/")  # no dist/: a 503 page saying so
    assert res.status_code == 503 and res.mimetype == "text/html"
    assert_secured(res)


def test_an_unexpected_error_is_secured_too(app, client):
    def boom():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/test-boom", "boom", boom)
    res = client.get("/api/test-boom")
    assert res.status_code == 500 and res.json["error"]["key"] == "server"
    assert_secured(res)


def test_the_websocket_is_allowed_for_the_host_asked(client, dist):
    res = client.get("/", headers={"Host": "fapiao.example.com:8443"})
    assert directives(res)["connect-src"] == "'self' ws://fapiao.example.com:8443 wss://fapiao.example.com:8443"
    assert directives(client.get("/"))["connect-src"] == "'self' ws://localhost wss://localhost"


@pytest.mark.parametrize("host", ["evil.com; script-src *", "a b", "x'y", "", None])
def test_a_strange_host_never_reaches_the_policy(host):
    policy = content_security_policy(host)
    assert "connect-src 'self';" in policy
    assert "*" not in policy and "evil" not in policy


def test_hsts_only_with_secure_cookies(settings, clock, queue, dist):
    app = create_app(settings.with_(secure_cookies=True), dispatch=queue.dispatch, clock=clock)
    res = app.test_client().get("/")
    assert res.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert res.headers["X-Frame-Options"] == "DENY"


def test_a_view_that_sets_a_header_itself_keeps_it(app, client):
    def own():
        return "x", 200, {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}

    app.add_url_rule("/api/test-own", "own", own)
    res = client.get("/api/test-own")
    assert res.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert res.headers["Referrer-Policy"] == "same-origin"


# -- the SPA complies: nothing inline for the policy to refuse -------------------------------------
class _Inline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and not names.get("src"):
            self._in_script = True
            self.found.append("inline <script>")
        self.found += [f"{tag} {n}=" for n in names if n == "style" or n.startswith("on")]
        if tag == "a" and (names.get("href") or "").startswith("javascript:"):
            self.found.append("javascript: link")


def _inline_in(path: Path) -> list[str]:
    parser = _Inline()
    parser.feed(path.read_text())
    return parser.found


def test_the_spa_source_page_has_nothing_inline():
    assert _inline_in(REPO / "frontend" / "index.html") == []


def test_the_built_spa_has_nothing_inline():
    index = REPO / "frontend" / "dist" / "index.html"
    if not index.is_file():
        pytest.skip("the SPA is not built (make install builds it)")
    assert _inline_in(index) == []
    for css in (REPO / "frontend" / "dist" / "assets").glob("*.css"):
        # Stylesheets may load images and fonts from the app only (and data: images).
        for url in re.findall(r"url\(([^)]*)\)", css.read_text()):
            target = url.strip("'\" ")
            assert target.startswith(("/", "data:", "#")) or "://" not in target, (css.name, target)
