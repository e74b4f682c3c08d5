"""Generation lifecycle: find the published generation, swap it in, retire the old one, watch in the background."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.generation import Generation, resolve_current
from kb.taxonomy import Taxonomy

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 1.0


class GenerationHolder:
    """The generation ``current`` points at, opened once and swapped only when ``current`` points elsewhere.

    Searches take a reference (``_using``) and never wait for a reload; a retired generation is closed
    after its last reader. Subclasses clear what they derived from the old generation in ``_swapped``.
    """

    def __init__(self, index_root: Path, taxonomy: Taxonomy, semantic: bool = True) -> None:
        self._index_root = index_root
        self._taxonomy = taxonomy
        self._semantic = semantic  # False: a generation's vectors are not used (KB_SEMANTIC=false)
        # Held only while looking for and opening a new generation; searches never take it.
        self._lock = threading.RLock()
        self._gen: Generation | None = None
        self._target: Path | None = None
        self._failed: Path | None = None  # a generation that could not be opened (not retried)
        self._checked = 0.0
        self._closed = False
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    def _swapped(self) -> None:
        """Called under the reload lock right after a new generation (or none) became current."""

    def reload(self) -> bool:
        """Look for a newly published generation now (waiting for a reload in progress); True when swapped."""
        return self._maybe_reload(force=True)

    def _maybe_reload(self, force: bool = False) -> bool:
        """Swap in the generation ``current`` points at, at most once per RELOAD_CHECK_SECONDS.

        Unforced calls never wait: when another thread is already reloading they keep the current generation.
        The old generation is retired, not closed: callers still using it finish first."""
        if not force and time.monotonic() - self._checked < RELOAD_CHECK_SECONDS:
            return False
        if not self._lock.acquire(blocking=force):
            return False
        old: Generation | None = None
        try:
            if self._closed or (not force and time.monotonic() - self._checked < RELOAD_CHECK_SECONDS):
                return False
            self._checked = time.monotonic()
            target = resolve_current(self._index_root)
            if target == self._target and (self._gen is not None or target is None):
                return False
            if target is not None and target == self._failed:
                return False  # generations are immutable: a directory that failed to open stays broken
            new: Generation | None = None
            if target is not None:
                try:
                    new = Generation(target, self._taxonomy, self._semantic)
                except Exception:
                    log.exception("cannot open index generation %s; keeping the previous one", target)
                    self._failed = target
                    return False
            old = self._gen
            self._gen, self._target = new, target  # before retiring old: a refused acquire() finds the new one
            self._swapped()
        finally:
            self._lock.release()
        if old is not None:
            old.retire()
        return True

    def _acquire(self) -> Generation | None:
        while True:
            gen = self._gen
            if gen is None or gen.acquire():
                return gen
            # retired between the read and acquire(): self._gen already holds its successor

    @contextmanager
    def _using(self) -> Iterator[Generation | None]:
        """The current generation, referenced for the duration of the block (never closed under the caller)."""
        if self._watcher is None:  # with a watcher, requests never spend time opening an index
            self._maybe_reload()
        gen = self._acquire()
        try:
            yield gen
        finally:
            if gen is not None:
                gen.release()

    def start_watching(self, interval: float | None = None) -> None:
        """Check for new generations in a background thread, so no request has to open an index (idempotent)."""
        with self._lock:
            if self._watcher is not None or self._closed:
                return
            self._watcher = threading.Thread(target=_watch, args=(weakref.ref(self), self._stop, interval),
                                             name="kb-index-watcher", daemon=True)
            self._watcher.start()

    # Lock-free snapshots: safe to read on an event loop.
    @property
    def available(self) -> bool:
        """True while a published generation is open."""
        return self._gen is not None

    @property
    def generation(self) -> str:
        """Name of the open generation ("" when none)."""
        gen = self._gen
        return gen.name if gen else ""

    @property
    def doc_count(self) -> int:
        """Documents in the open generation (duplicates counted once; 0 when none)."""
        gen = self._gen
        return gen.doc_count if gen else 0

    @property
    def ranks_by_meaning(self) -> bool:
        """True when questions are re-ranked by meaning: the open generation has vectors and they are used."""
        gen = self._gen
        return gen is not None and gen.vectors is not None

    @property
    def built_at(self) -> str:
        """``built_at`` from the generation's generation.json ("" when unknown)."""
        gen = self._gen
        return str(gen.meta.get("built_at") or "") if gen else ""

    def close(self) -> None:
        """Stop watching and retire the open generation (closed once its last reader is done)."""
        self._stop.set()
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout=10)
        with self._lock:
            gen = self._gen
            self._gen = None
            self._target = None
            self._closed = True
            self._checked = float("inf")
        if gen is not None:
            gen.retire()


def _watch(ref: weakref.ref[GenerationHolder], stop: threading.Event, interval: float | None) -> None:
    """The background reloader: holds the service only weakly, stops with close() or when it is gone."""
    while not stop.wait(RELOAD_CHECK_SECONDS if interval is None else interval):
        holder = ref()
        if holder is None:
            return
        try:
            holder._maybe_reload()
        except Exception:  # keep watching: the next publish may be fine
            log.exception("checking for a new index generation failed")
        del holder
