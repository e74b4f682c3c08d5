"""The crawl loop: polite per-host BFS per source, incremental via per-URL fetch state, safe against shrinking sites.

Sources are crawled in parallel (``settings.host_parallelism`` workers); within a
source the crawl is sequential. A :class:`HostGate` serialises requests per
origin (scheme, host, port) across all workers and spaces them by the effective
delay (max(source.delay, robots Crawl-delay)), so two sources on one host stay
polite — by design they then take turns on that host.

Known limit, and the planned design: a source whose start URLs span several
hosts crawls them one after another, since one worker drains the source's
single frontier. To run its hosts concurrently, split the frontier per origin
(``dict[origin, deque]``) and give the source up to ``host_parallelism`` worker
threads, each taking whole origins (never two workers on one origin, so the
HostGate is never contended by the same source); the shared bookkeeping
(``seen``, ``states``, ``gone``, ``confirmed``, ``dead_origins``,
``host_failures``, the report counters and ``max_pages``/``max_time``) moves
behind one lock held only for bookkeeping, never across a request. The
workers of all sources would then share one bounded pool, so
``host_parallelism`` bounds the whole run. Not done yet: it touches every
method of :class:`_SourceCrawl`.

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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterator

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
    progress: bool = False
    progress_lock: threading.Lock = field(default_factory=threading.Lock)
    pages: int = 0

    def tick(self, source: str) -> None:
        if not self.progress:
            return
        with self.progress_lock:
            self.pages += 1
            sys.stderr.write(f"\r  {self.pages} sidor ({source})   ")
            sys.stderr.flush()


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
    run = _Run(settings, store, fetcher, RobotsCache(fetcher, settings), HostGate(), progress)
    status = "failed"
    try:
        enabled = [s for s in selected if s.enabled]
        for s in selected:
            if not s.enabled:
                rep = SourceReport(s.id, status="skipped", notes=["källan är avstängd (enabled: false)"])
                store.save_source_report(run_id, rep)
                report.sources[s.id] = rep
        with ThreadPoolExecutor(max_workers=max(1, settings.host_parallelism), thread_name_prefix="crawl") as pool:
            futures = {s.id: pool.submit(_crawl_source_logged, run, s) for s in enabled}
            for sid, future in futures.items():
                rep = future.result()
                store.save_source_report(run_id, rep)
                report.sources[sid] = rep
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


def _crawl_source_logged(run: _Run, source: Source) -> SourceReport:
    """Crawl one source; an unexpected exception becomes this source's failure, never the whole run's.

    A StoreError still aborts the run: the store itself is broken (a full disk), and every other
    source would fail the same way; the CLI turns it into exit 74.
    """
    started = time.monotonic()
    job: _SourceCrawl | None = None
    try:
        job = _SourceCrawl(run, source)
        rep = job.run()
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 — one source's bug must not cost the other sources their night
        log.exception("%s: internal error; the source's crawl was stopped, stored documents are kept", source.id)
        rep = job.rep if job is not None else SourceReport(source.id)
        rep.failures.append((source.start_urls[0] if source.start_urls else source.id, "internal_error", f"{type(exc).__name__}: {exc}"[:300]))
        rep.failed = len(rep.failures)
        progressed = rep.fetched or rep.new or rep.changed or rep.unchanged
        rep.status = "partial" if progressed else "failed"
        rep.notes.append(f"internt fel, crawlningen av källan avbröts: {type(exc).__name__}: {exc}"[:300])
    rep.seconds = round(time.monotonic() - started, 3)
    log.info(
        "%s: %s; fetched %d, new %d, changed %d, unchanged %d, removed %d, failed %d",
        source.id, rep.status, rep.fetched, rep.new, rep.changed, rep.unchanged, rep.removed, rep.failed,
    )
    return rep


class _SourceCrawl:
    """One source's crawl within a run."""

    def __init__(self, run: _Run, source: Source) -> None:
        self.run_ = run
        self.settings = run.settings
        self.store = run.store
        self.source = source
        self.rep = SourceReport(source.id)
        self.allow_private = source.allow_private_network
        self.previous_docs = self.store.document_urls(source.id)
        self.before_count = len(self.previous_docs)
        self.states = {s.url: s for s in self.store.iter_states(source.id)}
        self.seen: set[str] = set()
        self.confirmed: set[str] = set()  # stored documents known to still exist
        self.gone: dict[str, str] = {}  # url -> reason, decided at the end
        self.queue: deque[tuple[str, int]] = deque()
        self.known: deque[tuple[str, int]] = deque()
        self.sitemap_lastmod: dict[str, datetime] = {}
        self.dead_origins: dict[str, str] = {}
        self.host_failures: dict[str, int] = {}
        self.responses = 0
        self.requests = 0
        self.cut_short = ""
        self.now = utcnow()
        self.resume_since: datetime | None = None

    # -- bookkeeping -----------------------------------------------------------------
    def fail(self, url: str, reason: str, detail: str = "") -> None:
        log.warning("%s: %s failed: %s %s", self.source.id, url, reason, detail)
        self.rep.failures.append((url, reason, detail[:300]))

    def state_for(self, url: str) -> FetchState:
        state = self.states.get(url)
        if state is None:
            state = FetchState(url=url, source=self.source.id, first_seen=self.now)
            self.states[url] = state
        return state

    def save_state(self, state: FetchState) -> None:
        self.store.put_state(state)

    # -- frontier --------------------------------------------------------------------
    def enqueue(self, raw_url: str, depth: int, *, known: bool = False, persist: bool = True) -> str | None:
        try:
            url = normalize(raw_url, self.settings.max_url_length)
        except BadUrl as exc:
            log.info("%s: skip %s: %s", self.source.id, raw_url[:200], exc.reason)
            return None
        if url in self.seen:
            return url
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
        self.seen.add(url)
        (self.known if known else self.queue).append((url, depth))
        if persist and url not in self.states:
            # The frontier is persisted so an interrupted crawl can resume from it.
            self.save_state(self.state_for(url))
        return url

    # -- politeness --------------------------------------------------------------------
    def robots(self, url: str) -> HostRobots | None:
        """The origin's robots rules, loaded politely; None when the origin is skipped for this run."""
        key = origin(url)
        if key in self.dead_origins:
            return None
        cached = self.run_.robots.cached(url)
        if cached is None:
            with self.run_.gate.slot(key, self.source.delay):
                cached = self.run_.robots.get(url, self.allow_private)
        if cached.unreachable:
            self.dead_origins[key] = cached.reason
            self.fail(key + "/robots.txt", cached.reason, "värden hoppas över denna körning; lagrade dokument behålls")
            return None
        if cached.crawl_delay is not None and cached.crawl_delay > self.settings.max_crawl_delay:
            self.dead_origins[key] = "crawl_delay"
            note = f"{key}: robots.txt begär Crawl-delay {cached.crawl_delay:g} s (över {self.settings.max_crawl_delay:g} s); värden hoppades över"
            log.warning("%s: %s", self.source.id, note)
            self.rep.notes.append(note)
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
        with self.run_.gate.slot(origin(url), delay):
            self.requests += 1
            return self.run_.fetcher.fetch(url, allow_private=self.allow_private, **kwargs)  # type: ignore[arg-type]

    # -- the run -------------------------------------------------------------------------
    def run(self) -> SourceReport:
        key = RESUME_KEY + self.source.id
        marker = self.store.get_meta(key)
        if marker:
            self.resume_since = datetime.fromisoformat(marker)
            log.info("%s: resuming an interrupted crawl started %s", self.source.id, marker)
        else:
            self.store.set_meta(key, self.now.isoformat())
        deadline = time.monotonic() + self.source.max_time
        for url in self.source.start_urls:
            self.enqueue(url, 0)
        self.read_sitemaps()
        for state in sorted(self.states.values(), key=lambda s: s.url):
            if state.status in REVISIT_STATUSES or state.url in self.previous_docs:
                self.enqueue(state.url, 1, known=True, persist=False)
        for url in sorted(self.previous_docs):
            self.enqueue(url, 1, known=True, persist=False)
        while self.queue or self.known:
            if self.requests >= self.source.max_pages:
                self.cut_short = f"max_pages ({self.source.max_pages}) nådd"
                break
            if time.monotonic() > deadline:
                self.cut_short = f"max_time ({self.source.max_time:g} s) nådd"
                break
            url, depth = self.queue.popleft() if self.queue else self.known.popleft()
            self.visit(url, depth)
            self.run_.tick(self.source.id)
        self.finish()
        self.store.set_meta(key, "")
        return self.rep

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
            self.fail(url, reason, detail)
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
            self.enqueue(url, 1)

    def visit(self, url: str, depth: int) -> None:
        source = self.source
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
            log.debug("%s: skip %s: host skipped this run (%s)", source.id, url, self.dead_origins.get(origin(url)))
            return
        if not rules.allowed(url, self.settings.user_agent):
            log.info("%s: skip %s: robots", source.id, url)
            if url in self.previous_docs:
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
            self.on_error(url, state, exc)
            return
        self.responses += 1
        self.host_failures[origin(url)] = 0
        state.last_fetched = utcnow()
        state.failures = 0
        state.reason = None
        state.http_status = result.status
        if url in self.sitemap_lastmod:
            state.sitemap_lastmod = self.sitemap_lastmod[url]
        if result.not_modified:
            self.rep.unchanged += 1
            if url in self.previous_docs:
                self.confirmed.add(url)
                state.status = "not_modified"
            state.gone_count = 0
            self.save_state(state)
            return
        self.rep.fetched += 1
        self.rep.bytes += len(result.body)
        self.on_body(url, depth, state, result)

    def on_error(self, url: str, state: FetchState, exc: FetchError) -> None:
        reason = exc.reason
        state.reason = reason
        state.last_fetched = utcnow()
        state.http_status = int(reason[5:]) if reason.startswith("http_") and reason[5:].isdigit() else None
        self.fail(url, reason, exc.detail)
        if reason in GONE or reason == "out_of_scope":
            self.responses += 1
            state.status = "gone"
            if url in self.previous_docs:
                self.gone[url] = reason
        else:
            state.status = "error"
            state.failures += 1
            if reason in TRANSIENT:
                key = origin(url)
                self.host_failures[key] = self.host_failures.get(key, 0) + 1
                if self.host_failures[key] >= self.settings.host_failure_limit:
                    self.dead_origins[key] = "host_failures"
                    note = f"{key}: {self.host_failures[key]} fel i rad; värden hoppades över resten av körningen"
                    log.warning("%s: %s", self.source.id, note)
                    self.rep.notes.append(note)
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
            if final in self.seen and final != url:
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
            for link in ex.links:
                if not link.nofollow:
                    self.enqueue(link.url, depth + 1)
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
                    self.gone[final] = "canonical"
                self.save_state(state)
                return
        if ex.robots_noindex or not source.indexable(final):
            why = "noindex" if ex.robots_noindex else "follow_only"
            log.info("%s: not stored %s: %s", source.id, final, why)
            state.status, state.reason = "not_indexable", why
            state.etag, state.last_modified = result.headers.get("etag"), result.headers.get("last-modified")
            if final in self.previous_docs:
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
        if outcome == "new":
            self.rep.new += 1
        elif outcome == "changed":
            self.rep.changed += 1
        else:
            self.rep.unchanged += 1
        now = utcnow()
        if outcome != "unchanged":
            state.last_changed = now
        self.confirmed.add(final)
        state.status, state.reason = "ok", None
        state.content_hash = doc.content_hash
        state.etag = result.headers.get("etag")
        state.last_modified = result.headers.get("last-modified")
        state.gone_count = 0
        state.failures = 0
        self.save_state(state)

    def finish(self) -> None:
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
