"""Run parsers in worker processes that can be killed, so a hanging or exploding parse costs one timeout.

Why processes and not threads: a thread stuck inside lxml, pdfium or a zip inflater cannot be
stopped, and pdfium is not thread-safe. Each worker is a long-lived ``python -c`` child (plain
``subprocess``: no fork of a threaded crawler, no re-import of the caller's ``__main__``) that
imports the parsers once, so a job costs one pickle round trip (~1 ms), not an interpreter start.
On a timeout the worker is killed and a fresh one takes its place at the next job. Workers also
get an address-space limit, so a decompression bomb fails as MemoryError inside the worker
instead of swapping the crawler out. The child talks over two pipes with
``multiprocessing.connection`` framing; its own stdout is pointed at stderr so a stray print
cannot corrupt the channel.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kb.errors import ExtractError

log = logging.getLogger(__name__)

MEMORY_LIMIT_BYTES = 3 * 1024**3
STARTUP_TIMEOUT = 60.0
PRELOAD = ("crawler.extract.html", "crawler.extract.pdf", "crawler.extract.office")
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def _limit_memory(memory_limit: int | None) -> None:
    if not memory_limit:
        return
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: the timeout still applies
        pass


def serve(read_fd: int, write_fd: int, memory_limit: int | None) -> None:
    """Worker loop: receive (function, args, kwargs), send ("ok", result) or ("err", ExtractError)."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    _limit_memory(memory_limit)
    rx, tx = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    tx.send(("ready", os.getpid()))
    while True:
        try:
            job = rx.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args, kwargs = job
        try:
            result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
        except ExtractError as exc:
            result = ("err", ExtractError(exc.reason, exc.detail))
        except MemoryError:
            result = ("err", ExtractError("trasig", "för mycket minne"))
        except RecursionError:
            result = ("err", ExtractError("trasig", "för djup struktur"))
        except Exception as exc:
            log.exception("extraction failed")
            result = ("err", ExtractError("trasig", f"{type(exc).__name__}: {exc}"[:300]))
        try:
            tx.send(result)
        except (OSError, ValueError):
            return


_CHILD = (
    "import os, signal, sys\n"
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "sys.path.insert(0, {root!r})\n"
    "out = os.dup(1)\n"
    "os.dup2(2, 1)\n"
    "from crawler.extract.worker import serve\n"
    "serve(0, out, {limit!r})\n"
)


class _Worker:
    def __init__(self, memory_limit: int | None) -> None:
        code = _CHILD.format(root=PROJECT_ROOT, limit=memory_limit)
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, close_fds=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.tx = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.rx = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        if not self.rx.poll(STARTUP_TIMEOUT):
            self.kill()
            raise RuntimeError("extract worker did not start")
        try:
            self.rx.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise RuntimeError("extract worker could not start (see stderr)") from exc

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        for c in (self.tx, self.rx):
            if not c.closed:
                c.close()

    def stop(self) -> None:
        try:
            self.tx.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


class WorkerPool:
    """A few parser processes; ``run(fn, *args, timeout=…)`` blocks the caller (thread-safe)."""

    def __init__(self, size: int = 2, memory_limit: int | None = MEMORY_LIMIT_BYTES) -> None:
        self.size = size
        self.memory_limit = memory_limit
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)  # started lazily
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` in a worker; ExtractError("tidsgräns") after ``timeout`` seconds."""
        if self._closed:
            raise RuntimeError("WorkerPool is closed")
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive():
                if worker is not None:
                    self._forget(worker)
                    worker.kill()
                worker = None
                worker = _Worker(self.memory_limit)
                with self._lock:
                    self._all.add(worker)
            try:
                worker.tx.send((fn, args, kwargs))
                ready = worker.rx.poll(timeout)
                status, value = worker.rx.recv() if ready else ("timeout", None)
            except (EOFError, OSError) as exc:  # the worker died (killed by the OS, segfault in a C parser)
                log.warning("extract worker died: %s", exc)
                self._forget(worker)
                worker.kill()
                worker = None
                raise ExtractError("trasig", "tolkaren kraschade") from exc
            if status == "timeout":
                log.warning("extraction exceeded %.1f s; killing worker", timeout)
                self._forget(worker)
                worker.kill()
                worker = None
                raise ExtractError("tidsgräns", f"mer än {timeout:g} s")
            if status == "err":
                raise value if isinstance(value, BaseException) else ExtractError("trasig", repr(value)[:200])
            return value
        finally:
            self._idle.put(worker)

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)

    def close(self) -> None:
        """Stop every worker process."""
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            try:
                w.stop()
            except ValueError:  # already closed
                pass


_default: WorkerPool | None = None
_default_lock = threading.Lock()


def default_pool() -> WorkerPool:
    """The process-wide pool used by ``crawler.extract.extract`` (created on first use, closed at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WorkerPool()
            atexit.register(_default.close)
        return _default


def close_default_pool() -> None:
    """Stop the process-wide pool's workers (a later extract() starts a new pool)."""
    global _default
    with _default_lock:
        pool, _default = _default, None
    if pool is not None:
        pool.close()
