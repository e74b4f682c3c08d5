"""The crawl loop: polite per-origin BFS, origins crawled concurrently, incremental via per-URL fetch state, safe against shrinking sites.

Concurrency. One run shares one ``ThreadPoolExecutor`` of ``settings.host_parallelism``
workers, so that setting bounds the whole run, however many sources and hosts it has.
Each source keeps its frontier per origin (scheme, host, port) — an :class:`_Origin`
with a queue of fresh URLs and one of already-known URLs — and the pool runs whole
origins: a task first sets the source up (start URLs, robots.txt, sitemaps, the known
URLs), then one *lane* task per origin drains that origin's queues. A source never
has two lanes on one origin, so its origins proceed side by side while each origin
gets one request at a time; a slow host stalls only its own lane. A lane that finds
a link to an idle origin starts that origin's lane; the last task of a source to end
runs :meth:`_SourceCrawl.finish`. No task ever waits for another task, so the bounded
pool cannot deadlock.

Politeness across sources. :class:`HostGate` serialises requests per origin across
all workers and spaces them by the effective delay (max(source.delay, robots
Crawl-delay)), so two sources on one host stay polite — by design they then take
turns on that host. Known limit (unchanged): a redirect hop to another origin is
followed inside the first origin's slot, so it is not spaced by the target's gate.

Bookkeeping. A source's shared state (``seen``, ``states``, ``confirmed``, ``gone``,
``dead_origins``, ``host_failures``, the frontier, the report and its counters) is
guarded by one lock per source, ``_SourceCrawl.lock``. It is held only for
bookkeeping — never across a request, a robots.txt fetch, extraction or a store
write. A URL's ``FetchState`` is owned by the one lane that claimed the URL (claiming
adds it to ``seen`` under the lock), so its fields are changed and saved without the
lock. ``max_pages`` is a budget reserved under the lock before each request, so it is
never exceeded however many lanes run; ``max_time`` is checked before each URL.
Either limit, an internal error or an aborted run stops every lane of the source
after its current request. A new URL's fetch state is persisted before any lane can
see the URL, and the ``crawl_in_progress:`` marker is cleared only after
:meth:`_SourceCrawl.finish`, so an interrupted crawl resumes from its stored frontier.

Nothing is deleted during the crawl: URLs confirmed gone (404/410, left scope,
noindex, now disallowed) are collected and, at the end of the source, counted
towards ``settings.gone_after_runs`` — unless the source shrank below
``settings.min_keep_share`` of its stored documents, in which case nothing is
removed and a note explains why.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from kb.errors import ExtractError, FetchError, StoreError
from kb.models import CrawlReport, Document, FetchState, SourceReport
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store, utcnow

from crawler.dedup import dedupe_store, simhash
from crawler.extract.worker import close_default_pool
from crawler.fetch import Fetcher, FetchResult
from crawler.robots import HostRobots, RobotsCache
from crawler.sitemaps import SITEMAP_MAX_BYTES, read_sitemaps
from crawler.urls import BadUrl, normalize, origin, skipped_extension, trap_reason

log = logging.getLogger(__name__)

# Failures that say nothing about the page itself: the stored document is kept and the host may be dropped.
TRANSIENT = frozenset({"timeout", "connection", "dns", "tls", "http_429", "http_500", "http_502", "http_503", "http_504"})
GONE = frozenset({"http_404", "http_410"})
REVISIT_STATUSES = frozenset({"ok", "not_modified", "not_indexable", "new", "error", "redirect"})
_REFUSED_TYPES = ("image/", "video/", "audio/", "font/", "text/css", "text/javascript", "application/javascript", "application/json")
RESUME_KEY = "crawl_in_progress:"
# A sitemap lastmod lets a document skip its request only this long after it was last fetched: a page deleted
# from the site but left in the sitemap (old lastmod) is still re-validated (a cheap conditional GET) and its
# 404 noticed.
SITEMAP_TRUST = timedelta(days=7)
_OVER_BUDGET = "max_pages"  # FetchError reason for a request refused because the source's max_pages is spent
_ABORTED = "aborted"  # the run is being torn down; not a failure of the URL


def accept_document_type(content_type: str | None, url: str) -> bool:
    """Refuse media, fonts and scripts before their bodies are downloaded; extraction sniffs the rest."""
    return content_type is None or not content_type.startswith(_REFUSED_TYPES)


class HostGate:
    """One request at a time per origin, spaced by at least the delay from the end of the previous one."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    @contextmanager
    def slot(self, key: str, delay: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            last = self._last.get(key)
            if last is not None:
                wait = last + delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                self._last[key] = self._clock()


@dataclass
class _Run:
    """Everything shared by the workers of one crawl run."""

    settings: Settings
    store: Store
    fetcher: Fetcher
    robots: RobotsCache
    gate: HostGate
    pool: ThreadPoolExecutor
    progress: bool = False
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


@dataclass
class _Origin:
    """One origin's share of a source's frontier; ``running`` while a lane task drains it."""

    fresh: deque[tuple[str, int]] = field(default_factory=deque)
    known: deque[tuple[str, int]] = field(default_factory=deque)
    running: bool = False

    def __bool__(self) -> bool:
        return bool(self.fresh or self.known)

    def pop(self) -> tuple[str, int]:
        return self.fresh.popleft() if self.fresh else self.known.popleft()


def x_robots_tag(value: str, user_agent: str) -> tuple[bool, bool]:
    """(noindex, nofollow) from an X-Robots-Tag header; ``bot: directives`` apply only to a bot named in our agent."""
    noindex = nofollow = False
    agent = user_agent.lower()
    for part in value.split(","):
        bot, sep, rest = part.partition(":")
        if sep and " " not in bot.strip() and bot.strip().lower() not in ("unavailable_after",):
            if bot.strip().lower() not in agent:
                continue
            part = rest
        directive = part.strip().lower()
        noindex = noindex or directive in ("noindex", "none")
        nofollow = nofollow or directive in ("nofollow", "none")
    return noindex, nofollow


def crawl(
    settings: Settings,
    sources: list[Source],
    store: Store,
    only: list[str] | None = None,
    progress: bool = False,
    *,
    fetcher: Fetcher | None = None,
) -> CrawlReport:
    """Crawl every enabled source (or those in ``only``), save per-source reports, group duplicates."""
    run_id = store.start_run("crawl")
    report = CrawlReport(run_id=run_id, started=utcnow())
    selected = [s for s in sources if only is None or s.id in only]
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    status = "failed"
    try:
        enabled = [s for s in selected if s.enabled]
        for s in selected:
            if not s.enabled:
                rep = SourceReport(s.id, status="skipped", notes=["källan är avstängd (enabled: false)"])
                store.save_source_report(run_id, rep)
                report.sources[s.id] = rep
        with ThreadPoolExecutor(max_workers=max(1, settings.host_parallelism), thread_name_prefix="crawl") as pool:
            run = _Run(settings, store, fetcher, RobotsCache(fetcher, settings), HostGate(), pool, progress)
            futures = {s.id: _SourceCrawl.launch(run, s) for s in enabled}
            try:
                for sid, future in futures.items():
                    rep = future.result()
                    store.save_source_report(run_id, rep)
                    report.sources[sid] = rep
            except BaseException:
                # A broken store or Ctrl-C: every lane stops after its current request, and the pool's
                # shutdown waits only that long. The sources' resume markers stay set.
                run.abort.set()
                raise
        if progress:
            sys.stderr.write("\n")
        dedupe_store(store)
        status = "ok" if not report.any_failed else ("unreachable" if report.all_unreachable else "partial")
    finally:
        report.finished = utcnow()
        summary = {sid: {"status": r.status, "fetched": r.fetched, "new": r.new, "changed": r.changed, "removed": r.removed, "failed": r.failed} for sid, r in report.sources.items()}
        store.finish_run(run_id, status, summary=summary)
        if own_fetcher:
            fetcher.close()
        close_default_pool()  # parser processes are not needed between crawls (e.g. while kb demo serves)
    return report


def _record_internal_error(rep: SourceReport, source: Source, exc: BaseException) -> None:
    rep.failures.append((source.start_urls[0] if source.start_urls else source.id, "internal_error", f"{type(exc).__name__}: {exc}"[:300]))


class _SourceCrawl:
    """One source's crawl within a run: a setup task, then one lane task per origin on the run's pool."""

    def __init__(self, run: _Run, source: Source, done: Future[SourceReport], started: float) -> None:
        self.run_ = run
        self.settings = run.settings
        self.store = run.store
        self.source = source
        self.done = done
        self.started = started
        self.lock = threading.Lock()  # guards everything below except ``previous_docs``/``before_count`` (read-only)
        self.rep = SourceReport(source.id)
        self.allow_private = source.allow_private_network
        self.previous_docs = frozenset(self.store.document_urls(source.id))
        self.before_count = len(self.previous_docs)
        self.states = {s.url: s for s in self.store.iter_states(source.id)}
        self.seen: set[str] = set()
        self.confirmed: set[str] = set()  # stored documents known to still exist
        self.gone: dict[str, str] = {}  # url -> reason, decided at the end
        self.frontier: dict[str, _Origin] = {}
        self.sitemap_lastmod: dict[str, datetime] = {}  # written by the setup only, read by lanes after it
        self.dead_origins: dict[str, str] = {}
        self.host_failures: dict[str, int] = {}
        self.responses = 0
        self.requests = 0
        self.cut_short = ""
        self.crashed = False
        self.fatal: StoreError | None = None
        self.setup_done = False
        self.tasks = 1  # the setup task, then the running lanes; the source ends when this drops to 0
        self.now = utcnow()
        self.resume_since: datetime | None = None
        self.deadline = time.monotonic() + source.max_time

    # -- tasks on the run's pool ---------------------------------------------------------
    @classmethod
    def launch(cls, run: _Run, source: Source) -> Future[SourceReport]:
        """Queue the source's setup on the run's pool; the future gets its report (or a StoreError)."""
        done: Future[SourceReport] = Future()
        run.pool.submit(cls._start, run, source, done)
        return done

    @classmethod
    def _start(cls, run: _Run, source: Source, done: Future[SourceReport]) -> None:
        started = time.monotonic()
        if run.abort.is_set():  # the run is being torn down (Ctrl-C, a broken store): send nothing more
            done.set_result(SourceReport(source.id, status="skipped", notes=["körningen avbröts innan källan startade"]))
            return
        try:
            job = cls(run, source, done, started)
        except StoreError as exc:
            run.abort.set()
            done.set_exception(exc)
            return
        except Exception as exc:  # noqa: BLE001 — one source's bug must not cost the other sources their night
            log.exception("%s: internal error; the source's crawl was stopped, stored documents are kept", source.id)
            rep = SourceReport(source.id, status="failed")
            _record_internal_error(rep, source, exc)
            rep.failed = len(rep.failures)
            rep.notes.append(f"internt fel, crawlningen av källan avbröts: {type(exc).__name__}: {exc}"[:300])
            rep.seconds = round(time.monotonic() - started, 3)
            done.set_result(rep)
            return
        job._task(job.setup, None)

    def _task(self, body: Callable[[], None], lane: _Origin | None) -> None:
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
                _record_internal_error(self.rep, self.source, exc)
        finally:
            self._task_done(lane)

    def _stopping(self) -> bool:
        return bool(self.cut_short or self.crashed or self.fatal) or self.run_.abort.is_set()

    def _claim_idle_locked(self, keys: Iterable[str]) -> list[str]:
        """Mark the idle origins among ``keys`` that have work as running; the caller starts their lanes."""
        if not self.setup_done or self._stopping():
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
                self.run_.pool.submit(self._task, lambda k=key: self._drain(k), self.frontier[key])
            except RuntimeError:  # the pool is shutting down: the run is over
                self.run_.abort.set()
                self._task_done(self.frontier[key])

    def _task_done(self, lane: _Origin | None) -> None:
        with self.lock:
            if lane is not None:
                lane.running = False
            self.tasks -= 1
            # An origin whose lane ended just as a URL was queued for it is picked up here.
            start = self._claim_idle_locked(list(self.frontier))
            last = self.tasks == 0
        self._start_lanes(start)
        if last:
            self._complete()

    def _next(self, lane: _Origin) -> tuple[str, int] | None:
        """The lane's next URL, or None when it is empty or the source must stop."""
        with self.lock:
            if self._stopping() or not lane:
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

    def _complete(self) -> None:
        """The source's last task has ended: settle the gone documents, clear the resume marker, hand over the report."""
        rep = self.rep
        try:
            if self.fatal is not None:
                self.done.set_exception(self.fatal)
                return
            if not self.crashed and not self.run_.abort.is_set():
                try:
                    self.finish()
                    self.store.set_meta(RESUME_KEY + self.source.id, "")
                except StoreError as exc:
                    self.run_.abort.set()
                    self.done.set_exception(exc)
                    return
                except Exception as exc:  # noqa: BLE001
                    log.exception("%s: internal error; the source's crawl was stopped, stored documents are kept", self.source.id)
                    self.crashed = True
                    _record_internal_error(rep, self.source, exc)
            if self.crashed or self.run_.abort.is_set():
                # The resume marker stays set: the next run skips what this one already fetched.
                rep.failed = len(rep.failures)
                progressed = rep.fetched or rep.new or rep.changed or rep.unchanged
                rep.status = "partial" if progressed else "failed"
                if self.crashed:
                    detail = next(d for _u, r, d in rep.failures if r == "internal_error")
                    rep.notes.append(f"internt fel, crawlningen av källan avbröts: {detail}"[:300])
                else:
                    rep.notes.append("körningen avbröts")
            rep.seconds = round(time.monotonic() - self.started, 3)
            log.info(
                "%s: %s; fetched %d, new %d, changed %d, unchanged %d, removed %d, failed %d",
                self.source.id, rep.status, rep.fetched, rep.new, rep.changed, rep.unchanged, rep.removed, rep.failed,
            )
            self.done.set_result(rep)
        except BaseException as exc:  # the main thread waits on this future: it must always be settled
            if not self.done.done():
                self.done.set_exception(exc)
            raise

    # -- bookkeeping -----------------------------------------------------------------
    def _fail_locked(self, url: str, reason: str, detail: str = "") -> None:
        log.warning("%s: %s failed: %s %s", self.source.id, url, reason, detail)
        self.rep.failures.append((url, reason, detail[:300]))

    def fail(self, url: str, reason: str, detail: str = "") -> None:
        with self.lock:
            self._fail_locked(url, reason, detail)

    def _note_locked(self, note: str) -> None:
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
    def _admissible(self, raw_url: str) -> str | None:
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

    def enqueue(self, raw_url: str, depth: int, *, known: bool = False, persist: bool = True) -> None:
        self.enqueue_many([(raw_url, depth)], known=known, persist=persist)

    def enqueue_many(self, items: Iterable[tuple[str, int]], *, known: bool = False, persist: bool = True) -> None:
        """Claim the new URLs, persist their fetch state, then queue them on their origins (starting idle lanes)."""
        checked = [(url, depth) for raw, depth in items if (url := self._admissible(raw)) is not None]
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
                lane = self.frontier.setdefault(key, _Origin())
                (lane.known if known else lane.fresh).append((url, depth))
                touched.append(key)
            start = self._claim_idle_locked(dict.fromkeys(touched))
        self._start_lanes(start)

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
                self._fail_locked(key + "/robots.txt", cached.reason, "värden hoppas över denna körning; lagrade dokument behålls")
                return None
            if cached.crawl_delay is not None and cached.crawl_delay > self.settings.max_crawl_delay:
                self.dead_origins[key] = "crawl_delay"
                self._note_locked(
                    f"{key}: robots.txt begär Crawl-delay {cached.crawl_delay:g} s (över {self.settings.max_crawl_delay:g} s); värden hoppades över"
                )
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
        rules = self.run_.robots.get(norm, self.allow_private)  # no gate: we already hold another origin's slot
        if not rules.allowed(norm, self.settings.user_agent):
            return "robots"
        return None

    def polite_fetch(self, url: str, delay: float, **kwargs: object) -> FetchResult:
        """One request through the origin's gate; FetchError('max_pages') once the source's budget is spent."""
        if self.run_.abort.is_set():
            raise FetchError(_ABORTED, "", url)
        with self.lock:
            if self.requests >= self.source.max_pages:
                self.cut_short = self.cut_short or f"max_pages ({self.source.max_pages}) nådd"
                raise FetchError(_OVER_BUDGET, "", url)
            self.requests += 1  # reserved before the request, so concurrent lanes never exceed max_pages
        with self.run_.gate.slot(origin(url), delay):
            return self.run_.fetcher.fetch(url, allow_private=self.allow_private, **kwargs)  # type: ignore[arg-type]

    # -- the run -------------------------------------------------------------------------
    def setup(self) -> None:
        """The first task: resume marker, start URLs, sitemaps and the known URLs; lanes start when it ends."""
        key = RESUME_KEY + self.source.id
        marker = self.store.get_meta(key)
        if marker:
            self.resume_since = datetime.fromisoformat(marker)
            log.info("%s: resuming an interrupted crawl started %s", self.source.id, marker)
        else:
            self.store.set_meta(key, self.now.isoformat())
        self.enqueue_many((url, 0) for url in self.source.start_urls)
        self.read_sitemaps()
        with self.lock:
            states = sorted(self.states.values(), key=lambda s: s.url)
        self.enqueue_many(((s.url, 1) for s in states if s.status in REVISIT_STATUSES or s.url in self.previous_docs), known=True, persist=False)
        self.enqueue_many(((url, 1) for url in sorted(self.previous_docs)), known=True, persist=False)
        with self.lock:
            self.setup_done = True  # _task_done now starts a lane for every origin with work

    def read_sitemaps(self) -> None:
        urls = list(self.source.sitemaps)
        for start in self.source.start_urls:
            try:
                rules = self.robots(normalize(start, self.settings.max_url_length))
            except BadUrl:
                continue
            if rules is not None:
                urls.extend(rules.sitemaps)
        urls = list(dict.fromkeys(urls))
        if not urls:
            return

        def fetch(url: str) -> FetchResult:
            rules = self.robots(url)
            if rules is None:
                raise FetchError("host_skipped", "", url)
            if not rules.allowed(url, self.settings.user_agent):
                raise FetchError("robots", "", url)
            return self.polite_fetch(url, rules.effective_delay(self.source.delay), max_bytes=SITEMAP_MAX_BYTES)

        entries, failures = read_sitemaps(fetch, urls)
        for url, reason, detail in failures:
            if reason == "sitemap_" + _OVER_BUDGET or self.run_.abort.is_set():
                continue  # not a failure: the crawl is cut short (and says so) or the run is torn down
            self.fail(url, reason, detail)
        fresh: list[tuple[str, int]] = []
        with self.lock:
            for entry in entries:
                try:
                    url = normalize(entry.url, self.settings.max_url_length)
                except BadUrl:
                    continue
                state = self.states.get(url)
                if (
                    entry.lastmod is not None
                    and url in self.previous_docs
                    and state is not None
                    and state.status in ("ok", "not_modified")
                    and state.last_fetched is not None
                    and entry.lastmod <= state.last_fetched
                    and self.now - state.last_fetched < SITEMAP_TRUST
                    and url not in self.seen
                    and self.source.in_scope(url)
                ):
                    # Unchanged according to the sitemap and checked recently: no request at all.
                    self.seen.add(url)
                    self.confirmed.add(url)
                    self.rep.unchanged += 1
                    log.debug("%s: %s unchanged since %s (sitemap lastmod)", self.source.id, url, entry.lastmod)
                    continue
                if entry.lastmod is not None:
                    self.sitemap_lastmod[url] = entry.lastmod
                fresh.append((url, 1))
        self.enqueue_many(fresh)

    def visit(self, url: str, depth: int) -> None:
        """Fetch one claimed URL; only the lane of the URL's origin calls this, so the URL's state is its own."""
        source = self.source
        with self.lock:
            state = self.state_for(url)
            if (
                self.resume_since is not None
                and state.last_fetched is not None
                and state.last_fetched >= self.resume_since
                and state.status in ("ok", "not_modified", "not_indexable")
            ):
                log.debug("%s: %s already fetched by the interrupted run", source.id, url)
                if url in self.previous_docs:
                    self.confirmed.add(url)
                self.rep.unchanged += 1
                return
        rules = self.robots(url)
        if rules is None:
            log.debug("%s: skip %s: host skipped this run", source.id, url)
            return
        if not rules.allowed(url, self.settings.user_agent):
            log.info("%s: skip %s: robots", source.id, url)
            if url in self.previous_docs:
                with self.lock:
                    self.gone[url] = "robots"
            return
        conditional = url in self.previous_docs or state.status == "not_indexable"
        try:
            result = self.polite_fetch(
                url,
                rules.effective_delay(source.delay),
                etag=state.etag if conditional else None,
                last_modified=state.last_modified if conditional else None,
                hop_check=self.hop_check,
                accept_type=accept_document_type,
            )
        except FetchError as exc:
            if exc.reason not in (_OVER_BUDGET, _ABORTED):  # over budget or aborted: left unfetched, for the next run
                self.on_error(url, state, exc)
            return
        with self.lock:
            self.responses += 1
            self.host_failures[origin(url)] = 0
            if result.not_modified:
                self.rep.unchanged += 1
                if url in self.previous_docs:
                    self.confirmed.add(url)
            else:
                self.rep.fetched += 1
                self.rep.bytes += len(result.body)
        state.last_fetched = utcnow()
        state.failures = 0
        state.reason = None
        state.http_status = result.status
        if url in self.sitemap_lastmod:
            state.sitemap_lastmod = self.sitemap_lastmod[url]
        if result.not_modified:
            if url in self.previous_docs:
                state.status = "not_modified"
            state.gone_count = 0
            self.save_state(state)
            return
        self.on_body(url, depth, state, result)

    def on_error(self, url: str, state: FetchState, exc: FetchError) -> None:
        reason = exc.reason
        state.reason = reason
        state.last_fetched = utcnow()
        state.http_status = int(reason[5:]) if reason.startswith("http_") and reason[5:].isdigit() else None
        if reason in GONE or reason == "out_of_scope":
            state.status = "gone"
        else:
            state.status = "error"
            state.failures += 1
        with self.lock:
            self._fail_locked(url, reason, exc.detail)
            if reason in GONE or reason == "out_of_scope":
                self.responses += 1
                if url in self.previous_docs:
                    self.gone[url] = reason
            elif reason in TRANSIENT:
                key = origin(url)
                self.host_failures[key] = self.host_failures.get(key, 0) + 1
                if self.host_failures[key] >= self.settings.host_failure_limit and key not in self.dead_origins:
                    self.dead_origins[key] = "host_failures"
                    self._note_locked(f"{key}: {self.host_failures[key]} fel i rad; värden hoppades över resten av körningen")
            else:
                self.responses += 1  # the host answered; the page itself is the problem
        self.save_state(state)

    def on_body(self, url: str, depth: int, state: FetchState, result: FetchResult) -> None:
        from crawler.extract import extract, sniff_format

        source = self.source
        try:
            final = normalize(result.final_url, self.settings.max_url_length)
        except BadUrl:
            final = url
        if final != url:
            state.status = "redirect"
            self.save_state(state)
            with self.lock:
                # Claiming the target under the lock makes this lane its only visitor (its state is ours now).
                if final in self.seen:
                    log.debug("%s: %s redirects to %s, already visited", source.id, url, final)
                    return
                self.seen.add(final)
                if url in self.previous_docs:
                    self.gone[url] = "redirect"
                state = self.state_for(final)
            state.last_fetched = utcnow()
            state.http_status = result.status
        fmt = sniff_format(result.body, final, result.content_type)
        if fmt is None:
            log.info("%s: skip %s: unsupported_type %s", source.id, final, result.content_type)
            state.status, state.reason = "skipped", "unsupported_type"
            self.save_state(state)
            return
        try:
            ex = extract(
                result.body, final, result.content_type,
                content_selector=source.content_selector, drop_selectors=source.drop_selectors,
                timeout=self.settings.parse_timeout,
            )
        except ExtractError as exc:
            state.status, state.reason = "error", "extract_" + exc.reason.replace(" ", "_")
            self.fail(final, state.reason, exc.detail)
            self.save_state(state)
            return
        header_noindex, header_nofollow = x_robots_tag(result.headers.get("x-robots-tag", ""), self.settings.user_agent)
        ex.robots_noindex = ex.robots_noindex or header_noindex
        ex.robots_nofollow = ex.robots_nofollow or header_nofollow
        if not ex.robots_nofollow and depth < source.max_depth:
            self.enqueue_many((link.url, depth + 1) for link in ex.links if not link.nofollow)
        if ex.canonical:
            try:
                canonical = normalize(ex.canonical, self.settings.max_url_length)
            except BadUrl:
                canonical = final
            if canonical != final and source.in_scope(canonical):
                log.info("%s: %s names canonical %s; not stored under its own URL", source.id, final, canonical)
                self.enqueue(canonical, depth)
                state.status, state.reason = "not_indexable", "canonical"
                if final in self.previous_docs:
                    with self.lock:
                        self.gone[final] = "canonical"
                self.save_state(state)
                return
        if ex.robots_noindex or not source.indexable(final):
            why = "noindex" if ex.robots_noindex else "follow_only"
            log.info("%s: not stored %s: %s", source.id, final, why)
            state.status, state.reason = "not_indexable", why
            state.etag, state.last_modified = result.headers.get("etag"), result.headers.get("last-modified")
            if final in self.previous_docs:
                with self.lock:
                    self.gone[final] = why
            self.save_state(state)
            return
        if ex.soft_404:
            # Keep whatever was stored before: an error or login page must not overwrite a real document.
            state.status, state.reason = "error", "soft_404"
            self.fail(final, "soft_404", ex.title[:100])
            self.save_state(state)
            return
        doc = Document(
            url=final, source=source.id, organisation=source.organisation,
            title=ex.title.strip() or final, text=ex.text, format=ex.format or fmt,
            description=ex.description, headings=list(ex.headings), published=ex.published, modified=ex.modified,
            language=ex.language, page_count=ex.page_count, size=len(result.body),
        )
        doc.simhash = simhash(doc.text)
        outcome = self.store.put_document(doc)
        with self.lock:
            if outcome == "new":
                self.rep.new += 1
            elif outcome == "changed":
                self.rep.changed += 1
            else:
                self.rep.unchanged += 1
            self.confirmed.add(final)
        if outcome != "unchanged":
            state.last_changed = utcnow()
        state.status, state.reason = "ok", None
        state.content_hash = doc.content_hash
        state.etag = result.headers.get("etag")
        state.last_modified = result.headers.get("last-modified")
        state.gone_count = 0
        state.failures = 0
        self.save_state(state)

    def finish(self) -> None:
        """Settle the source once every lane has ended (so no lock is needed): gone documents, status, notes."""
        rep, source = self.rep, self.source
        # Stored documents that have left scope (sources.yaml changed) count as gone.
        for url in self.previous_docs:
            if url not in self.seen and not source.indexable(url):
                self.gone.setdefault(url, "out_of_scope")
        before = self.before_count
        kept = len(self.confirmed)
        rep.failed = len(rep.failures)
        shrunk = before > 0 and kept < self.settings.min_keep_share * before
        if shrunk:
            note = (
                f"bara {kept} av {before} lagrade dokument bekräftades ({kept / before:.0%} < {self.settings.min_keep_share:.0%}); "
                "inget togs bort denna körning"
            )
            log.warning("%s: %s", source.id, note)
            rep.notes.append(note)
        else:
            for url, reason in sorted(self.gone.items()):
                state = self.state_for(url)
                state.gone_count += 1
                if state.gone_count >= self.settings.gone_after_runs:
                    if self.store.delete_document(url):
                        rep.removed += 1
                        log.info("%s: removed %s (%s, %d runs)", source.id, url, reason, state.gone_count)
                    state.status = "gone"
                else:
                    log.info("%s: %s gone (%s), run %d of %d before removal", source.id, url, reason, state.gone_count, self.settings.gone_after_runs)
                self.save_state(state)
        if self.responses == 0 and rep.unchanged == 0 and (self.requests > 0 or self.dead_origins):
            rep.status = "unreachable"
        elif self.cut_short or self.dead_origins or any(r in TRANSIENT for _u, r, _d in rep.failures):
            rep.status = "partial"
        if self.cut_short:
            rep.notes.append(self.cut_short)
