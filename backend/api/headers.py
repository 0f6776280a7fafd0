"""Security headers on every response of the app: the SPA, its assets, the API, errors and 404s.

The policy is strict because the SPA allows it: Vite emits one module script and one stylesheet as files
(frontend/dist/index.html holds no inline script or style), Preact and Chart.js set styles through the
CSSOM (which style-src does not govern), and the socket is the app's own origin. Images: the app's own
(thumbnails, previews); data: and blob: images cannot run script, and keep a locally made preview or icon
working. The service worker (/sw.js) and the web app manifest are the app's own files: worker-src and
manifest-src say 'self' outright, so neither hangs on what default-src happens to allow.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

from ..settings import Settings

HSTS_SECONDS = 365 * 24 * 3600
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")

_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src {connect}",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def content_security_policy(host: str | None) -> str:
    """The CSP for a request to `host`. connect-src names the app's own WebSocket origins too: CSP 3 lets
    'self' match ws: and wss: on the same host, older engines do not."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(_POLICY).format(connect=connect)


def static_headers(settings: Settings) -> dict[str, str]:
    """The headers that do not depend on the request."""
    out = {
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    if settings.secure_cookies:  # the app is served over HTTPS (the setting says so): browsers keep to it
        out["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return out


def register(app: Flask, settings: Settings) -> None:
    fixed = static_headers(settings)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        return response
