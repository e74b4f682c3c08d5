"""One source's crawl within a run: setup (resume, start URLs, sitemaps, known URLs), page visits and the end."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from datetime import datetime

from crawler.fetch import FetchResult, RedirectRefused
from crawler.frontier import RETRY_STATUSES, REVISIT_STATUSES, retry_due, sitemap_says_unchanged, trusts_sitemap
from crawler.lanes import ABORTED, CLAIMED, OVER_BUDGET, RESUME_KEY, Run, record_internal_error
from crawler.outcomes import GONE, NOT_TRIED, TEMPORARY, TRANSIENT, PageOutcomes
from crawler.policy import PAGE_GONE_REASONS
from crawler.politeness import accept_document_type
from crawler.retention import Settlement, settle
from crawler.robots import HostRobots
from crawler.sitemaps import SITEMAP_MAX_BYTES, SitemapEntry, read_sitemaps
from crawler.urls import BadUrl, normalize
from kb.errors import FetchError, StoreError
from kb.models import FetchState, SourceReport
from kb.sources import Source

log = logging.getLogger(__name__)

__all__ = ["GONE", "TEMPORARY", "TRANSIENT", "SourceCrawl"]


class SourceCrawl(PageOutcomes):
    """One source's crawl: a setup task, then one lane task per origin on the run's pool."""

    def __init__(self, run: Run, source: Source, done: Future[SourceReport], started: float) -> None:
        super().__init__(run, source, done, started)
        self.sitemap_lastmod: dict[str, datetime] = {}  # written by the setup only, read by lanes after it
        self.resume_since: datetime | None = None

    @classmethod
    def launch(cls, run: Run, source: Source) -> Future[SourceReport]:
        """Queue the source's setup on the run's pool; the future gets its report (or a StoreError)."""
        done: Future[SourceReport] = Future()
        run.pool.submit(cls._start, run, source, done)
        return done

    @classmethod
    def _start(cls, run: Run, source: Source, done: Future[SourceReport]) -> None:
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
            record_internal_error(rep, source, exc)
            rep.failed = len(rep.failures)
            rep.notes.append(f"internt fel, crawlningen av källan avbröts: {type(exc).__name__}: {exc}"[:300])
            rep.seconds = round(time.monotonic() - started, 3)
            done.set_result(rep)
            return
        job.task(job.setup, None)

    # -- setup -----------------------------------------------------------------------------
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
        night = self.run_.night
        with self.lock:
            states = sorted(self.states.values(), key=lambda s: s.url)
        revisit = (
            s.url for s in states
            if s.status in REVISIT_STATUSES or s.url in self.previous_docs or (s.status in RETRY_STATUSES and retry_due(s, night))
        )
        self.enqueue_many(((url, 1) for url in revisit), known=True, persist=False)
        self.enqueue_many(((url, 1) for url in sorted(self.previous_docs)), known=True, persist=False)
        with self.lock:
            self.setup_done = True  # the setup task's end now starts a lane for every origin with work

    def read_sitemaps(self) -> None:
        urls = self._sitemap_urls()
        if not urls:
            return
        entries, failures = read_sitemaps(self._fetch_sitemap, urls, cache=self.run_.sitemaps)
        for url, reason, detail in failures:
            if reason in ("sitemap_" + OVER_BUDGET, "sitemap_" + ABORTED) or self.run_.abort.is_set():
                continue  # not a failure: the crawl is cut short (and says so) or the run is torn down
            self.fail(url, reason, detail)
        fresh: list[tuple[str, int]] = []
        trust = trusts_sitemap(len(self.previous_docs), self.source.max_pages)
        with self.lock:
            for entry in entries:
                queued = self._sitemap_entry_locked(entry, trust)
                if queued is not None:
                    fresh.append((queued, 1))
        self.enqueue_many(fresh)

    def _sitemap_urls(self) -> list[str]:
        """The source's sitemaps and those its start URLs' robots.txt name, each once."""
        urls = list(self.source.sitemaps)
        for start in self.source.start_urls:
            try:
                rules = self.robots(normalize(start, self.settings.max_url_length))
            except BadUrl:
                continue
            if rules is not None:
                urls.extend(rules.sitemaps)
        return list(dict.fromkeys(urls))

    def _fetch_sitemap(self, url: str) -> FetchResult:
        rules = self.robots(url)
        if rules is None:
            raise FetchError("host_skipped", "", url)
        if not rules.allowed(url, self.settings.user_agent):
            raise FetchError("robots", "", url)
        return self.polite_fetch(url, rules.effective_delay(self.source.delay), page=False, max_bytes=SITEMAP_MAX_BYTES)

    def _sitemap_entry_locked(self, entry: SitemapEntry, trust: bool) -> str | None:
        """The entry's URL to queue, or None (out of scope, or unchanged by its lastmod and checked recently)."""
        try:
            url = normalize(entry.url, self.settings.max_url_length)
        except BadUrl:
            return None
        if not self.source.in_scope(url):
            return None  # another source's share of a shared host's sitemap
        skip = trust and url in self.previous_docs and url not in self.seen
        if skip and sitemap_says_unchanged(entry.lastmod, self.states.get(url), self.now):
            # Unchanged according to the sitemap and checked recently: no request at all.
            self.seen.add(url)
            self.confirmed.add(url)
            self.rep.unchanged += 1
            log.debug("%s: %s unchanged since %s (sitemap lastmod)", self.source.id, url, entry.lastmod)
            return None
        if entry.lastmod is not None:
            self.sitemap_lastmod[url] = entry.lastmod
        return url

    # -- one URL -----------------------------------------------------------------------------
    def _already_done(self, url: str, state: FetchState) -> bool:
        """Skip without a request: fetched by the interrupted run we resume, or a failed URL not yet due again."""
        if (
            self.resume_since is not None
            and state.last_fetched is not None
            and state.last_fetched >= self.resume_since
            and state.status in ("ok", "not_modified", "not_indexable")
        ):
            log.debug("%s: %s already fetched by the interrupted run", self.source.id, url)
            if url in self.previous_docs:
                self.confirmed.add(url)
                self.rep.unchanged += 1
            return True
        if url not in self.previous_docs and not retry_due(state, self.run_.night, self.sitemap_lastmod.get(url)):
            log.debug("%s: %s not retried tonight (%s, %d failures)", self.source.id, url, state.status, state.failures)
            return True
        return False

    def _conditional(self, url: str, state: FetchState) -> bool:
        """Send validators only where a 304 loses nothing: the URL's links are stored (a 304 still feeds them)."""
        if not (state.etag or state.last_modified):
            return False
        if url in self.previous_docs and state.reason in PAGE_GONE_REASONS:
            return False  # a 304 would confirm a stored document its page now disowns (noindex, error page…)
        if url not in self.previous_docs and state.status not in ("not_indexable", "redirect", "not_modified"):
            return False
        return self.store.get_links(url) is not None or state.status == "redirect"

    def visit(self, url: str, depth: int) -> None:
        """Fetch one claimed URL; only the lane of the URL's origin calls this, so the URL's state is its own."""
        with self.lock:
            state = self.state_for(url)
            if self._already_done(url, state):
                return
        rules = self._rules(url)
        if rules is None:
            return
        delay = rules.effective_delay(self.source.delay)
        result = self._request(url, state, delay)
        if result is not None:
            self._on_response(url, state, result, depth, delay)

    def _rules(self, url: str) -> HostRobots | None:
        """The host's robots rules if ``url`` may be requested; a stored document robots.txt now forbids is gone."""
        rules = self.robots(url)
        if rules is None:
            log.debug("%s: skip %s: host skipped this run", self.source.id, url)
            return None
        if not rules.allowed(url, self.settings.user_agent):
            log.info("%s: skip %s: robots", self.source.id, url)
            if url in self.previous_docs:
                with self.lock:
                    self.gone[url] = "robots"
            return None
        return rules

    def _request(self, url: str, state: FetchState, delay: float) -> FetchResult | None:
        """The answer for ``url``, or None after recording why there is none."""
        conditional = self._conditional(url, state)
        try:
            return self.polite_fetch(
                url, delay,
                etag=state.etag if conditional else None,
                last_modified=state.last_modified if conditional else None,
                hop_check=self.hop_check, accept_type=accept_document_type,
            )
        except FetchError as exc:
            if exc.reason == CLAIMED:
                permanent = isinstance(exc, RedirectRefused) and exc.moved_permanently
                self.redirect_record(url, state, self.hops.target, {}, permanent=permanent)
            elif exc.reason not in NOT_TRIED:
                self.on_error(url, state, exc)
            return None

    def _on_response(self, url: str, state: FetchState, result: FetchResult, depth: int, delay: float) -> None:
        self.answered(url, state, result)
        if url in self.sitemap_lastmod:
            state.sitemap_lastmod = self.sitemap_lastmod[url]
        try:
            final = normalize(result.final_url, self.settings.max_url_length)
        except BadUrl:
            final = url
        if final != url:
            self.moved_to(url, state, final, result, depth, delay)
            return
        state.failures = 0
        if result.not_modified:
            self.unchanged(url, state, depth)
            return
        self.count_body(result)
        self.on_body(url, depth, state, result)

    # -- the end -----------------------------------------------------------------------------
    def complete(self) -> None:
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
                    record_internal_error(rep, self.source, exc)
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
                "%s: %s; fetched %d, new %d, changed %d, unchanged %d, removed %d, failed %d, skipped %d, not followed %d",
                self.source.id, rep.status, rep.fetched, rep.new, rep.changed, rep.unchanged, rep.removed, rep.failed,
                rep.skipped, rep.not_followed,
            )
            self.done.set_result(rep)
        except BaseException as exc:  # the main thread waits on this future: it must always be settled
            if not self.done.done():
                self.done.set_exception(exc)
            raise

    def finish(self) -> None:
        """Settle the source once every lane has ended (so no lock is needed): gone documents, status, notes."""
        rep, source = self.rep, self.source
        # Stored documents that have left scope (sources.yaml changed) count as gone.
        for url in self.previous_docs:
            if url not in self.seen and not source.indexable(url):
                self.gone.setdefault(url, "out_of_scope")
        rep.failed = len(rep.failures)
        facts = Settlement(self.previous_docs, self.confirmed, self.gone, self.moved)
        settle(self.store, self.settings, source.id, rep, facts, self.state_for)
        if self.responses == 0 and rep.unchanged == 0 and (self.requests + self.other_requests > 0 or self.dead_origins):
            rep.status = "unreachable"
        elif self.cut_short or self.dead_origins or any(r in TRANSIENT for _u, r, _d in rep.failures):
            rep.status = "partial"
        self._truncation_notes()

    def _truncation_notes(self) -> None:
        """No silent truncation: links left unfollowed by max_depth, max_pages or max_time are counted and noted."""
        rep = self.rep
        deep = len(self.depth_cut - self.seen)
        queued = self.unvisited()
        rep.not_followed = deep + queued
        if deep:
            note = f"max_depth ({self.source.max_depth}) nådd: {deep} länkar följdes inte"
            log.warning("%s: %s", self.source.id, note)
            rep.notes.append(note)
        if self.cut_short:
            note = f"{self.cut_short}: {queued} köade adresser hämtades inte" if queued else self.cut_short
            log.warning("%s: %s", self.source.id, note)
            rep.notes.append(note)
