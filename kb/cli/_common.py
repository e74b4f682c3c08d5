"""Shared CLI plumbing: exit codes, the exception-to-exit-code mapping, logging, output, the update lock, run records."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb.errors import ConfigError, IndexBuildError, KbError, LockHeld, PublishCheckFailed, StoreCorrupt, StoreError
from kb.settings import Settings

log = logging.getLogger("kb")

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_DATAERR = 65  # sysexits EX_DATAERR: the store file is damaged
EXIT_UNAVAILABLE = 69
EXIT_SOFTWARE = 70
EXIT_IOERR = 74
EXIT_TEMPFAIL = 75
EXIT_CONFIG = 78

FACETS = ("delomrade", "malsattning", "lan", "organisation", "doc_type", "malgrupp", "year", "format")  # kb.searchmodel.FACET_KEYS
RUNS_KEPT = 90  # crawl runs kept (about three months of nightly runs); older runs of any kind are pruned by `kb update`
IO_ERRNOS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG)


def _os_cause(exc: BaseException) -> OSError | None:
    """The OSError behind an exception (itself, its cause or context chain), if any."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, OSError):
            return cur
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None


def is_store_corrupt(exc: BaseException) -> bool:
    """Is a damaged store file (not a database, malformed page) behind this exception, directly or in its chain?"""
    from kb.storedb import is_corrupt

    cur: BaseException | None = exc
    for _ in range(10):
        if cur is None:
            return False
        if isinstance(cur, StoreCorrupt) or isinstance(cur, sqlite3.DatabaseError) and is_corrupt(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an exception reaching the CLI boundary."""
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    if is_store_corrupt(exc):
        return EXIT_DATAERR
    if isinstance(exc, LockHeld):
        return EXIT_TEMPFAIL
    if isinstance(exc, PublishCheckFailed):
        return EXIT_PARTIAL
    os_exc = _os_cause(exc)
    if os_exc is not None and (os_exc.errno in IO_ERRNOS or os_exc.errno is None and isinstance(exc, (StoreError, IndexBuildError))):
        return EXIT_IOERR
    text = str(exc).lower()
    if isinstance(exc, (StoreError, IndexBuildError)) and any(w in text for w in ("disk", "no space", "full", "i/o")):
        return EXIT_IOERR
    if isinstance(exc, sqlite3.OperationalError) and any(w in text for w in ("disk", "full", "i/o")):
        return EXIT_IOERR
    if not isinstance(exc, (KbError, OSError, sqlite3.Error)):
        return EXIT_SOFTWARE  # not an error kb raises on purpose: a bug
    return EXIT_PARTIAL


def error_line(exc: BaseException, code: int) -> str:
    """The one Swedish line for a store, index or I/O error (the technical detail last, in brackets)."""
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    if code == EXIT_DATAERR:
        return (
            f"kb: lagret är skadat och kan inte läsas [{detail}]; återställ kb.sqlite3 från säkerhetskopian, "
            "eller flytta undan den (med -wal/-shm) så hämtar nästa kb update allt igen"
        )
    if code == EXIT_IOERR:
        os_exc = _os_cause(exc)
        text = detail.lower()
        if (os_exc is not None and os_exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)) or "full" in text or "no space" in text:
            what = "disken är full"
        elif os_exc is not None and os_exc.errno in (errno.EROFS, errno.EACCES):
            what = "skrivskyddat eller saknar behörighet"
        else:
            what = "läs- eller skrivfel på disken"
        return f"kb: I/O-fel: {what} [{detail}]; inget gick förlorat och det förra indexet används fortfarande, åtgärda och kör igen"
    return f"kb: fel: {detail}"


class _OneLineFormatter(logging.Formatter):
    """Log records without their traceback: tracebacks are for -v, cron gets one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING - 10 * verbosity
    level = max(logging.DEBUG, min(logging.CRITICAL, level))
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter if verbosity > 0 else _OneLineFormatter
    handler.setFormatter(formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


LOCK_TRIES = 20  # × 10 ms: a reader's probe (update_running) holds a shared lock for microseconds, never a reason for exit 75


@contextmanager
def update_lock(path: Path) -> Iterator[None]:
    """Exclusive kernel lock (flock): released by the kernel if the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        for attempt in range(LOCK_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == LOCK_TRIES - 1:
                    raise LockHeld(f"en annan kb-körning håller låset {path}; försök igen när den är klar") from None
                time.sleep(0.01)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def update_running(path: Path) -> bool | None:
    """Does a kb run hold the update lock ``path`` right now? None when that cannot be told (the file is unreadable).

    Readers (`kb report`) ask this to tell a run that is still going from one whose process died or could not write
    its result (a full disk): a shared lock taken and dropped at once, which ``update_lock`` waits out."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except FileNotFoundError:
        return False  # every run takes the lock, creating the file: no run has ever held it here
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    finally:
        os.close(fd)  # closing the only descriptor of this open file releases a lock taken on it
    return False


def _load(settings: Settings) -> tuple[list[Any], list[Any]]:
    from kb.sources import load_sources

    return load_sources(settings.sources)


def _open_store(settings: Settings, readonly: bool = False) -> Any:
    """The store; ``readonly`` for commands that only read (report, stats): works without write access to the data dir."""
    from kb.store import Store

    return Store(settings.store_path, readonly=readonly)



def _print_crawl_report(report: Any, run: dict[str, Any] | None = None) -> None:
    from kb.report import format_run_report

    _out(format_run_report(report, run))


def _find_run(store: Any, run_id: int) -> dict[str, Any] | None:
    for run in store.list_runs(limit=RUNS_KEPT * 4 + 10):
        if run["id"] == run_id:
            return dict(run)
    return None


def _record(store: Any, run_id: int, status: str, exit_code: int, extra: dict[str, Any] | None = None) -> None:
    """Set a run's final status and exit code, merging ``extra`` into its summary; never raises (the disk may be full)."""
    try:
        run = _find_run(store, run_id)
        summary = dict((run or {}).get("summary") or {})
        summary.update(extra or {})
        store.finish_run(run_id, status, exit_code, summary)
    except Exception as exc:  # noqa: BLE001 — recording must not hide the real outcome
        log.warning("could not record the outcome of run %s: %s", run_id, exc)
