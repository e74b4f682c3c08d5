"""Connections pinned to the checked address, and the watchdog that cuts the in-flight socket at a fetch's deadline.

The pool of :class:`PinnedAdapter` connects to the address the guard checked (the pool is keyed on the IP;
``Host`` and TLS SNI/certificate checks keep the name), so a second DNS answer cannot swap in another address
between check and connect (DNS rebinding). HTTPS verifies the certificate against the URL's host name with the
given CA bundle, always.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from crawler.fetch_guard import default_port
from kb.errors import FetchError

log = logging.getLogger(__name__)


class Watchdog:
    """Shuts down the socket of the in-flight request when a fetch's deadline passes.

    Connections register themselves when they open a socket and before each request; the timer then calls
    ``shutdown(SHUT_RDWR)`` on a duplicate of the raw socket, which wakes a blocked ``recv`` (plain or inside
    TLS) at once. :meth:`paused` stops the clock while the caller's own work runs (waiting for a host's
    politeness slot, a ``hop_check`` that loads robots.txt): the deadline bounds the exchange with servers.
    """

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self.at = deadline  # monotonic time of the deadline; moved later by the time spent paused
        self._lock = threading.Lock()
        self._conn: WatchedMixin | None = None
        self._timer = self._arm()

    def _arm(self) -> threading.Timer:
        timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._fire)
        timer.name = "kb-fetch-watchdog"
        timer.daemon = True
        timer.start()
        return timer

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def register(self, conn: WatchedMixin) -> None:
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

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock for the block; a deadline that passed before the pause stays passed."""
        self.cancel()
        since = time.monotonic()
        try:
            yield
        finally:
            self.at += time.monotonic() - since
            if not self.fired:
                self._timer = self._arm()

    def cancel(self) -> None:
        self._timer.cancel()
        self._timer.join()


class WatchedMixin:
    """Connection behaviour shared by the plain and TLS connections: report sockets to the current watchdog."""

    host: str

    def __init__(self, *args: Any, kb_watch: Callable[[], Watchdog | None], **kwargs: Any) -> None:
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


class _WatchedHTTPConnection(WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools connect to the address the guard checked, not to a fresh DNS answer.

    A request must carry ``kb_pinned_address``. One adapter per thread (it belongs to that thread's
    session), so ``watch`` — the watchdog of the fetch running on this thread — needs no lock.
    """

    def __init__(self, ca_bundle: str) -> None:
        super().__init__(pool_connections=8, pool_maxsize=2, max_retries=0)
        self._pools: dict[tuple[str, str, int, str], HTTPConnectionPool] = {}
        self._pools_lock = threading.Lock()
        self._ca_bundle = ca_bundle
        self.watch: Watchdog | None = None

    def current_watch(self) -> Watchdog | None:
        return self.watch

    def get_connection_with_tls_context(self, request: Any, verify: Any, proxies: Any = None, cert: Any = None) -> HTTPConnectionPool:
        pinned: str | None = getattr(request, "kb_pinned_address", None)
        if pinned is None:  # never send a request whose address was not checked
            raise FetchError("blocked_address", "request without a checked address", request.url)
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        port = parts.port or default_port(parts.scheme)
        key = (parts.scheme, pinned, port, host)
        with self._pools_lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._new_pool(parts.scheme, pinned, port, host)
        return pool

    def _new_pool(self, scheme: str, pinned: str, port: int, host: str) -> HTTPConnectionPool:
        if scheme == "https":
            return _WatchedHTTPSPool(
                pinned, port, maxsize=2, block=False, retries=False,
                cert_reqs="CERT_REQUIRED", ca_certs=self._ca_bundle,
                server_hostname=host, assert_hostname=host,
                kb_watch=self.current_watch,
            )
        return _WatchedHTTPPool(pinned, port, maxsize=2, block=False, retries=False, kb_watch=self.current_watch)

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
