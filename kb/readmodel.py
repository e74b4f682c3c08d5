"""A read-only view of the store for reports: per-source counts, run history and failures, cached by file stamps."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kb.errors import ConfigError, KbError
from kb.settings import Settings

if TYPE_CHECKING:
    from kb.models import CrawlReport
    from kb.store import Store

log = logging.getLogger(__name__)

HISTORY_RUNS = 30  # runs per source kept for the sources pages (the chart of documents over time)
Problem = Literal["sources", "store"]


@dataclass(frozen=True)
class RunFigures:
    """One recorded run of one source."""

    started: str  # ISO time
    status: str  # ok | partial | unreachable | skipped
    doc_count: int


@dataclass(frozen=True)
class SourceFigures:
    """What the store knows about one source; ``history`` and ``failures`` are from the newest run first."""

    id: str
    name: str
    organisation: str
    count: int
    history: tuple[RunFigures, ...] = ()
    failures: tuple[tuple[str, str, str], ...] = ()  # (url, reason, detail) of the latest run
    failed_by_reason: tuple[tuple[str, int], ...] = ()  # most frequent first

    @property
    def last_ok(self) -> RunFigures | None:
        return next((h for h in self.history if h.status == "ok"), None)

    @property
    def latest(self) -> RunFigures | None:
        return self.history[0] if self.history else None

    @property
    def change(self) -> int | None:
        """Documents gained (or lost) between the previous run and the latest; None before a second run."""
        return self.history[0].doc_count - self.history[1].doc_count if len(self.history) > 1 else None

    @property
    def failing(self) -> bool:
        """The latest run did not go through: not ok, or it had failures."""
        latest = self.latest
        return latest is not None and (latest.status != "ok" or bool(self.failures))


@dataclass(frozen=True)
class SourcesOverview:
    """Every configured source (or, when sources.yaml cannot be read, every source in the store).

    ``problem`` names what could not be read: "sources" (sources.yaml) or "store" (the store exists but failed)."""

    sources: tuple[SourceFigures, ...]
    problem: Problem | None = None


Stamp = tuple[int, int, int]


def file_stamp(path: Path) -> Stamp | None:
    """(inode, mtime, size) of a file, None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class SourceReports:
    """The figures behind the sources page, read through one kept read-only store connection.

    Thread-safe. Figures are read once and reused until sources.yaml or the store's files change (a new run,
    new documents); a replaced store file is reopened. A missing store is never created."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: tuple[tuple[Stamp | None, ...], SourcesOverview] | None = None
        self._store: Store | None = None
        self._store_inode: int | None = None

    def overview(self) -> SourcesOverview:
        """The current figures (blocking: call it off the event loop)."""
        with self._lock:
            store = self._open_store()
            db = self.settings.store_path
            key = (file_stamp(self.settings.sources), file_stamp(db), file_stamp(db.with_name(db.name + "-wal")))
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            overview = self._read(store)
            self._cached = (key, overview)  # keyed by the stamps from before reading: never newer than its data
            return overview

    def close(self) -> None:
        """Release the kept store connection."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def _open_store(self) -> Store | None:
        from kb import store as store_module  # looked up per call: tests count the connections opened

        stamp = file_stamp(self.settings.store_path)
        if self._store is not None and (stamp is None or stamp[0] != self._store_inode):
            self._store.close()
            self._store = None
        if self._store is None and stamp is not None:
            try:
                self._store = store_module.Store(self.settings.store_path, readonly=True)
                self._store_inode = stamp[0]
            except KbError as exc:
                log.error("source reports: cannot open the store: %s", exc)
        return self._store

    def _configured(self) -> list[tuple[str, str, str]] | None:
        from kb.sources import load_sources

        try:
            sources, _ = load_sources(self.settings.sources)
        except (ConfigError, OSError) as exc:
            log.warning("source reports: cannot read %s: %s", self.settings.sources, exc)
            return None
        return [(s.id, s.name, s.organisation) for s in sources]

    def _read(self, store: Store | None) -> SourcesOverview:
        configured = self._configured()
        problem: Problem | None = "sources" if configured is None else None
        if store is None:
            if self.settings.store_path.exists():
                problem = "store"
            return SourcesOverview(tuple(SourceFigures(sid, name, org, 0) for sid, name, org in configured or []), problem)
        try:
            counts = store.counts_by("source")
            listed = configured if configured else [(sid, sid, "") for sid in sorted(counts)]
            runs: dict[int, CrawlReport | None] = {}  # one run covers every source: read each once
            rows = tuple(_figures(store, runs, sid, name, org, counts.get(sid, 0)) for sid, name, org in listed)
        except KbError as exc:
            log.error("source reports: store unreadable: %s", exc)
            return SourcesOverview(tuple(SourceFigures(sid, name, org, 0) for sid, name, org in configured or []), "store")
        return SourcesOverview(rows, problem)


def _figures(store: Store, runs: dict[int, CrawlReport | None], sid: str, name: str, org: str, count: int) -> SourceFigures:
    history: list[dict[str, Any]] = store.source_history(sid, limit=HISTORY_RUNS)
    failures: tuple[tuple[str, str, str], ...] = ()
    by_reason: tuple[tuple[str, int], ...] = ()
    if history:
        run_id = int(history[0]["run_id"])
        if run_id not in runs:
            runs[run_id] = store.run_report(run_id)
        run = runs[run_id]
        report = run.sources.get(sid) if run else None
        if report is not None:
            failures = tuple(report.failures)
            by_reason = tuple(sorted(report.failed_by_reason().items(), key=lambda kv: (-kv[1], kv[0])))
    figures = tuple(RunFigures(str(h.get("started") or ""), str(h.get("status")), int(h.get("doc_count") or 0)) for h in history)
    return SourceFigures(sid, name, org, count, figures, failures, by_reason)


ReportsFactory = Callable[[Settings], SourceReports]
