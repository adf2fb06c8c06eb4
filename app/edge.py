"""The service's edge (边界防护): the security headers on every response, and a bound on every request
body — one ASGI middleware, installed by :func:`app.main.create_app`.

Every page and API response carries :data:`HEADERS`: a Content-Security-Policy that lets a page run
only the scripts and load only the resources of this service (no inline script: the pages' script is
``/static/site.js``), ``X-Frame-Options: DENY`` (no framing, no click-jacking), ``X-Content-Type-Options:
nosniff`` (a download is never run as a script or page) and ``Referrer-Policy: same-origin`` (claim
numbers in URLs never leave the service). The API documentation pages (``/docs``, ``/redoc``) get a
policy derived at start-up from the HTML FastAPI renders for them — the script and style origins they
load, and the SHA-256 of their inline script — so that they work where those origins are reachable.

A request body larger than :data:`MAX_REQUEST_BYTES` is refused (413) as it arrives, whatever its
``Content-Length`` says, before a form parser spools it to disk. See docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders

from app.invoice_import import MAX_IMPORT_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_REQUEST_BYTES = MAX_IMPORT_BYTES + 1_000_000
"""Any request body: at most 6 MB — the largest upload (an invoice file, 5 MB) with its form around it.
A claim with 2,000 invoices is about 0.3 MB of JSON."""

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # the templates keep <style> blocks and style="" attributes (gauge widths): styles may be inline;
    # Jinja escapes every value, so user text cannot open an attribute or a tag to inject one
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class BodyTooLarge(Exception):
    """A request body past :data:`MAX_REQUEST_BYTES` (HTTP 413). Nothing was read further."""

    status = 413

    def to_dict(self) -> dict[str, str]:
        return {"field": "body", "rule": "请求大小上限",
                "message": f"请求过大：超过上限 {MAX_REQUEST_BYTES // 1_000_000} MB（导入文件至多 "
                           f"{MAX_IMPORT_BYTES // 1_000_000} MB）"}


_SCRIPT_SRC = re.compile(r"""<script[^>]*\ssrc=["']([^"']+)["']""", re.I)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.I | re.S)
_LINK = re.compile(r"""<link[^>]*\shref=["']([^"']+)["'][^>]*>""", re.I)


def _origins(urls: list[str]) -> list[str]:
    return sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, urls) if u.scheme in ("http", "https")})


def csp_for_html(html: str) -> str:
    """A policy under which this HTML page works: its script origins and inline scripts' hashes, its
    stylesheet and icon origins — and nothing else."""
    scripts = _origins(_SCRIPT_SRC.findall(html))
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'"
              for s in _INLINE_SCRIPT.findall(html)]
    links = _origins(_LINK.findall(html))
    return "; ".join((
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts, *hashes]),
        " ".join(["style-src 'self' 'unsafe-inline'", *links]),
        " ".join(["img-src 'self' data:", *links]),
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ))


def docs_policies(app: FastAPI) -> dict[str, str]:
    """The policy of each documentation page, from the HTML FastAPI serves there (as its own routes
    render it, at the root path)."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    out: dict[str, str] = {}
    if app.openapi_url and app.docs_url:
        html = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                                   oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
                                   init_oauth=app.swagger_ui_init_oauth,
                                   swagger_ui_parameters=app.swagger_ui_parameters)
        out[app.docs_url] = csp_for_html(bytes(html.body).decode("utf-8"))
    if app.openapi_url and app.redoc_url:
        html = get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} - ReDoc")
        out[app.redoc_url] = csp_for_html(bytes(html.body).decode("utf-8"))
    return out


class EdgeMiddleware:
    """Adds :data:`HEADERS` to every HTTP response (a documentation page gets its own policy) and
    answers 413 to a body past :data:`MAX_REQUEST_BYTES`: at once when ``Content-Length`` says so, else
    as soon as the bytes received pass it (the app's answer, whatever the aborted read made of it, is
    replaced; nothing was done with a body that was never read whole)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 policies: dict[str, str] | None = None) -> None:
        self.app = app
        self.policies = policies or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(HEADERS)
        if scope["path"] in self.policies:
            headers["Content-Security-Policy"] = self.policies[scope["path"]]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in headers.items():
                    out.setdefault(name, value)
            await send(message)

        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), b"0")
        if not declared.isdigit() or int(declared) > MAX_REQUEST_BYTES:
            await self._too_large(scope, receive, with_headers)
            return
        received = 0
        exceeded = started = False

        async def bounded() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_REQUEST_BYTES:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def unless_exceeded(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app answered an aborted read (400, 422 …): answer 413 instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._too_large(scope, receive, with_headers)
                return
            started = started or message["type"] == "http.response.start"
            await with_headers(message)

        try:
            await self.app(scope, bounded, unless_exceeded)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, with_headers)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
        from app.errors import _respond

        response = _respond(Request(scope), 413, BodyTooLarge().to_dict())
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(EdgeMiddleware, policies=docs_policies(app))
