"""One source's crawl within a run: setup (resume, start URLs, sitemaps, known URLs), page visits, moves and the end."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from datetime import datetime

from crawler.fetch import FetchResult, RedirectRefused
from crawler.frontier import RETRY_STATUSES, REVISIT_STATUSES, retry_due, sitemap_says_unchanged, trusts_sitemap
from crawler.lanes import ABORTED, CLAIMED, OVER_BUDGET, RESUME_KEY, Run, SourceLanes, record_internal_error
from crawler.policy import decide
from crawler.politeness import accept_document_type
from crawler.retention import Settlement, settle
from crawler.sitemaps import SITEMAP_MAX_BYTES, read_sitemaps
from crawler.urls import BadUrl, normalize, origin
from kb.errors import ExtractError, FetchError, StoreError
from kb.models import FetchState, SourceReport
from kb.sources import Source
from kb.store import utcnow

log = logging.getLogger(__name__)

# Failures that say nothing about the page itself: the stored document is kept and the host may be dropped.
TRANSIENT = frozenset({"timeout", "connection", "dns", "tls", "http_429", "http_500", "http_502", "http_503", "http_504"})
GONE = frozenset({"http_404", "http_410"})
_NOT_TRIED = (OVER_BUDGET, ABORTED)  # left unfetched, for the next run; not a failure of the URL
TEMPORARY = "redirect_temporary"  # gone reason of a stored URL behind a 302/303/307: kept for the removal grace


class SourceCrawl(SourceLanes):
    """One source's crawl: a setup task, then one lane task per origin on the run's pool."""

    def __init__(self, run: Run, source: Source, done: Future[SourceReport], started: float) -> None:
        super().__init__(run, source, done, started)
        self.confirmed: set[str] = set()  # URLs holding a document known to exist tonight
        self.gone: dict[str, str] = {}  # stored url -> reason, decided at the end
        self.moved: dict[str, str] = {}  # old url -> new url
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

        entries, failures = read_sitemaps(fetch, urls, cache=self.run_.sitemaps)
        for url, reason, detail in failures:
            if reason in ("sitemap_" + OVER_BUDGET, "sitemap_" + ABORTED) or self.run_.abort.is_set():
                continue  # not a failure: the crawl is cut short (and says so) or the run is torn down
            self.fail(url, reason, detail)
        fresh: list[tuple[str, int]] = []
        trust = trusts_sitemap(len(self.previous_docs), self.source.max_pages)
        with self.lock:
            for entry in entries:
                try:
                    url = normalize(entry.url, self.settings.max_url_length)
                except BadUrl:
                    continue
                if not self.source.in_scope(url):
                    continue  # another source's share of a shared host's sitemap
                skip = trust and url in self.previous_docs and url not in self.seen
                if skip and sitemap_says_unchanged(entry.lastmod, self.states.get(url), self.now):
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
        if url not in self.previous_docs and not retry_due(state, self.run_.night):
            log.debug("%s: %s not retried tonight (%s, %d failures)", self.source.id, url, state.status, state.failures)
            return True
        return False

    def _conditional(self, url: str, state: FetchState) -> bool:
        """Send validators only where a 304 loses nothing: the URL's links are stored (a 304 still feeds them)."""
        if not (state.etag or state.last_modified):
            return False
        if url not in self.previous_docs and state.status not in ("not_indexable", "redirect", "not_modified"):
            return False
        return self.store.get_links(url) is not None or state.status == "redirect"

    def visit(self, url: str, depth: int) -> None:
        """Fetch one claimed URL; only the lane of the URL's origin calls this, so the URL's state is its own."""
        with self.lock:
            state = self.state_for(url)
            if self._already_done(url, state):
                return
        rules = self.robots(url)
        if rules is None:
            log.debug("%s: skip %s: host skipped this run", self.source.id, url)
            return
        if not rules.allowed(url, self.settings.user_agent):
            log.info("%s: skip %s: robots", self.source.id, url)
            if url in self.previous_docs:
                with self.lock:
                    self.gone[url] = "robots"
            return
        conditional = self._conditional(url, state)
        delay = rules.effective_delay(self.source.delay)
        try:
            result = self.polite_fetch(
                url, delay,
                etag=state.etag if conditional else None,
                last_modified=state.last_modified if conditional else None,
                hop_check=self.hop_check, accept_type=accept_document_type,
            )
        except FetchError as exc:
            if exc.reason == CLAIMED:
                self.redirect_record(url, state, self.hops.target, {}, permanent=isinstance(exc, RedirectRefused) and exc.moved_permanently)
            elif exc.reason not in _NOT_TRIED:
                self.on_error(url, state, exc)
            return
        self._answered(url, state, result)
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
        with self.lock:
            self.rep.fetched += 1
            self.rep.bytes += len(result.body)
        self.on_body(url, depth, state, result)

    def _answered(self, url: str, state: FetchState, result: FetchResult) -> None:
        with self.lock:
            self.responses += 1
            self.host_failures[origin(url)] = 0
        state.last_fetched = utcnow()
        state.last_night = self.run_.night
        state.reason = None
        state.http_status = result.status

    def unchanged(self, url: str, state: FetchState, depth: int) -> None:
        """A 304: the stored document (if any) is confirmed and the page's stored links are followed."""
        with self.lock:
            self.rep.unchanged += 1
            if url in self.previous_docs:
                self.confirmed.add(url)
                state.status = "not_modified"
        state.gone_count = 0
        self.save_state(state)
        self.follow(self.store.get_links(url) or [], depth)

    def redirect_record(self, url: str, state: FetchState, final: str, headers: dict[str, str], *, permanent: bool) -> None:
        """``url`` now redirects to ``final``: it becomes a redirect record; a document stored under it is moved or gone.

        Only a permanent chain (every hop 301/308) moves the document: it leaves its old address tonight. A temporary
        redirect (302/303/307) keeps the document under its URL like a page that is down, removed only if the URL still
        redirects after ``gone_after_runs`` nights; the target's content is stored under the target URL, where it lives.
        """
        # Nights in a row the URL redirected: the retry backoff spaces its revisits.
        state.failures = (state.failures if state.status == "redirect" else 0) + 1
        state.status, state.reason = "redirect", "redirect" if permanent else TEMPORARY
        state.last_fetched, state.last_night = utcnow(), self.run_.night
        if headers.get("etag") or headers.get("last-modified"):
            state.etag, state.last_modified = headers.get("etag"), headers.get("last-modified")
        self.save_state(state)
        with self.lock:
            self.responses += 1
            if permanent:
                self.moved[url] = final
            if url in self.previous_docs:
                self.gone[url] = "redirect" if permanent else TEMPORARY

    def moved_to(self, url: str, state: FetchState, final: str, result: FetchResult, depth: int, delay: float) -> None:
        """``url`` redirects to ``final``: the old URL becomes a redirect record and ``final`` holds the document."""
        self.redirect_record(url, state, final, result.headers, permanent=result.moved_permanently)
        with self.lock:
            if final in self.seen:
                log.debug("%s: %s redirects to %s, already visited", self.source.id, url, final)
                return
            self.seen.add(final)  # claimed under the lock: this lane is the target's only visitor
            target = self.state_for(final)
        if result.not_modified and final in self.previous_docs:
            self._answered(final, target, result)
            target.failures = 0
            self.unchanged(final, target, depth)
            return
        if result.not_modified:
            # A 304 for a URL that holds no document yet (the same ETag moved with the page): fetch it in full.
            try:
                result = self.polite_fetch(final, delay, hop_check=self.hop_check, accept_type=accept_document_type)
            except FetchError as exc:
                if exc.reason not in _NOT_TRIED:
                    self.on_error(final, target, exc)
                return
        self._answered(final, target, result)
        target.failures = 0
        with self.lock:
            self.rep.fetched += 1
            self.rep.bytes += len(result.body)
        self.on_body(final, depth, target, result)

    def on_error(self, url: str, state: FetchState, exc: FetchError) -> None:
        reason = exc.reason
        state.reason = reason
        state.last_fetched = utcnow()
        state.last_night = self.run_.night
        state.http_status = int(reason[5:]) if reason.startswith("http_") and reason[5:].isdigit() else None
        state.status = "gone" if reason in GONE or reason == "out_of_scope" else "error"
        state.failures += 1
        with self.lock:
            known = url in self.previous_docs
            if known or reason not in GONE:
                self.fail_locked(url, reason, exc.detail)
            else:
                # A link to a page that does not exist (yet): retried on the backoff schedule, nothing to act on.
                self.rep.skipped += 1
                self.rep.skips.append((url, reason, exc.detail[:300]))
            if reason in GONE or reason == "out_of_scope":
                self.responses += 1
                if known:
                    self.gone[url] = reason
            elif reason in TRANSIENT:
                key = origin(url)
                self.host_failures[key] = self.host_failures.get(key, 0) + 1
                if self.host_failures[key] >= self.settings.host_failure_limit and key not in self.dead_origins:
                    self.dead_origins[key] = "host_failures"
                    self.note_locked(f"{key}: {self.host_failures[key]} fel i rad; värden hoppades över resten av körningen")
            else:
                self.responses += 1  # the host answered; the page itself is the problem
        self.save_state(state)

    def on_body(self, url: str, depth: int, state: FetchState, result: FetchResult) -> None:
        from crawler.extract import extract, sniff_format

        source = self.source
        fmt = sniff_format(result.body, url, result.content_type)
        if fmt is None:
            log.info("%s: skip %s: unsupported_type %s", source.id, url, result.content_type)
            state.status, state.reason = "skipped", "unsupported_type"
            self.save_state(state)
            return
        try:
            ex = extract(
                result.body, url, result.content_type,
                content_selector=source.content_selector, drop_selectors=source.drop_selectors,
                timeout=self.settings.parse_timeout,
            )
        except ExtractError as exc:
            state.status, state.reason = "error", "extract_" + exc.reason.replace(" ", "_")
            self.fail(url, state.reason, exc.detail)
            self.save_state(state)
            return
        ex.format = ex.format or fmt
        out = decide(ex, result, source, state, url=url, stored=url in self.previous_docs,
                     user_agent=self.settings.user_agent, max_url_length=self.settings.max_url_length)
        self.store.put_links(url, out.links)
        self.follow(out.links, depth)
        if out.canonical:
            log.info("%s: %s names canonical %s; not stored under its own URL", source.id, url, out.canonical)
            self.enqueue_many([(out.canonical, depth)])
        state.status, state.reason = out.status, out.reason
        keep = out.keep_validators
        state.etag, state.last_modified = (result.headers.get("etag"), result.headers.get("last-modified")) if keep else (None, None)
        if out.gone_reason:
            with self.lock:
                self.gone[url] = out.gone_reason
        if out.failure:
            self.fail(url, *out.failure)
        if out.info:
            self.skip(url, *out.info)
        if out.document is not None:
            outcome = self.store.put_document(out.document)
            with self.lock:
                if outcome == "new":
                    self.rep.new += 1
                elif outcome == "changed":
                    self.rep.changed += 1
                else:
                    self.rep.unchanged += 1
                self.confirmed.add(url)
                self.gone.pop(url, None)
            if outcome != "unchanged":
                state.last_changed = utcnow()
            state.content_hash = out.document.content_hash
            state.gone_count = 0
        elif out.action == "not_indexable":
            log.info("%s: not stored %s: %s", source.id, url, out.reason)
        self.save_state(state)

    # -- the end -----------------------------------------------------------------------------
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
        if self.responses == 0 and rep.unchanged == 0 and (self.requests > 0 or self.dead_origins):
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
