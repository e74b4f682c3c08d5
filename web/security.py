"""Security plumbing: response headers on every response, GET/HEAD only, bounded search concurrency, input parsing."""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Awaitable, Callable, MutableMapping
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
MAX_QUERY_CHARS = 1000
MAX_FILTER_VALUE_CHARS = 200
MAX_PAGE = 10_000


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


class SearchLimiter:
    """At most ``limit`` searches at once; callers that find it full are refused at once (no queue)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self._sem = threading.BoundedSemaphore(self.limit)

    def try_acquire(self) -> bool:
        return self._sem.acquire(blocking=False)

    def release(self) -> None:
        self._sem.release()


def clean_text(value: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """Drop control characters (NUL …) and U+FFFD, collapse whitespace, cap the length; returns (text, shortened)."""
    chars = []
    for ch in value:
        cat = unicodedata.category(ch)
        if ch == "\ufffd" or (cat[0] == "C" and ch not in "\t\n\r"):
            continue
        chars.append(" " if ch in "\t\n\r" else ch)
    text = " ".join("".join(chars).split())
    if len(text) > limit:
        return text[:limit].rstrip(), True
    return text, False


def parse_page(raw: str | None) -> int:
    """A lenient page number for HTML pages: anything odd becomes 1, huge values are capped."""
    if raw is None:
        return 1
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return MAX_PAGE if raw.isascii() and raw.isdigit() else 1
    return max(1, min(int(raw), MAX_PAGE))


def parse_strict_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A strict integer for the API; raises ValueError with a Swedish message."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValueError(f"{name} måste vara ett heltal mellan {low} och {high}, inte {raw[:40]!r}.")
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"{name} måste vara ett heltal mellan {low} och {high}, inte {value}.")
    return value
