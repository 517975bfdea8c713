"""Security headers on every response: a strict Content-Security-Policy (scripts and styles only from our own
static files — the templates have no inline script), no framing, no MIME sniffing, a short referrer, and
HSTS when the request came over TLS (directly, or via a trusted proxy's X-Forwarded-Proto)."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

# bpmn-js and Swagger UI set `style` attributes from script (CSSOM), which CSP does not restrict; the
# diagrams' fonts and Swagger UI's icons come as data: URIs from the vendor bundles.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def install(app: Flask) -> None:
    """Add the headers; with HOTICH_TRUSTED_PROXIES=n, trust n proxies' X-Forwarded-For/-Proto/-Host."""
    proxies = int(app.config.get("HOTICH_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
