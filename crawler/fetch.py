"""The crawler's one network seam: SSRF-guarded, IP-pinned, size- and time-capped HTTP GETs.

Every request the crawler makes (pages, robots.txt, sitemaps) goes through :class:`Fetcher`. For each hop it

1. accepts only http/https URLs no longer than ``settings.max_url_length``;
2. resolves the host name and checks *every* resolved address (``is_global`` after unwrapping IPv4-mapped
   IPv6), refusing non-global ones with :class:`~kb.errors.BlockedAddress` unless private networks are
   allowed for the source (:mod:`crawler.fetch_guard`);
3. connects to the checked address itself, so a second DNS answer cannot swap in another address between
   check and connect (DNS rebinding; :mod:`crawler.fetch_pinning`);
4. follows redirects by hand, re-running the checks above and the caller's ``hop_check`` (scope, robots)
   on every hop, sending each hop inside the caller's politeness ``slot`` for *that hop's* origin, and
   recording each hop's URL and status on the result (:mod:`crawler.fetch_hops`);
5. streams the body, decoding gzip/deflate itself with a bounded output per step, so a compression bomb
   stops at ``max_bytes`` with flat memory (:mod:`crawler.fetch_body`);
6. enforces connect/read timeouts and a total deadline per document that holds for the whole exchange
   with the servers (connect, TLS handshake, status line, headers, body, every redirect hop): a watchdog
   timer shuts down the in-flight socket when the deadline passes, so a server dripping its headers one
   byte at a time is cut off too (reason ``timeout``). Time spent waiting for a politeness slot or in the
   caller's ``hop_check`` does not count.

429 and 503 are retried (``settings.retries`` times, honouring Retry-After up to ``max_crawl_delay``); the
wait is spent holding the answering host's slot, so no other request reaches that host meanwhile.

FetchError reasons: bad_url, url_too_long, blocked_address, dns, connection, tls, timeout, too_large,
redirect_loop, too_many_redirects, bad_redirect, http_<status> (http_404, http_429, http_500…),
bad_encoding, unsupported_type, and whatever label ``hop_check`` returns (robots, out_of_scope…; raised
as :class:`~crawler.fetch_hops.RedirectRefused`, which carries the hops up to the refused target).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

import requests

from crawler.fetch_body import CHUNK, MAX_DECOMPRESS_STEP, Decoder, gunzip_capped
from crawler.fetch_guard import AddressCheck, AddressGuard, Resolver, is_global_address, system_resolver
from crawler.fetch_hops import (
    PERMANENT_STATUSES,
    REDIRECT_STATUSES,
    RETRY_STATUSES,
    Attempt,
    FetchResult,
    Hop,
    HopCheck,
    HopSlot,
    Job,
    RedirectRefused,
    Retry,
    TypeCheck,
)
from crawler.fetch_pinning import PinnedAdapter, Watchdog
from kb.errors import BlockedAddress, FetchError
from kb.settings import Settings

__all__ = [
    "CHUNK", "MAX_DECOMPRESS_STEP", "PERMANENT_STATUSES", "REDIRECT_STATUSES", "RETRY_STATUSES", "AddressCheck", "Decoder",
    "FetchResult", "Fetcher", "Hop", "HopCheck", "HopSlot", "RedirectRefused", "Resolver", "gunzip_capped", "is_global_address",
    "system_resolver",
]

log = logging.getLogger(__name__)

_HEADERS = {
    "Accept-Encoding": "gzip, deflate",
    "Accept": "text/html,application/xhtml+xml,application/pdf,application/xml;q=0.9,*/*;q=0.5",
    "Accept-Language": "sv,en;q=0.5",
}


class Fetcher:
    """Guarded HTTP GETs; thread-safe (one requests.Session per thread).

    ``resolver`` and ``address_check`` are seams for tests and the demo: a resolver maps a host name to
    addresses; ``address_check`` decides which addresses count as public (default :func:`is_global_address`).
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
        self.guard = AddressGuard(settings.max_url_length, resolver, address_check)
        self.sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------
    def _session(self) -> tuple[requests.Session, PinnedAdapter]:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # an environment proxy would bypass the address pinning
            adapter = PinnedAdapter(self.ca_bundle)
            self._local.adapter = adapter
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({"User-Agent": self.settings.user_agent, **_HEADERS})
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session, self._local.adapter

    def close(self) -> None:
        with self._sessions_lock:
            for s in self._sessions:
                s.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- checks ------------------------------------------------------------------
    def check_url(self, url: str) -> None:
        """Raise FetchError unless ``url`` is an http(s) URL with a host, within the length cap."""
        self.guard.check_url(url)

    def resolve_checked(self, url: str, allow_private: bool) -> str:
        """Resolve the URL's host and return one address, after checking *every* address it resolves to."""
        return self.guard.resolve_checked(url, allow_private)

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
        accept_type: TypeCheck | None = None,
        raise_http: bool = True,
        slot: HopSlot | None = None,
    ) -> FetchResult:
        """GET ``url`` with every guard; raises FetchError(reason) on any failure.

        ``hop_check(url)`` may return a reason label to refuse a redirect target (scope, robots).
        ``accept_type(content_type, url)`` may refuse a body before it is downloaded. With
        ``raise_http=False`` 4xx/5xx responses are returned (body capped) instead of raised, after retries.
        ``slot(hop_url)`` is entered around each hop's request (the politeness gate of that hop's origin).
        """
        settings = self.settings
        cap = max_bytes if max_bytes is not None else settings.max_bytes
        started = time.monotonic()
        session, adapter = self._session()
        outer = adapter.watch  # a hop_check may fetch robots.txt on this thread: watchdogs nest
        watch = adapter.watch = Watchdog(started + settings.fetch_deadline)
        try:
            job = Job(url, allow_private, etag, last_modified, hop_check, cap, accept_type, raise_http, started, slot)
            result = self._with_retries(job, session, watch)
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

    def _with_retries(self, job: Job, session: requests.Session, watch: Watchdog) -> FetchResult:
        attempt = 0
        while True:
            try:
                return Attempt(job, session, self.guard, watch, self.settings).run()
            except Retry as retry:
                attempt += 1
                wait = self._retry_wait(job, retry, attempt, watch)
                log.info("HTTP %s from %s; retry %d in %.1f s", retry.status, retry.url, attempt, wait)
                with ExitStack() as stack:
                    if job.slot is not None:  # the host asked for quiet: wait holding its slot
                        with watch.paused():
                            stack.enter_context(job.slot(retry.url))
                    self.sleep(wait)

    def _retry_wait(self, job: Job, retry: Retry, attempt: int, watch: Watchdog) -> float:
        """Seconds to wait before retry number ``attempt``; FetchError when the retry must not happen."""
        settings = self.settings
        wait = retry.wait if retry.wait is not None else min(0.5 * 2 ** (attempt - 1), 8.0) * (1 + random.random() * 0.25)
        if attempt > settings.retries:
            raise FetchError(f"http_{retry.status}", f"still {retry.status} after {settings.retries} retries", job.url)
        if wait > settings.max_crawl_delay:
            raise FetchError(f"http_{retry.status}", f"Retry-After {wait:.0f} s is over the {settings.max_crawl_delay:.0f} s cap", job.url)
        if wait > watch.remaining():
            raise FetchError("timeout", f"retry wait {wait:.1f} s would pass the deadline", job.url)
        return wait
