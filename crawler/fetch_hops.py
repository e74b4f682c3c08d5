"""One fetch attempt's redirect loop: every hop re-checked, pinned, sent in its host's slot, and recorded with its status."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from crawler.fetch_body import read_body
from crawler.fetch_guard import AddressGuard, default_port
from crawler.fetch_pinning import Watchdog
from kb.errors import FetchError
from kb.settings import Settings

HopCheck = Callable[[str], str | None]
HopSlot = Callable[[str], AbstractContextManager[object]]
TypeCheck = Callable[[str | None, str], bool]

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PERMANENT_STATUSES = frozenset({301, 308})
RETRY_STATUSES = (429, 503)


@dataclass(frozen=True)
class Hop:
    """One redirect answered on the way: the URL requested and its 3xx status."""

    url: str
    status: int

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES


def permanent_chain(hops: list[Hop]) -> bool:
    """Does a redirect chain say the resource has moved for good (every hop a 301 or 308)?"""
    return bool(hops) and all(h.permanent for h in hops)


@dataclass
class FetchResult:
    """A completed GET: the final URL after redirects, status, lower-cased headers, the decoded body and the hops."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    elapsed: float = 0.0
    not_modified: bool = False
    hops: list[Hop] = field(default_factory=list)  # the redirects followed, in order (empty without redirects)
    address: str = ""

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None

    @property
    def redirects(self) -> list[str]:
        """The URLs that answered with a redirect, in order."""
        return [h.url for h in self.hops]

    @property
    def moved_permanently(self) -> bool:
        return permanent_chain(self.hops)


class RedirectRefused(FetchError):
    """``hop_check`` refused a redirect target (reason: its label); ``hops`` is the chain up to the target."""

    def __init__(self, reason: str, url: str, target: str, hops: list[Hop]) -> None:
        super().__init__(reason, f"redirect target {target}", url)
        self.target = target
        self.hops = hops

    @property
    def moved_permanently(self) -> bool:
        return permanent_chain(self.hops)


class Retry(Exception):
    """A 429/503 answer: the attempt is repeated after ``wait`` seconds (None: the Fetcher's backoff)."""

    def __init__(self, status: int, wait: float | None, url: str) -> None:
        super().__init__(status)
        self.status = status
        self.wait = wait
        self.url = url


@dataclass(frozen=True)
class Job:
    """One fetch() call's parameters, passed through the retry and redirect loops."""

    url: str
    allow_private: bool
    etag: str | None
    last_modified: str | None
    hop_check: HopCheck | None
    cap: int
    accept_type: TypeCheck | None
    raise_http: bool
    started: float
    slot: HopSlot | None  # a hop's politeness slot, entered around the request of each hop (any origin)


class Attempt:
    """One attempt of a fetch: the hops from the job's URL to a final answer, or a FetchError/Retry."""

    def __init__(self, job: Job, session: requests.Session, guard: AddressGuard, watch: Watchdog, settings: Settings) -> None:
        self.job = job
        self.session = session
        self.guard = guard
        self.watch = watch
        self.settings = settings
        self.hops: list[Hop] = []

    def run(self) -> FetchResult:
        current = self.job.url
        while True:
            self._admit(current)
            address = self.guard.resolve_checked(current, self.job.allow_private)
            with ExitStack() as stack:
                if self.job.slot is not None:
                    with self.watch.paused():  # waiting for the host's turn is not the server's time
                        stack.enter_context(self.job.slot(current))
                response = self._send(current, address)
                stack.callback(response.close)
                outcome = self._answer(current, address, response)
            if isinstance(outcome, FetchResult):
                return outcome
            current = outcome

    def _admit(self, current: str) -> None:
        """The checks before a hop is requested: URL shape, loops, the hop cap and the caller's ``hop_check``."""
        job = self.job
        self.guard.check_url(current)
        seen = self.redirects()
        if current in seen:
            raise FetchError("redirect_loop", " -> ".join(seen + [current])[:400], job.url)
        if len(seen) > self.settings.max_redirects:
            raise FetchError("too_many_redirects", f"more than {self.settings.max_redirects} hops", job.url)
        if seen and job.hop_check is not None:
            with self.watch.paused():  # the caller's check (robots.txt of the target host) has its own deadline
                refused = job.hop_check(current)
            if refused:
                raise RedirectRefused(refused, job.url, current, list(self.hops))

    def redirects(self) -> list[str]:
        return [h.url for h in self.hops]

    def _send(self, current: str, address: str) -> requests.Response:
        job, settings = self.job, self.settings
        headers: dict[str, str] = {"Host": host_header(current)}
        if not self.hops or same_origin(self.hops[0].url, current):
            if job.etag:
                headers["If-None-Match"] = job.etag
            if job.last_modified:
                headers["If-Modified-Since"] = job.last_modified
        prepared = self.session.prepare_request(requests.Request("GET", current, headers=headers))
        prepared.kb_pinned_address = address  # type: ignore[attr-defined]
        remaining = self.watch.remaining()
        if remaining <= 0:
            raise FetchError("timeout", f"deadline of {settings.fetch_deadline:.0f} s passed", job.url)
        timeout = (min(settings.connect_timeout, remaining), min(settings.read_timeout, remaining))
        try:
            return self.session.send(prepared, stream=True, allow_redirects=False, timeout=timeout)
        except FetchError:
            raise
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise FetchError("timeout", str(exc)[:200], job.url) from None
        except requests.exceptions.SSLError as exc:
            raise FetchError("tls", str(exc)[:200], job.url) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise FetchError("connection", str(exc)[:200], job.url) from None

    def _answer(self, current: str, address: str, response: requests.Response) -> FetchResult | str:
        """The final result, or the next hop's URL after a redirect."""
        job = self.job
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status in REDIRECT_STATUSES:
            location = headers.get("location")
            if not location:
                raise FetchError("bad_redirect", f"{status} without Location", job.url)
            self.hops.append(Hop(current, status))
            return urljoin(current, location.strip()).split("#", 1)[0]
        if status == 304 and (job.etag or job.last_modified):
            return self._result(current, status, headers, b"", address, not_modified=True)
        if status in RETRY_STATUSES:
            raise Retry(status, retry_after(headers.get("retry-after")), current)
        if status >= 400 and job.raise_http:
            raise FetchError(f"http_{status}", response.reason or "", job.url)
        if 200 <= status < 300 and job.accept_type is not None:
            ctype = headers.get("content-type")
            if not job.accept_type(ctype.split(";", 1)[0].strip().lower() if ctype else None, current):
                raise FetchError("unsupported_type", ctype or "", job.url)
        body = read_body(response, headers, job.cap, job.url, self.watch.remaining)
        return self._result(current, status, headers, body, address)

    def _result(
        self, final: str, status: int, headers: dict[str, str], body: bytes, address: str, not_modified: bool = False
    ) -> FetchResult:
        elapsed = time.monotonic() - self.job.started
        return FetchResult(self.job.url, final, status, headers, body, elapsed, not_modified, list(self.hops), address)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None when absent or unreadable."""
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
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def host_header(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port in (None, default_port(parts.scheme)) else f"{host}:{parts.port}"


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)
