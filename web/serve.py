"""Run the web app under uvicorn: one process, or several workers each with its own listening socket.

Two measured problems with uvicorn's own ``--workers`` mode shaped this module:

* Its workers share one already-bound socket, and their connections lack TCP_NODELAY: the
  response body waits for the client's delayed ACK of the headers, ~40 ms per request
  (measured: 21 requests/s on one keep-alive connection instead of 700). Sockets bound here set
  TCP_NODELAY, which accepted connections inherit on Linux.
* With one shared socket, whichever worker wakes first accepts most of a burst of new
  keep-alive connections and keeps them: under 20 clients one worker ran at 100 % CPU while the
  other idled. Here every worker binds its own socket with SO_REUSEPORT, so the kernel spreads
  connections evenly over the workers (measured: 135 → 237 uncached requests/s at 10k
  documents), and binds it only once its app is loaded.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from kb.backend import BackendFactory
from kb.errors import KbError
from kb.readmodel import ReportsFactory, SourceReports
from kb.settings import Settings
from web.http11 import MAX_REQUEST_HEAD_BYTES, LimitedH11Protocol

log = logging.getLogger(__name__)

RESTARTS_PER_MINUTE = 5


def bind(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket with TCP_NODELAY (and SO_REUSEPORT for per-worker sockets)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


@dataclass(frozen=True)
class LogSetup:
    """The supervisor's logging (root level and its handler's format), for spawned workers, which start with none."""

    level: int = logging.WARNING
    formatter: logging.Formatter | None = None

    @classmethod
    def of_this_process(cls) -> LogSetup:
        root = logging.getLogger()
        formatter = next((h.formatter for h in root.handlers if h.formatter is not None), None)
        return cls(root.level, formatter)

    def apply(self) -> None:
        """Log to stderr (inherited from the supervisor) at the supervisor's level and in its format."""
        handler = logging.StreamHandler()
        if self.formatter is not None:
            handler.setFormatter(self.formatter)
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(self.level)


@dataclass(frozen=True)
class AppSpec:
    """How a process builds its app; picklable (factories are module-level callables), so spawned workers get it."""

    settings: Settings
    backend: BackendFactory
    reports: ReportsFactory = SourceReports
    log_setup: LogSetup = LogSetup()

    def build(self) -> Starlette:
        from web.app import create_app

        return create_app(self.settings, self.backend, self.reports)


def uvicorn_config(app: Starlette, host: str, port: int, **extra: Any) -> uvicorn.Config:
    """uvicorn's settings for the app: h11 with answered request limits (web.http11), no Server header, no access log."""
    return uvicorn.Config(
        app, host=host, port=port, http=LimitedH11Protocol, h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        log_level=None, access_log=False, server_header=False,
        log_config=None,  # uvicorn logs through the CLI's handler at its level: timestamped, one line each without -v
        **extra,
    )


def _config(spec: AppSpec, host: str, port: int) -> uvicorn.Config:
    # X-Forwarded-For/-Proto are believed only from the configured reverse proxies (KB_TRUSTED_PROXIES)
    return uvicorn_config(spec.build(), host, port, proxy_headers=True, forwarded_allow_ips=list(spec.settings.trusted_proxies))


def _run_worker(host: str, port: int, spec: AppSpec) -> None:
    """One worker process: its own app (and backend), then its own SO_REUSEPORT socket."""
    spec.log_setup.apply()  # a spawned process starts without the supervisor's handlers: `kb -v serve` would lose its logs
    config = _config(spec, host, port)
    # Build the app (which opens the published index: seconds at 100k documents) before the
    # socket exists, so the kernel never hands a connection to a worker that is still loading.
    config.load()
    sock = bind(host, port, reuse_port=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


class _Workers:
    """The worker processes of one supervisor: started, replaced when they die (within a budget), stopped."""

    def __init__(self, host: str, port: int, count: int, target: Callable[[str, int], None]) -> None:
        self.ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads or an index
        self.args = (host, port)
        self.target = target
        self.names = [f"kb-web-{i}" for i in range(count)]
        self.procs: list[multiprocessing.process.BaseProcess] = []
        self.restarts: list[float] = []

    def _start(self, name: str) -> multiprocessing.process.BaseProcess:
        proc = self.ctx.Process(target=self.target, args=self.args, name=name)
        proc.start()
        return proc

    def start(self) -> None:
        self.procs = [self._start(name) for name in self.names]

    def replace_dead(self, stopping: Callable[[], bool]) -> bool:
        """Restart every worker that has exited (unless stopping); False when they died too often (RESTARTS_PER_MINUTE)."""
        for i, proc in enumerate(self.procs):
            if proc.is_alive() or stopping():  # Ctrl-C reaches the workers too: do not restart them then
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < 60]
            if len(self.restarts) >= RESTARTS_PER_MINUTE:
                log.error("web worker %s keeps dying (exit %s); giving up", proc.name, proc.exitcode)
                return False
            log.warning("web worker %s exited with %s; restarting it", proc.name, proc.exitcode)
            self.restarts.append(now)
            self.procs[i] = self._start(proc.name)
        return True

    def stop(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for proc in self.procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _supervise(host: str, port: int, workers: int, target: Callable[[str, int], None]) -> bool:
    """Start the workers, restart one that dies (a few times a minute at most), stop them all on a signal.

    Returns False after a clean stop, True when it gave up because workers kept dying."""
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = _Workers(host, port, workers, target)
    try:
        pool.start()
        while not stopping:
            time.sleep(0.5)
            if not pool.replace_dead(lambda: stopping):
                return True
        return False
    finally:
        pool.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(settings: Settings, backend: BackendFactory, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          reports: ReportsFactory = SourceReports) -> None:
    """Serve until interrupted; every process builds its own app, backend and read model from the factories."""
    spec = AppSpec(settings, backend, reports, LogSetup.of_this_process())
    if workers <= 1:
        config = _config(spec, host, port)
        config.load()
        sock = bind(host, port)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()
        return
    from web.metricsdir import prepare_multiprocess

    prepare_multiprocess()  # the workers' metrics files, summed by /metrics (set before any worker starts)
    # Reserve the port (and fail early if it is taken) with a socket in the same SO_REUSEPORT group;
    # it never listens, so it receives no connections.
    guard = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    guard.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    guard.bind((host, port))
    try:
        gave_up = _supervise(host, guard.getsockname()[1], workers, functools.partial(_run_worker, spec=spec))
    finally:
        guard.close()
    if gave_up:  # a monitor (systemd Restart=on-failure) must see a failure, not a clean stop
        raise KbError(f"webbprocesserna kraschade mer än {RESTARTS_PER_MINUTE} gånger på en minut; se loggen")
