"""The crawler's one network seam: SSRF-guarded, IP-pinned, size- and time-capped HTTP GETs.

Every request the crawler makes (pages, robots.txt, sitemaps) goes through
:class:`Fetcher`. For each hop it

1. accepts only http/https URLs no longer than ``settings.max_url_length``;
2. resolves the host name and checks *every* resolved address
   (``is_global`` after unwrapping IPv4-mapped IPv6), refusing non-global
   ones with :class:`~kb.errors.BlockedAddress` unless private networks are
   allowed for the source;
3. connects to the checked address itself (the connection pool is keyed on the
   IP; ``Host`` and TLS SNI/certificate checks keep the name), so a second DNS
   answer cannot swap in another address between check and connect
   (DNS rebinding);
4. follows redirects by hand, re-running the checks above and the caller's
   ``hop_check`` (scope, robots) on every hop;
5. streams the body, decoding gzip/deflate itself with a bounded output per
   step, so a compression bomb stops at ``max_bytes`` with flat memory;
6. enforces connect/read timeouts and a total deadline per document that
   holds for the whole exchange (connect, TLS handshake, status line,
   headers, body, every redirect hop): a :class:`_Watchdog` timer shuts down
   the in-flight socket when the deadline passes, so a server dripping its
   headers one byte at a time is cut off too (reason ``timeout``).

HTTPS: the pool connects to the checked IP but sends SNI and verifies the
certificate against the URL's host name, with the system CA bundle
(certifi) or the ``ca_bundle`` given to :class:`Fetcher`.

FetchError reasons: bad_url, url_too_long, blocked_address, dns, connection,
tls, timeout, too_large, redirect_loop, too_many_redirects, bad_redirect,
http_<status> (http_404, http_429, http_500…), bad_encoding, unsupported_type,
and whatever label ``hop_check`` returns (robots, out_of_scope…).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterator
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kb.errors import BlockedAddress, FetchError
from kb.settings import Settings

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
AddressCheck = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]
HopCheck = Callable[[str], str | None]

CHUNK = 16 * 1024
MAX_DECOMPRESS_STEP = 64 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 503)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver returns for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in out:
            out.append(addr)
    return out


def is_global_address(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for publicly routable addresses; IPv4-mapped/compatible IPv6 is judged by its IPv4 form."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        elif addr.sixtofour is not None:
            addr = addr.sixtofour
        elif addr.teredo is not None:
            return False
    return bool(addr.is_global) and not addr.is_multicast


@dataclass
class FetchResult:
    """A completed GET: the final URL after redirects, status, lower-cased headers and the decoded body."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    elapsed: float = 0.0
    not_modified: bool = False
    redirects: list[str] = field(default_factory=list)
    address: str = ""

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None


class _Watchdog:
    """Shuts down the socket of the in-flight request when a fetch's deadline passes.

    Connections register themselves when they open a socket and before each
    request; the timer then calls ``shutdown(SHUT_RDWR)`` on a duplicate of the
    raw socket, which wakes a blocked ``recv`` (plain or inside TLS) at once.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._lock = threading.Lock()
        self._conn: _WatchedMixin | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.name = "kb-fetch-watchdog"
        self._timer.daemon = True
        self._timer.start()

    def register(self, conn: _WatchedMixin) -> None:
        with self._lock:
            self._conn = conn
            fired = self.fired
        if fired:  # a socket opened after the deadline is cut at once
            conn.kb_shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            conn = self._conn
        if conn is not None:
            log.info("fetch deadline passed; shutting down the connection to %s", conn.host)
            conn.kb_shutdown()

    def cancel(self) -> None:
        self._timer.cancel()
        self._timer.join()


class _WatchedMixin:
    """Connection behaviour shared by the plain and TLS connections: report sockets to the current watchdog."""

    host: str

    def __init__(self, *args: Any, kb_watch: Callable[[], _Watchdog | None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kb_watch = kb_watch
        self._kb_dup: socket.socket | None = None

    def _kb_register(self) -> None:
        watch = self._kb_watch()
        if watch is not None:
            watch.register(self)

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._kb_close_dup()
        # A duplicate descriptor of the same socket: shutting it down cuts the connection even after
        # ssl has taken over (and detached) the original socket object.
        self._kb_dup = sock.dup()
        self._kb_register()
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._kb_register()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def kb_shutdown(self) -> None:
        dup = self._kb_dup
        if dup is not None:
            try:
                dup.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _kb_close_dup(self) -> None:
        dup, self._kb_dup = self._kb_dup, None
        if dup is not None:
            dup.close()

    def close(self) -> None:
        try:
            super().close()  # type: ignore[misc]
        finally:
            self._kb_close_dup()


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


@dataclass(frozen=True)
class _Job:
    """One fetch() call's parameters, passed through the retry and redirect loops."""

    url: str
    allow_private: bool
    etag: str | None
    last_modified: str | None
    hop_check: HopCheck | None
    cap: int
    accept_type: Callable[[str | None, str], bool] | None
    raise_http: bool
    started: float
    deadline: float


