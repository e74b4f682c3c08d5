"""Security plumbing: response headers on every response, GET/HEAD only, trusted Host headers, RFC 9457 problem bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
ALLOWED_METHODS = ("GET", "HEAD")
BAD_HOST_BODY = "Ogiltig Host-rubrik"


class SecurityHeadersMiddleware:
    """Outermost ASGI wrapper: adds security headers to every HTTP response (errors included),
    drops any ``Server`` header and answers methods other than GET/HEAD with 405."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in self.headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names and k.lower() != b"server"]
                message["headers"] = kept + self.headers
            await send(message)

        if scope["method"] not in ALLOWED_METHODS:
            await method_not_allowed(scope, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


async def method_not_allowed(scope: Scope, send: Send) -> None:
    """405 with ``Allow``; problem+json under /api/, Swedish text elsewhere."""
    if str(scope.get("path", "")).startswith("/api/"):
        body = problem_body(405, "Metoden stöds inte", "API:t tar bara emot GET och HEAD.")
        ctype = b"application/problem+json"
    else:
        body = "Metoden stöds inte. Webbplatsen tar bara emot GET och HEAD.\n".encode()
        ctype = b"text/plain; charset=utf-8"
    await send({
        "type": "http.response.start",
        "status": 405,
        "headers": [(b"content-type", ctype), (b"allow", b"GET, HEAD"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


def problem_body(status: int, title: str, detail: str, type_: str = "about:blank") -> bytes:
    """An RFC 9457 problem document."""
    return json.dumps({"type": type_, "title": title, "status": status, "detail": detail}, ensure_ascii=False).encode()


class TrustedHostMiddleware:
    """Answers requests for any other Host with 400 and a Swedish plain-text body (no redirects, ever)."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = [h.lower() for h in allowed_hosts]
        self.allow_any = "*" in self.allowed

    def allows(self, header: str | None) -> bool:
        host = host_from_header(header)
        if host is None:
            return False
        return self.allow_any or any(host == p or (p.startswith("*.") and host.endswith(p[1:])) for p in self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"), None)
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = BAD_HOST_BODY.encode()
        await send({
            "type": "http.response.start",
            "status": 400,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                        (b"cache-control", b"no-store")],
        })
        await send({"type": "http.response.body", "body": body})


def host_from_header(value: str | None) -> str | None:
    """The lower-case host of a Host header ("[::1]" keeps its brackets); None when malformed or empty."""
    if not value:
        return None
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1:] if end > 0 else None
        if rest is None or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return value[:end + 1]
    host, sep, port = value.partition(":")
    if (sep and not port.isdigit()) or not host or any(c in host for c in "/\\@ "):
        return None
    return host
