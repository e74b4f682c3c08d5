"""The run's shared parts and a source's task machinery: setup task, one lane per origin, bookkeeping, polite requests."""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from crawler.fetch import Fetcher, FetchResult
from crawler.frontier import Lane
from crawler.politeness import HostGate
from crawler.robots import HostRobots, RobotsCache
from crawler.sitemaps import SitemapCache
from crawler.urls import BadUrl, normalize, origin, skipped_extension, trap_reason
from kb.errors import FetchError, StoreError
from kb.models import FetchState, SourceReport
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store, utcnow

log = logging.getLogger(__name__)

OVER_BUDGET = "max_pages"  # FetchError reason for a request refused because the source's max_pages is spent
ABORTED = "aborted"  # the run is being torn down; not a failure of the URL
CLAIMED = "redirect_to_claimed"  # a redirect to a URL this source fetches (or fetched) itself tonight: not followed
RESUME_KEY = "crawl_in_progress:"


@dataclass
class Run:
    """Everything shared by the workers of one crawl run (robots.txt, sitemaps and host gates across sources)."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    robots: RobotsCache
    gate: HostGate
    pool: ThreadPoolExecutor
    progress: bool = False
    night: int = 0  # the crawl-night counter of this run (the retry backoff counts nights)
    sitemaps: SitemapCache = field(default_factory=SitemapCache)
    abort: threading.Event = field(default_factory=threading.Event)  # set when the run is being torn down
    progress_lock: threading.Lock = field(default_factory=threading.Lock)
    pages: int = 0

    def tick(self, source: str) -> None:
        if not self.progress:
            return
        with self.progress_lock:
            self.pages += 1
            sys.stderr.write(f"\r  {self.pages} sidor ({source})   ")
            sys.stderr.flush()


def gate_key(url: str) -> str:
    """The politeness key of any URL (a redirect hop is not normalised yet): its normalised origin."""
    try:
        return origin(normalize(url))
    except BadUrl:
        return origin(url)


def record_internal_error(rep: SourceReport, source: Source, exc: BaseException) -> None:
    rep.failures.append((source.start_urls[0] if source.start_urls else source.id, "internal_error", f"{type(exc).__name__}: {exc}"[:300]))


class SourceLanes:
    """A source's share of a run: its frontier as one lane per origin, its lock-guarded bookkeeping and its requests.

    Subclasses provide ``setup()`` (the first task), ``visit(url, depth)`` and ``complete()`` (called once,
    after the source's last task has ended).
    """

    def __init__(self, run: Run, source: Source, done: Future[SourceReport], started: float) -> None:
        self.run_ = run
        self.settings = run.settings
        self.store = run.store
        self.source = source
        self.done = done
        self.started = started
        self.lock = threading.Lock()  # guards everything below except ``previous_docs`` (read-only)
        self.rep = SourceReport(source.id)
        self.allow_private = source.allow_private_network
        self.previous_docs = frozenset(self.store.document_urls(source.id))
        self.states = {s.url: s for s in self.store.iter_states(source.id)}
        self.seen: set[str] = set()
        self.frontier: dict[str, Lane] = {}
        self.dead_origins: dict[str, str] = {}
        self.host_failures: dict[str, int] = {}
        self.depth_cut: set[str] = set()  # admissible links not queued because of max_depth
        self.responses = 0
        self.requests = 0  # page requests: what max_pages counts
        self.other_requests = 0  # sitemap files: shared by every source on the host, so no source's max_pages pays
        self.cut_short = ""
        self.crashed = False
        self.fatal: StoreError | None = None
        self.setup_done = False
        self.tasks = 1  # the setup task, then the running lanes; the source ends when this drops to 0
        self.now = utcnow()
        self.deadline = time.monotonic() + source.max_time
        self.hops = threading.local()  # ``target``: the redirect target hop_check refused as CLAIMED in this thread

    # -- to be provided --------------------------------------------------------------
    def setup(self) -> None:
        raise NotImplementedError

    def visit(self, url: str, depth: int) -> None:
        raise NotImplementedError

    def complete(self) -> None:
        """Called once, after the source's last task has ended: settle it and hand over the report."""
        raise NotImplementedError

    # -- tasks on the run's pool ---------------------------------------------------------
    def task(self, body: Callable[[], None], lane: Lane | None) -> None:
        """Run one task's body; an unexpected exception stops the source (a StoreError the run), never the pool."""
        try:
            body()
        except StoreError as exc:
            # The store itself is broken (a full disk): every other source would fail the same way; the CLI exits 74.
            self.run_.abort.set()
            with self.lock:
                self.fatal = self.fatal or exc
        except Exception as exc:  # noqa: BLE001 — one source's bug must not cost the other sources their night
            log.exception("%s: internal error; the source's crawl was stopped, stored documents are kept", self.source.id)
            with self.lock:
                self.crashed = True
                record_internal_error(self.rep, self.source, exc)
        finally:
            self._task_done(lane)

    def stopping(self) -> bool:
        return bool(self.cut_short or self.crashed or self.fatal) or self.run_.abort.is_set()

    def _claim_idle_locked(self, keys: Iterable[str]) -> list[str]:
        """Mark the idle origins among ``keys`` that have work as running; the caller starts their lanes."""
        if not self.setup_done or self.stopping():
            return []
        out = []
        for key in keys:
            lane = self.frontier[key]
            if lane and not lane.running:
                lane.running = True
                self.tasks += 1
                out.append(key)
        return out

    def _start_lanes(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.run_.pool.submit(self.task, functools.partial(self._drain, key), self.frontier[key])
            except RuntimeError:  # the pool is shutting down: the run is over
                self.run_.abort.set()
                self._task_done(self.frontier[key])

    def _task_done(self, lane: Lane | None) -> None:
        with self.lock:
            if lane is not None:
                lane.running = False
            self.tasks -= 1
            # An origin whose lane ended just as a URL was queued for it is picked up here.
            start = self._claim_idle_locked(list(self.frontier))
            last = self.tasks == 0
        self._start_lanes(start)
        if last:
            self.complete()

    def _next(self, lane: Lane) -> tuple[str, int] | None:
        """The lane's next URL, or None when it is empty or the source must stop."""
        with self.lock:
            if self.stopping() or not lane:
                return None
            if self.requests >= self.source.max_pages:
                self.cut_short = self.cut_short or f"max_pages ({self.source.max_pages}) nådd"
                return None
            if time.monotonic() > self.deadline:
                self.cut_short = self.cut_short or f"max_time ({self.source.max_time:g} s) nådd"
                return None
            return lane.pop()

    def _drain(self, key: str) -> None:
        lane = self.frontier[key]
        while (item := self._next(lane)) is not None:
            self.visit(*item)
            self.run_.tick(self.source.id)

    def unvisited(self) -> int:
        """URLs still queued (after a cut-short crawl: links not followed)."""
        return sum(len(lane) for lane in self.frontier.values())

    # -- bookkeeping -----------------------------------------------------------------
    def fail_locked(self, url: str, reason: str, detail: str = "") -> None:
        log.warning("%s: %s failed: %s %s", self.source.id, url, reason, detail)
        self.rep.failures.append((url, reason, detail[:300]))

    def fail(self, url: str, reason: str, detail: str = "") -> None:
        with self.lock:
            self.fail_locked(url, reason, detail)

    def skip(self, url: str, reason: str, detail: str = "") -> None:
        """An informational skip: reported, never a failure."""
        log.info("%s: skip %s: %s %s", self.source.id, url, reason, detail)
        with self.lock:
            self.rep.skipped += 1
            self.rep.skips.append((url, reason, detail[:300]))

    def note_locked(self, note: str) -> None:
        log.warning("%s: %s", self.source.id, note)
        self.rep.notes.append(note)

    def state_for(self, url: str) -> FetchState:
        """The URL's fetch state, created if new; call with the lock held (or after every lane has ended)."""
        state = self.states.get(url)
        if state is None:
            state = FetchState(url=url, source=self.source.id, first_seen=self.now)
            self.states[url] = state
        return state

    def save_state(self, state: FetchState) -> None:
        self.store.put_state(state)

    # -- frontier --------------------------------------------------------------------
    def admissible(self, raw_url: str) -> str | None:
        """The normalised URL if it may be crawled at all (scope, file type, traps); no shared state touched."""
        try:
            url = normalize(raw_url, self.settings.max_url_length)
        except BadUrl as exc:
            log.info("%s: skip %s: %s", self.source.id, raw_url[:200], exc.reason)
            return None
        if not self.source.in_scope(url):
            log.debug("%s: skip %s: out_of_scope", self.source.id, url)
            return None
        if skipped_extension(url):
            log.debug("%s: skip %s: unwanted file type", self.source.id, url)
            return None
        trap = trap_reason(url)
        if trap:
            log.info("%s: skip %s: %s", self.source.id, url, trap)
            return None
        return url

    def enqueue_many(self, items: Iterable[tuple[str, int]], *, known: bool = False, persist: bool = True) -> None:
        """Claim the new URLs, persist their fetch state, then queue them on their origins (starting idle lanes)."""
        checked = [(url, depth) for raw, depth in items if (url := self.admissible(raw)) is not None]
        claimed: list[tuple[str, int]] = []
        to_save: list[FetchState] = []
        with self.lock:
            for url, depth in checked:
                if url in self.seen:
                    continue
                self.seen.add(url)
                claimed.append((url, depth))
                if persist and url not in self.states:
                    to_save.append(self.state_for(url))
        # The frontier is persisted so an interrupted crawl can resume from it. It is saved before any lane can
        # see the URL, so this save can never overwrite what the lane that fetches the URL saves later.
        for state in to_save:
            self.save_state(state)
        if not claimed:
            return
        with self.lock:
            touched = []
            for url, depth in claimed:
                key = origin(url)
                lane = self.frontier.setdefault(key, Lane())
                (lane.known if known else lane.fresh).append((url, depth))
                touched.append(key)
            start = self._claim_idle_locked(dict.fromkeys(touched))
        self._start_lanes(start)

    def follow(self, links: Iterable[tuple[str, bool]], depth: int) -> None:
        """Queue a page's links: pagination steps keep the page's depth, other links go one deeper up to max_depth."""
        items: list[tuple[str, int]] = []
        cut: list[str] = []
        for url, pagination in links:
            if pagination:
                items.append((url, depth))
            elif depth < self.source.max_depth:
                items.append((url, depth + 1))
            else:
                cut.append(url)
        self.enqueue_many(items)
        if cut:
            kept = [u for raw in cut if (u := self.admissible(raw)) is not None]
            with self.lock:
                self.depth_cut.update(kept)

    # -- politeness --------------------------------------------------------------------
    def robots(self, url: str) -> HostRobots | None:
        """The origin's robots rules, loaded politely; None when the origin is skipped for this run."""
        key = origin(url)
        if self.run_.abort.is_set():
            return None  # the run is being torn down: treat every host as skipped
        with self.lock:
            if key in self.dead_origins:
                return None
        cached = self.run_.robots.cached(url)
        if cached is None:
            with self.run_.gate.slot(key, self.source.delay):
                cached = self.run_.robots.get(url, self.allow_private)
        with self.lock:
            if key in self.dead_origins:
                return None
            if cached.unreachable:
                self.dead_origins[key] = cached.reason
                self.fail_locked(key + "/robots.txt", cached.reason, "värden hoppas över denna körning; lagrade dokument behålls")
                return None
            if cached.crawl_delay is not None and cached.crawl_delay > self.settings.max_crawl_delay:
                self.dead_origins[key] = "crawl_delay"
                limit = self.settings.max_crawl_delay
                self.note_locked(f"{key}: robots.txt begär Crawl-delay {cached.crawl_delay:g} s (över {limit:g} s); värden hoppades över")
                return None
        return cached

    def hop_check(self, url: str) -> str | None:
        """Refuse redirect targets that leave scope or are disallowed by robots.txt."""
        try:
            norm = normalize(url, self.settings.max_url_length)
        except BadUrl as exc:
            return exc.reason
        if not self.source.in_scope(norm):
            return "out_of_scope"
        rules = self.run_.robots.cached(norm)
        if rules is None:  # the fetcher holds no slot while it asks: the target's robots.txt waits for its own host's turn
            with self.run_.gate.slot(origin(norm), self.source.delay):
                rules = self.run_.robots.get(norm, self.allow_private)
        if not rules.allowed(norm, self.settings.user_agent):
            return "robots"
        with self.lock:
            claimed = norm in self.seen
        if claimed:
            # The target is (or was) fetched by its own visit tonight: downloading it here too would fetch it twice.
            self.hops.target = norm
            return CLAIMED
        return None

    def polite_fetch(self, url: str, delay: float, page: bool = True, **kwargs: object) -> FetchResult:
        """One request through the origin's gate; FetchError('max_pages') once the source's budget is spent.

        Only a ``page`` counts against max_pages: a sitemap file is read once per run for every source on its host,
        so whichever source happens to read it first must not pay for the others."""
        if self.run_.abort.is_set():
            raise FetchError(ABORTED, "", url)
        with self.lock:
            if not page:
                self.other_requests += 1
            elif self.requests >= self.source.max_pages:
                self.cut_short = self.cut_short or f"max_pages ({self.source.max_pages}) nådd"
                raise FetchError(OVER_BUDGET, "", url)
            else:
                self.requests += 1  # reserved before the request, so concurrent lanes never exceed max_pages
        first = gate_key(url)

        def slot(hop: str) -> AbstractContextManager[None]:
            # Every hop waits for its own host's turn: a redirect to another origin is spaced by that origin's delay.
            key = gate_key(hop)
            return self.run_.gate.slot(key, delay if key == first else self.hop_delay(hop))

        return self.run_.fetcher.fetch(url, allow_private=self.allow_private, slot=slot, **kwargs)  # type: ignore[arg-type]

    def hop_delay(self, url: str) -> float:
        """The politeness delay of a redirect target's host (its Crawl-delay counts, capped at max_crawl_delay)."""
        rules = self.run_.robots.cached(url)
        if rules is None or rules.unreachable:
            return self.source.delay
        return min(rules.effective_delay(self.source.delay), max(self.source.delay, self.settings.max_crawl_delay))
