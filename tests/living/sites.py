"""Threaded HTTP servers on 127.0.0.1 that answer from a mutable route table (ETag / Last-Modified / 304) and log every request."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Response:
    """What one path answers right now; ``etag``/``last_modified`` turn on conditional GET (304)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # for 301/302


@dataclass
class Seen:
    """One request as the server answered it."""

    night: int
    path: str
    status: int
    body_bytes: int
    conditional: bool
    started: float = 0.0  # time.monotonic() when the request line arrived
    ended: float = 0.0  # … and just before its first byte was sent


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        site = self.server.site
        started = time.monotonic()
        path = self.path.split("#", 1)[0]
        with site.lock:
            resp = site.outage or site.routes.get(path)
            if resp is None:
                resp = Response(404, b"<html><body><h1>Sidan finns inte</h1></body></html>")
            night = site.night
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        status, body = resp.status, resp.body
        if status == 200 and ((resp.etag and inm == resp.etag) or (not resp.etag and resp.last_modified and ims == resp.last_modified)):
            status, body = 304, b""
        seen = Seen(night, path, status, len(body), bool(inm or ims), started, started)
        with site.lock:  # logged before answering: a client never sees a response the log lacks
            site.requests.append(seen)
        try:
            self.send_response(status)
            if status != 304:
                self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(body)))
            if resp.etag and status in (200, 304):
                self.send_header("ETag", resp.etag)
            if resp.last_modified and status in (200, 304):
                self.send_header("Last-Modified", resp.last_modified)
            if resp.location:
                self.send_header("Location", resp.location)
            if status == 503:
                self.send_header("Retry-After", "0")  # keeps the crawler's retries instant
            # Before the first byte goes out: the client cannot have the response earlier, so a gap measured from
            # here is never shorter than the one the client kept, however late this thread runs under load.
            seen.ended = time.monotonic()
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    site: LivingSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is not the test's business
            return
        super().handle_error(request, client_address)


@dataclass
class LivingSite:
    """One local site: ``routes`` maps a path to its current answer; ``outage`` makes every path answer it."""

    name: str
    routes: dict[str, Response] = field(default_factory=dict)
    outage: Response | None = None
    night: int = 0
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None

    def start(self) -> None:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.site = self
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def base(self) -> str:
        assert self._server is not None, "site not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def night_requests(self, night: int) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.night == night]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
