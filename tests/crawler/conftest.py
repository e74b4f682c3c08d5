"""Crawler fixtures: scriptable threaded HTTP servers on 127.0.0.1, test settings, sources and a store."""

from __future__ import annotations

import html as htmlmod
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kb.settings import Settings
from kb.sources import Source, UrlRule
from kb.store import Store


@dataclass
class Page:
    """A scripted response; ``etag``/``last_modified`` turn on conditional-GET handling (304)."""

    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Seen:
    """One request as the server saw it."""

    at: float
    ended: float
    path: str
    headers: dict[str, str]
    status: int
    body_bytes: int


Handler = Callable[["_Handler"], "Page | None"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        site = self.server.site
        started = time.monotonic()
        self.sent_status = 0
        self.sent_bytes = 0
        route = site.routes.get(self.path)
        if route is None:
            route = site.routes.get(self.path.split("?", 1)[0])
        if route is None:
            route = site.fallback
        seen = self._seen = Seen(started, started, self.path, dict(self.headers), 0, 0)
        with site.lock:  # recorded before answering, so a client never sees a response the log lacks
            site.requests.append(seen)
        try:
            page = route(self) if callable(route) else route
            if page is not None:
                self.send_page(page)
        except (BrokenPipeError, ConnectionResetError):
            self._mark(0, 0)  # the client hung up: nothing counts as sent
        finally:
            seen.ended, seen.status, seen.body_bytes = time.monotonic(), self.sent_status, self.sent_bytes

    def _mark(self, status: int, body_bytes: int) -> None:
        """What the response is, recorded before its last bytes go out: a client that has read it (and a test that
        then looks at ``site.hits``) never finds the status still 0, however late this thread runs afterwards."""
        self.sent_status, self.sent_bytes = status, body_bytes
        self._seen.status, self._seen.body_bytes = status, body_bytes

    def send_page(self, page: Page) -> None:
        body = page.body.encode("utf-8") if isinstance(page.body, str) else page.body
        if page.status == 200 and page.etag and self.headers.get("If-None-Match") == page.etag:
            self.send_response(304)
            self.send_header("ETag", page.etag)
            self.send_header("Content-Length", "0")
            self._mark(304, 0)
            self.end_headers()
            return
        if page.status == 200 and page.last_modified and not page.etag and self.headers.get("If-Modified-Since") == page.last_modified:
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self._mark(304, 0)
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        if page.etag:
            self.send_header("ETag", page.etag)
        if page.last_modified:
            self.send_header("Last-Modified", page.last_modified)
        for k, v in page.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self._mark(page.status, len(body))
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    site: Site

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client refusing our test certificate (or hanging up) is what some tests want; keep the output clean.
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            return
        super().handle_error(request, client_address)


class Site:
    """A live HTTP server whose routes tests script: ``site.routes['/a'] = Page(...)`` or a handler function."""

    Page = Page

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Page | Handler] = {}
        self.fallback: Page | Handler = Page("<html><body>finns inte</body></html>", status=404)
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.site = self
        self.scheme = "http"
        if tls is not None:
            # The handshake runs lazily in the handler thread, so a failing client cannot stall accept().
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
            self.scheme = "https"
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def add(self, path: str, body: bytes | str = b"", **kwargs: Any) -> Page:
        page = Page(body, **kwargs)
        self.routes[path] = page
        return page

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests]

    def hits(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def make_site() -> Iterator[Callable[..., Site]]:
    sites: list[Site] = []

    def factory(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Site:
        site = Site(host, tls)
        sites.append(site)
        return site

    yield factory
    for s in sites:
        s.stop()


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    return make_site()


@dataclass
class Pki:
    """A throwaway CA and server certificates (made with the openssl CLI) for local TLS servers."""

    ca: Path
    certs: dict[str, tuple[Path, Path]]  # host name -> (certificate chain, key)

    def server_context(self, name: str, sni_seen: list[str] | None = None) -> ssl.SSLContext:
        """A server-side context presenting the certificate for ``name``; SNI names sent by clients go to ``sni_seen``."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.certs[name])
        if sni_seen is not None:
            seen = sni_seen

            def record(sock: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
                seen.append(server_name or "")

            ctx.sni_callback = record  # type: ignore[assignment]
        return ctx


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2", "-subj", "/CN=kb test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    certs: dict[str, tuple[Path, Path]] = {}
    for name in ("kb-test.invalid", "other.invalid"):
        key, csr, crt = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.pem"
        _openssl("req", "-new", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
        ext = d / f"{name}.ext"
        ext.write_text(
            f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
            encoding="ascii",
        )
        _openssl("x509", "-req", "-in", csr, "-CA", d / "ca.pem", "-CAkey", d / "ca.key", "-CAcreateserial",
                 "-out", crt, "-days", "2", "-extfile", ext)
        certs[name] = (crt, key)
    return Pki(d / "ca.pem", certs)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's isolated settings (tests/conftest.py), with the short time and size caps local servers allow."""
    return settings.replace(
        connect_timeout=2.0,
        read_timeout=2.0,
        fetch_deadline=5.0,
        max_bytes=1_000_000,
        max_crawl_delay=5.0,
        retries=2,
        host_failure_limit=3,
        parse_timeout=10.0,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store(settings.store_path) as s:
        yield s


@pytest.fixture
def make_source() -> Callable[..., Source]:
    def factory(site: Site | None = None, **overrides: Any) -> Source:
        values: dict[str, Any] = {
            "id": "test",
            "name": "Testkälla",
            "organisation": "Testmyndigheten",
            "start_urls": (site.url("/") if site else "http://127.0.0.1:9/",),
            "delay": 0.0,
            "allow_private_network": True,
        }
        values.update(overrides)
        if "allow" not in overrides:
            values["allow"] = tuple(UrlRule.parse(u.split("/", 3)[0] + "//" + u.split("/", 3)[2] + "/") for u in values["start_urls"])
        for key in ("deny", "follow_only"):
            if key in values and values[key] and isinstance(values[key][0], str):
                values[key] = tuple(UrlRule.parse(r) for r in values[key])
        return Source(**values)

    return factory


def html_page(title: str, text: str = "", links: list[str] | tuple[str, ...] = (), head: str = "") -> str:
    """A small Swedish HTML page with a main text and links."""
    anchors = "".join(f'<li><a href="{htmlmod.escape(h)}">länk {i}</a></li>' for i, h in enumerate(links))
    body = text or (
        f"Det här är sidan {title}. Den handlar om stöd till våldsutsatta kvinnor och barn, om hur socialtjänsten "
        "arbetar med skydd och om vart man kan vända sig för att få hjälp dygnet runt."
    )
    return (
        f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{htmlmod.escape(title)}</title>{head}</head>'
        f"<body><main><h1>{htmlmod.escape(title)}</h1><p>{htmlmod.escape(body)}</p><ul>{anchors}</ul></main></body></html>"
    )


@pytest.fixture
def page_html() -> Callable[..., str]:
    return html_page
