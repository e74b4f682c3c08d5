"""Local HTTP server for the bundled demo agency sites (stdlib only, one port per site): ``python -m demo.server``."""

from __future__ import annotations

import email.utils
import errno
import hashlib
import json
import logging
import posixpath
import re
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from demo import SITES, SOURCES

log = logging.getLogger(__name__)

DEFAULT_ROOT: Path = SITES
DEFAULT_SOURCES: Path = SOURCES
DEFAULT_BASE_PORT = 8101  # the demo's sites on 8101-8105 (sorted by site id), so their addresses stay the same between runs
DEFAULT_LASTMOD = "2025-01-15"

PLACEHOLDER = re.compile(rb"\{\{site:([A-Za-z0-9_-]+)\}\}")
TEXT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
BINARY_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8",
}

NOT_FOUND_HTML = """<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>Sidan finns inte</title></head>
<body><h1>Sidan finns inte</h1><p>Sidan du söker kan ha flyttats eller tagits bort.
Gå till <a href="/">startsidan</a>.</p></body></html>
""".encode()


@dataclass(frozen=True)
class RequestRecord:
    """One handled request."""

    site: str
    method: str
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


@dataclass
class _SiteMeta:
    lastmod: dict[str, str]
    content_type: dict[str, str]


def _load_meta(site_dir: Path) -> _SiteMeta:
    f = site_dir / "_meta.json"
    if not f.is_file():
        return _SiteMeta({}, {})
    data = json.loads(f.read_text(encoding="utf-8"))
    return _SiteMeta(dict(data.get("lastmod", {})), dict(data.get("content_type", {})))


def _http_date(day: str) -> tuple[str, float]:
    d = datetime.strptime(day, "%Y-%m-%d").replace(hour=8, tzinfo=UTC)
    ts = d.timestamp()
    return email.utils.formatdate(ts, usegmt=True), ts


class _Handler(BaseHTTPRequestHandler):
    server_version = "demosite"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    # set on the subclass per site
    owner: DemoSites
    site_id: str
    site_dir: Path
    meta: _SiteMeta

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        return

    def version_string(self) -> str:
        return "demosite"

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _record(self, status: int) -> None:
        self.owner._log(RequestRecord(self.site_id, self.command, self.path, status,
                                      self.headers.get("If-None-Match"),
                                      self.headers.get("If-Modified-Since")))

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)
        self._record(status)

    def _not_found(self, head: bool) -> None:
        self._send(404, NOT_FOUND_HTML, {"Content-Type": "text/html; charset=utf-8"}, head)

    def _resolve(self, raw_path: str) -> tuple[Path, str] | None:
        """Map a URL path to (file, relative key); None if missing or unsafe."""
        path = unquote(urlsplit(raw_path).path)
        if "\x00" in path or "\\" in path:
            return None
        parts = path.split("/")
        if any(p in ("..", ".") or p.startswith((".", "_")) for p in parts if p):
            return None
        norm = posixpath.normpath("/" + path.lstrip("/"))
        rel = norm.lstrip("/")
        if path.endswith("/") or rel == "":
            rel = (rel + "/index.html").lstrip("/")
        target = (self.site_dir / rel).resolve()
        root = self.site_dir.resolve()
        if root != target and root not in target.parents:
            return None
        if target.is_dir():
            return target, rel + "/"  # caller redirects to trailing slash
        if not target.is_file():
            return None
        return target, rel

    def _serve(self, head: bool) -> None:
        res = self._resolve(self.path)
        if res is None:
            self._not_found(head)
            return
        target, rel = res
        if rel.endswith("/"):
            parsed = urlsplit(self.path)
            loc = parsed.path + "/" + (("?" + parsed.query) if parsed.query else "")
            self._send(301, b"", {"Location": loc, "Content-Type": "text/html; charset=utf-8"}, head)
            return
        ext = target.suffix.lower()
        body = target.read_bytes()
        if ext in TEXT_TYPES:
            body = PLACEHOLDER.sub(lambda m: self.owner._base_url(m.group(1).decode()).encode(), body)
            ctype = TEXT_TYPES[ext]
        else:
            ctype = BINARY_TYPES.get(ext, "application/octet-stream")
        ctype = self.meta.content_type.get(rel, ctype)
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        last_mod, lm_ts = _http_date(self.meta.lastmod.get(rel, DEFAULT_LASTMOD))
        headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": last_mod,
                   "Cache-Control": "no-cache"}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            not_modified = "*" in tags or etag in tags
        elif ims is not None:
            try:
                ims_dt = email.utils.parsedate_to_datetime(ims)
                not_modified = ims_dt.timestamp() >= lm_ts
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            self._send(304, b"", {"ETag": etag, "Last-Modified": last_mod}, head)
            return
        self._send(200, body, headers, head)