class _PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools connect to the address the Fetcher checked, not to a fresh DNS answer.

    One adapter per thread (it belongs to that thread's session), so ``watch``
    — the watchdog of the fetch running on this thread — needs no lock.
    """

    def __init__(self, ca_bundle: str) -> None:
        super().__init__(pool_connections=8, pool_maxsize=2, max_retries=0)
        self._pools: dict[tuple[str, str, int, str], HTTPConnectionPool] = {}
        self._pools_lock = threading.Lock()
        self._ca_bundle = ca_bundle
        self.watch: _Watchdog | None = None

    def current_watch(self) -> _Watchdog | None:
        return self.watch

    def get_connection_with_tls_context(self, request: Any, verify: Any, proxies: Any = None, cert: Any = None) -> HTTPConnectionPool:
        pinned: str | None = getattr(request, "kb_pinned_address", None)
        if pinned is None:  # never send a request whose address was not checked
            raise FetchError("blocked_address", "request without a checked address", request.url)
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (parts.scheme, pinned, port, host)
        with self._pools_lock:
            pool = self._pools.get(key)
            if pool is None:
                if parts.scheme == "https":
                    pool = _WatchedHTTPSPool(
                        pinned, port, maxsize=2, block=False, retries=False,
                        cert_reqs="CERT_REQUIRED", ca_certs=self._ca_bundle,
                        server_hostname=host, assert_hostname=host,
                        kb_watch=self.current_watch,
                    )
                else:
                    pool = _WatchedHTTPPool(pinned, port, maxsize=2, block=False, retries=False, kb_watch=self.current_watch)
                self._pools[key] = pool
        return pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """No-op: verification is fixed when the pool is made (always required, the Fetcher's CA bundle).

        requests' own version would overwrite the pool's CA file with its default
        bundle on every send, and ``verify=False`` would switch checking off.
        """

    def close(self) -> None:
        with self._pools_lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
        super().close()


class _Decoder:
    """Content-Encoding decoding with a bounded output per step (bomb-safe)."""

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
            self._deflate_first = True
        else:
            raise FetchError("bad_encoding", f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z is None:
            yield data
            return
        pending = data
        while pending:
            try:
                out = self._z.decompress(pending, MAX_DECOMPRESS_STEP)
            except zlib.error as exc:
                if getattr(self, "_deflate_first", False):  # raw deflate without zlib header
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._deflate_first = False
                    continue
                raise FetchError("bad_encoding", str(exc)) from None
            self._deflate_first = False
            if out:
                yield out
            pending = self._z.unconsumed_tail
            if self._z.eof:
                return


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Decompress a gzip file (e.g. sitemap.xml.gz) refusing more than ``max_bytes`` of output."""
    decoder = _Decoder("gzip")
    out = bytearray()
    for chunk in decoder.feed(data):
        out += chunk
        if len(out) > max_bytes:
            raise FetchError("too_large", f"gzip output over {max_bytes} bytes")
    return bytes(out)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    from datetime import datetime, timezone

    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class Fetcher:
    """Guarded HTTP GETs; thread-safe (one requests.Session per thread).

    ``resolver`` and ``address_check`` are seams for tests and the demo: a
    resolver maps a host name to addresses; ``address_check`` decides which
    addresses count as public (default :func:`is_global_address`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        address_check: AddressCheck = is_global_address,
        sleep: Callable[[float], None] = time.sleep,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> None:
        """``ca_bundle``: a PEM file of CAs to trust for HTTPS instead of the default bundle (certifi)."""
        if ca_bundle is None:
            import certifi

            ca_bundle = certifi.where()
        self.ca_bundle = os.fspath(ca_bundle)
        self.settings = settings
        self.resolver = resolver or system_resolver
        self.address_check = address_check
        self.sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # an environment proxy would bypass the address pinning
            adapter = _PinnedAdapter(self.ca_bundle)
            self._local.adapter = adapter
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update(
                {
                    "User-Agent": self.settings.user_agent,
                    "Accept-Encoding": "gzip, deflate",
                    "Accept": "text/html,application/xhtml+xml,application/pdf,application/xml;q=0.9,*/*;q=0.5",
                    "Accept-Language": "sv,en;q=0.5",
                }
            )
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            for s in self._sessions:
                s.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- checks ------------------------------------------------------------------
    def check_url(self, url: str) -> None:
        """Raise FetchError unless ``url`` is an http(s) URL with a host, within the length cap."""
        if len(url) > self.settings.max_url_length:
            raise FetchError("url_too_long", f"{len(url)} characters", url[:200])
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 — raises on a bad port
        except ValueError as exc:
            raise FetchError("bad_url", str(exc), url) from None
        if parts.scheme not in ("http", "https"):
            raise FetchError("bad_url", f"scheme {parts.scheme or '(none)'!r} not allowed", url)
        if not parts.hostname:
            raise FetchError("bad_url", "no host", url)

    def resolve_checked(self, url: str, allow_private: bool) -> str:
        """Resolve the URL's host and return one address, after checking *every* address it resolves to."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            literal = ipaddress.ip_address(host)
            addresses = [str(literal)]
        except ValueError:
            try:
                addresses = self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise FetchError("dns", str(exc), url) from None
        if not addresses:
            raise FetchError("dns", "no address", url)
        for a in addresses:
            try:
                ip = ipaddress.ip_address(a)
            except ValueError:
                raise BlockedAddress("blocked_address", f"unparseable address {a!r}", url) from None
            if not allow_private and not self.address_check(ip):
                raise BlockedAddress("blocked_address", f"{host} resolves to non-public {a}", url)
        return addresses[0]

    # -- the request -------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        allow_private: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
        hop_check: HopCheck | None = None,
        max_bytes: int | None = None,
        accept_type: Callable[[str | None, str], bool] | None = None,
        raise_http: bool = True,
    ) -> FetchResult:
        """GET ``url`` with every guard; raises FetchError(reason) on any failure.

        ``hop_check(url)`` may return a reason label to refuse a redirect target
        (scope, robots). ``accept_type(content_type, url)`` may refuse a body
        before it is downloaded. With ``raise_http=False`` 4xx/5xx responses are
        returned (body capped) instead of raised, after retries.
        """
        settings = self.settings
        cap = max_bytes if max_bytes is not None else settings.max_bytes
        started = time.monotonic()
        deadline = started + settings.fetch_deadline
        self._session()  # creates this thread's adapter
        adapter: _PinnedAdapter = self._local.adapter
        outer = adapter.watch  # a hop_check may fetch robots.txt on this thread: watchdogs nest
        watch = adapter.watch = _Watchdog(deadline)
        try:
            job = _Job(url, allow_private, etag, last_modified, hop_check, cap, accept_type, raise_http, started, deadline)
            result = self._fetch_with_retries(job)
        except BlockedAddress:
            raise
        except FetchError as exc:
            if watch.fired and exc.reason != "timeout":
                raise FetchError("timeout", f"deadline of {settings.fetch_deadline:g} s passed ({exc.reason})", url) from None
            raise
        finally:
            watch.cancel()
            adapter.watch = outer
        if watch.fired:  # the socket was cut: whatever was read may be truncated
            raise FetchError("timeout", f"deadline of {settings.fetch_deadline:g} s passed", url)
        return result

    def _fetch_with_retries(self, job: _Job) -> FetchResult:
        settings = self.settings
        attempt = 0
        while True:
            try:
                result = self._follow(job)
            except _Retry as retry:
                attempt += 1
                wait = retry.wait if retry.wait is not None else min(0.5 * 2 ** (attempt - 1), 8.0) * (1 + random.random() * 0.25)
                if attempt > settings.retries:
                    raise FetchError(f"http_{retry.status}", f"still {retry.status} after {settings.retries} retries", job.url) from None
                if wait > settings.max_crawl_delay:
                    raise FetchError(f"http_{retry.status}", f"Retry-After {wait:.0f} s is over the {settings.max_crawl_delay:.0f} s cap", job.url) from None
                if time.monotonic() + wait > job.deadline:
                    raise FetchError("timeout", f"retry wait {wait:.1f} s would pass the deadline", job.url) from None
                log.info("HTTP %s from %s; retry %d in %.1f s", retry.status, job.url, attempt, wait)
                self.sleep(wait)
                continue
            return result

    def _follow(self, job: _Job) -> FetchResult:
        settings = self.settings
        url, etag, last_modified, deadline = job.url, job.etag, job.last_modified, job.deadline
        current = url
        seen: list[str] = []
        session = self._session()
        while True:
            self.check_url(current)
            if current in seen:
                raise FetchError("redirect_loop", " -> ".join(seen + [current])[:400], url)
            if len(seen) > settings.max_redirects:
                raise FetchError("too_many_redirects", f"more than {settings.max_redirects} hops", url)
            if seen and job.hop_check is not None:
                refused = job.hop_check(current)
                if refused:
                    raise FetchError(refused, f"redirect target {current}", url)
            address = self.resolve_checked(current, job.allow_private)
            headers: dict[str, str] = {"Host": _host_header(current)}
            if not seen or _same_origin(seen[0], current):
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            request = requests.Request("GET", current, headers=headers)
            prepared = session.prepare_request(request)
            prepared.kb_pinned_address = address  # type: ignore[attr-defined]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("timeout", f"deadline of {settings.fetch_deadline:.0f} s passed", url)
            timeout = (min(settings.connect_timeout, remaining), min(settings.read_timeout, remaining))
            try:
                response = session.send(prepared, stream=True, allow_redirects=False, timeout=timeout)
            except FetchError:
                raise
            except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
                raise FetchError("timeout", str(exc)[:200], url) from None
            except requests.exceptions.SSLError as exc:
                raise FetchError("tls", str(exc)[:200], url) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise FetchError("connection", str(exc)[:200], url) from None
            try:
                status = response.status_code
                lower = {k.lower(): v for k, v in response.headers.items()}
                if status in REDIRECT_STATUSES:
                    location = lower.get("location")
                    if not location:
                        raise FetchError("bad_redirect", f"{status} without Location", url)
                    seen.append(current)
                    current = urljoin(current, location.strip())
                    current = current.split("#", 1)[0]
                    continue
                if status == 304 and (etag or last_modified):
                    return FetchResult(url, current, status, lower, b"", time.monotonic() - job.started, True, seen, address)
                if status in RETRY_STATUSES:
                    raise _Retry(status, _retry_after(lower.get("retry-after")))
                if status >= 400 and job.raise_http:
                    raise FetchError(f"http_{status}", response.reason or "", url)
                if 200 <= status < 300 and job.accept_type is not None:
                    ctype = lower.get("content-type")
                    if not job.accept_type(ctype.split(";", 1)[0].strip().lower() if ctype else None, current):
                        raise FetchError("unsupported_type", ctype or "", url)
                body = self._read_body(response, lower, job.cap, deadline, url)
                return FetchResult(url, current, status, lower, body, time.monotonic() - job.started, False, seen, address)
            finally:
                response.close()

    def _read_body(self, response: requests.Response, headers: dict[str, str], cap: int, deadline: float, url: str) -> bytes:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap and not headers.get("content-encoding"):
            raise FetchError("too_large", f"Content-Length {length} > {cap}", url)
        decoder = _Decoder(headers.get("content-encoding", ""))
        out = bytearray()
        try:
            while True:
                # read1 returns what has arrived (a plain read blocks until the whole chunk is in,
                # which would let a drip-feeding server outlast the deadline).
                raw = response.raw.read1(CHUNK, decode_content=False)
                if not raw:
                    break
                for piece in decoder.feed(raw):
                    out += piece
                    if len(out) > cap:
                        raise FetchError("too_large", f"body over {cap} bytes", url)
                if time.monotonic() > deadline:
                    raise FetchError("timeout", f"body not complete within {self.settings.fetch_deadline:.0f} s", url)
        except FetchError:
            raise
        except (urllib3.exceptions.ReadTimeoutError, socket.timeout, TimeoutError) as exc:
            raise FetchError("timeout", str(exc)[:200], url) from None
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise FetchError("connection", str(exc)[:200], url) from None
        return bytes(out)


class _Retry(Exception):
    def __init__(self, status: int, wait: float | None) -> None:
        self.status = status
        self.wait = wait


def _host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)
