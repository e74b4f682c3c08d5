"""The server layer's request limits: an over-long request line gets 414, over-large headers 431, as problem+json.

uvicorn's h11 protocol answers any request head it cannot take with a bare ``400`` and closes at once; a client
still sending (a URL above ~128 KiB) then gets a connection reset instead of an answer. Here the answer names
the limit, the connection is half-closed after it, and what the client still sends is read and dropped (up to
LINGER_BYTES / LINGER_SECONDS), so it reads the answer instead of a reset.

The limits, in one place (the app's own limits on what a query may hold are in kb.searchmodel):"""

from __future__ import annotations

import asyncio
import http
from typing import Any

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from kb.searchmodel import MAX_REQUEST_QUERY_CHARS
from web.security import SECURITY_HEADERS, problem_body

MAX_REQUEST_LINE_BYTES = 32 * 1024  # "GET /sok?q=… HTTP/1.1": a 1,000-character query in any script needs ≤ 12 kB of it
MAX_REQUEST_HEAD_BYTES = 64 * 1024  # the request line and every header together
LINGER_BYTES = 8 * 1024 * 1024  # read and dropped after a refusal, so the client sees the answer and not a reset
LINGER_SECONDS = 10.0

REFUSALS = {
    414: ("För lång adress", f"Adressen får vara högst {MAX_REQUEST_LINE_BYTES // 1024} KiB lång. "
                             f"En sökfråga får vara högst {MAX_REQUEST_QUERY_CHARS} tecken."),
    431: ("För stora rubriker", f"Begärans rubriker får vara högst {MAX_REQUEST_HEAD_BYTES // 1024} KiB tillsammans."),
    400: ("Ogiltig begäran", "Begäran kunde inte tolkas som HTTP/1.1."),
}


def refusal(status: int) -> bytes:
    """A complete HTTP/1.1 answer (problem+json, security headers, ``Connection: close``) for a refused request head."""
    title, detail = REFUSALS[status]
    body = problem_body(status, title, detail)
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), (b"connection", b"close"), *SECURITY_HEADERS]
    head = f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()
    return head + b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body


def over_limit(head: bytes) -> int | None:
    """414 when the request line in ``head`` (a request's bytes so far) is too long, 431 when the whole head is; else None."""
    line_end = head.find(b"\n", 0, MAX_REQUEST_LINE_BYTES + 2)
    if line_end > MAX_REQUEST_LINE_BYTES or (line_end == -1 and len(head) > MAX_REQUEST_LINE_BYTES):
        return 414
    if len(head) > MAX_REQUEST_HEAD_BYTES and head.find(b"\r\n\r\n", 0, MAX_REQUEST_HEAD_BYTES + 4) == -1:
        return 431
    return None


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with answered limits: 414 / 431 / 400 problem+json, then a lingering close."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.refused = False
        self.dropped = 0
        self.linger: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self.refused:
            self.dropped += len(data)
            if self.dropped > LINGER_BYTES:
                self.transport.close()
            return
        status = over_limit(self.conn.trailing_data[0] + data) if self.conn.their_state is h11.IDLE else None
        if status is not None:
            self.refuse(status)
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """h11 could not parse the request head: say which limit it broke, if it broke one."""
        self.refuse(over_limit(self.conn.trailing_data[0]) or 400)

    def refuse(self, status: int) -> None:
        self.refused = True
        self.flow.resume_reading()
        self.transport.write(refusal(status))
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer, then FIN; reading goes on until the client closes
            self.linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.linger is not None:
            self.linger.cancel()
        super().connection_lost(exc)