def site_ids(root: Path = DEFAULT_ROOT) -> list[str]:
    """The sites under root, sorted (a folder per site)."""
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def fixed_ports(base: int = DEFAULT_BASE_PORT, root: Path = DEFAULT_ROOT) -> dict[str, int]:
    """Consecutive ports from ``base``, one per site in sorted order."""
    return {sid: base + i for i, sid in enumerate(site_ids(root))}


class DemoSites:
    """Serve every site under root on its own 127.0.0.1 port (a ThreadingHTTPServer per site).

    ``ports`` gives a site the port it prefers; a site without one, or whose port is taken, gets a free port.
    """

    def __init__(self, root: Path = DEFAULT_ROOT, host: str = "127.0.0.1",
                 ports: dict[str, int] | None = None) -> None:
        self.root = Path(root)
        self.host = host
        self.ports = dict(ports or {})
        self.urls: dict[str, str] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    @property
    def site_ids(self) -> list[str]:
        return site_ids(self.root)

    def _log(self, rec: RequestRecord) -> None:
        with self._lock:
            self.requests.append(rec)

    def _base_url(self, site_id: str) -> str:
        url = self.urls.get(site_id)
        return url if url is not None else "{{site:" + site_id + "}}"

    def _bind(self, sid: str, handler: type[_Handler]) -> ThreadingHTTPServer:
        port = self.ports.get(sid, 0)
        if port:
            try:
                return ThreadingHTTPServer((self.host, port), handler)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                log.warning("port %d for the demo site %s is taken; using a free port", port, sid)
        return ThreadingHTTPServer((self.host, 0), handler)

    def start(self) -> dict[str, str]:
        if self._servers:
            return dict(self.urls)
        servers = []
        try:
            for sid in self.site_ids:
                site_dir = self.root / sid
                handler = type(f"Handler_{sid}", (_Handler,), {
                    "owner": self, "site_id": sid, "site_dir": site_dir, "meta": _load_meta(site_dir)})
                srv = self._bind(sid, handler)
                srv.daemon_threads = True
                servers.append((sid, srv))
                self.urls[sid] = f"http://{self.host}:{srv.server_address[1]}"
        except BaseException:
            for _, srv in servers:
                srv.server_close()
            self.urls = {}
            raise
        for sid, srv in servers:
            t = threading.Thread(target=srv.serve_forever, name=f"demosite-{sid}", daemon=True)
            t.start()
            self._servers.append((srv, t))
        return dict(self.urls)

    def stop(self) -> None:
        for srv, t in self._servers:
            srv.shutdown()
            srv.server_close()
            t.join(timeout=5)
        self._servers = []

    def __enter__(self) -> DemoSites:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def render_sources(self, template: Path = DEFAULT_SOURCES) -> str:
        """Return the sources template with {{site:ID}} placeholders replaced by base URLs."""
        if not self.urls:
            raise RuntimeError("DemoSites.start() must be called before render_sources()")
        text = Path(template).read_text(encoding="utf-8")
        return re.sub(r"\{\{site:([A-Za-z0-9_-]+)\}\}", lambda m: self._base_url(m.group(1)), text)


def main(argv: list[str] | None = None) -> int:
    """Serve the demo sites on ports 8101+ (sorted by site id) until Ctrl-C."""
    with DemoSites(ports=fixed_ports()) as sites:
        for sid, url in sites.urls.items():
            print(f"{sid:22} {url}/")
        print("Ctrl-C avslutar.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
