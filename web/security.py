"""Security plumbing: response headers on every response, GET/HEAD only, bounded search concurrency, input parsing."""

from __future__ import annotations

import asyncio
import json
import threading
import unicodedata
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from kb.searchmodel import MAX_PAGE

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
LIMITER_WAIT_SECONDS = 2.0  # how long a request may wait for a search slot before it is answered 503
LIMITER_QUEUE_PER_SLOT = 4  # waiting requests allowed per slot; beyond that, 503 at once
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


class SearchLimiter:
    """At most ``limit`` searches at once; callers wait (FIFO, at most ``wait_seconds``) for a slot.

    The queue is bounded too (``max_waiting``): when it is full a caller is refused at once. Slots are
    plain counters under a thread lock, so one limiter serves any number of event loops and threads;
    a released slot is handed straight to the oldest waiter (no thundering herd, no overtaking)."""

    def __init__(self, limit: int, wait_seconds: float = LIMITER_WAIT_SECONDS, max_waiting: int | None = None) -> None:
        self.limit = max(1, int(limit))
        self.wait_seconds = float(wait_seconds)
        self.max_waiting = self.limit * LIMITER_QUEUE_PER_SLOT if max_waiting is None else max(0, int(max_waiting))
        self._lock = threading.Lock()
        self._active = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    @property
    def active(self) -> int:
        return self._active

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a free slot without waiting (never ahead of a waiting caller)."""
        with self._lock:
            if self._active < self.limit and not self._waiters:
                self._active += 1
                return True
            return False

    async def acquire(self) -> bool:
        """Take a slot, waiting up to ``wait_seconds``; False when none came free (or the queue is full)."""
        if self.try_acquire():
            return True
        loop = asyncio.get_running_loop()
        waiter = (loop, loop.create_future())
        with self._lock:
            if self._active < self.limit and not self._waiters:
                self._active += 1
                return True
            if len(self._waiters) >= self.max_waiting or self.wait_seconds <= 0:
                return False
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter[1], self.wait_seconds)
            return True
        except (TimeoutError, asyncio.CancelledError) as exc:
            with self._lock:
                try:
                    self._waiters.remove(waiter)
                    granted = False
                except ValueError:  # release() handed us the slot just as we gave up
                    granted = True
            if isinstance(exc, asyncio.CancelledError):
                if granted:
                    self.release()
                raise
            return granted

    def release(self) -> None:
        """Give the slot to the oldest waiter, or free it."""
        while True:
            with self._lock:
                if not self._waiters:
                    self._active -= 1
                    return
                loop, future = self._waiters.popleft()  # the slot now belongs to this waiter
            try:
                loop.call_soon_threadsafe(_grant, future)
                return
            except RuntimeError:  # its event loop is gone: pass the slot on
                continue


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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


def sanitize_param(value: str, limit: int) -> tuple[str, bool]:
    """A query-string value made safe to search and echo: control characters (NUL …) and U+FFFD dropped,
    whitespace collapsed, at most ``limit`` characters; returns (text, shortened)."""
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
