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
6. enforces connect/read timeouts and a total deadline per document.

Residual risk: the deadline is checked between received chunks; a server that
drips its *status line and headers* one byte at a time is bounded only by
``read_timeout`` per byte, not by the deadline.

FetchError reasons: bad_url, url_too_long, blocked_address, dns, connection,
timeout, too_large, redirect_loop, too_many_redirects, bad_redirect,
http_<status> (http_404, http_429, http_500…), bad_encoding, unsupported_type,
and whatever label ``hop_check`` returns (robots, out_of_scope…).
"""

from __future__ import annotations

import ipaddress
import logging
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


class _PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools connect to the address the Fetcher checked, not to a fresh DNS answer."""

    def __init__(self) -> None:
        super().__init__(pool_connections=8, pool_maxsize=2, max_retries=0)
        self._pools: dict[tuple[str, str, int, str], HTTPConnectionPool] = {}
        self._pools_lock = threading.Lock()

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
                    import certifi

                    pool = HTTPSConnectionPool(
                        pinned, port, maxsize=2, block=False, retries=False,
                        cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                        server_hostname=host, assert_hostname=host,
                    )
                else:
                    pool = HTTPConnectionPool(pinned, port, maxsize=2, block=False, retries=False)
                self._pools[key] = pool
        return pool

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
    ) -> None:
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
            adapter = _PinnedAdapter()
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
        attempt = 0
        while True:
            try:
                result = self._follow(url, allow_private, etag, last_modified, hop_check, cap, accept_type, raise_http, started, deadline)
            except _Retry as retry:
                attempt += 1
                wait = retry.wait if retry.wait is not None else min(0.5 * 2 ** (attempt - 1), 8.0) * (1 + random.random() * 0.25)
                if attempt > settings.retries:
                    raise FetchError(f"http_{retry.status}", f"still {retry.status} after {settings.retries} retries", url) from None
                if wait > settings.max_crawl_delay:
                    raise FetchError(f"http_{retry.status}", f"Retry-After {wait:.0f} s is over the {settings.max_crawl_delay:.0f} s cap", url) from None
                if time.monotonic() + wait > deadline:
                    raise FetchError("timeout", f"retry wait {wait:.1f} s would pass the deadline", url) from None
                log.info("HTTP %s from %s; retry %d in %.1f s", retry.status, url, attempt, wait)
                self.sleep(wait)
                continue
            return result

    def _follow(
        self,
        url: str,
        allow_private: bool,
        etag: str | None,
        last_modified: str | None,
        hop_check: HopCheck | None,
        cap: int,
        accept_type: Callable[[str | None, str], bool] | None,
        raise_http: bool,
        started: float,
        deadline: float,
    ) -> FetchResult:
        settings = self.settings
        current = url
        seen: list[str] = []
        session = self._session()
        while True:
            self.check_url(current)
            if current in seen:
                raise FetchError("redirect_loop", " -> ".join(seen + [current])[:400], url)
            if len(seen) > settings.max_redirects:
                raise FetchError("too_many_redirects", f"more than {settings.max_redirects} hops", url)
            if seen and hop_check is not None:
                refused = hop_check(current)
                if refused:
                    raise FetchError(refused, f"redirect target {current}", url)
            address = self.resolve_checked(current, allow_private)
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
                    return FetchResult(url, current, status, lower, b"", time.monotonic() - started, True, seen, address)
                if status in RETRY_STATUSES:
                    raise _Retry(status, _retry_after(lower.get("retry-after")))
                if status >= 400 and raise_http:
                    raise FetchError(f"http_{status}", response.reason or "", url)
                if 200 <= status < 300 and accept_type is not None:
                    ctype = lower.get("content-type")
                    if not accept_type(ctype.split(";", 1)[0].strip().lower() if ctype else None, current):
                        raise FetchError("unsupported_type", ctype or "", url)
                body = self._read_body(response, lower, cap, deadline, url)
                return FetchResult(url, current, status, lower, body, time.monotonic() - started, False, seen, address)
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
