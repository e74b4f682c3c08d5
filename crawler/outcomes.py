"""What one answer means for a source: the URL's state, the report, the store (a 304, a redirect, an error, a body)."""

from __future__ import annotations

import logging
from concurrent.futures import Future

from crawler.extract.model import Extracted
from crawler.fetch import FetchResult
from crawler.lanes import ABORTED, OVER_BUDGET, Run, SourceLanes
from crawler.policy import Outcome, decide
from crawler.politeness import accept_document_type
from crawler.urls import origin
from kb.errors import ExtractError, FetchError
from kb.models import Document, FetchState, SourceReport
from kb.sources import Source
from kb.store import utcnow

log = logging.getLogger(__name__)

# Failures that say nothing about the page itself: the stored document is kept and the host may be dropped.
TRANSIENT = frozenset({"timeout", "connection", "dns", "tls", "http_429", "http_500", "http_502", "http_503", "http_504"})
GONE = frozenset({"http_404", "http_410"})
NOT_TRIED = (OVER_BUDGET, ABORTED)  # left unfetched, for the next run; not a failure of the URL
TEMPORARY = "redirect_temporary"  # gone reason of a stored URL behind a 302/303/307: kept for the removal grace


class PageOutcomes(SourceLanes):
    """A source's bookkeeping of answers: which stored documents are confirmed, gone or moved tonight."""

    def __init__(self, run: Run, source: Source, done: Future[SourceReport], started: float) -> None:
        super().__init__(run, source, done, started)
        self.confirmed: set[str] = set()  # URLs holding a document known to exist tonight
        self.gone: dict[str, str] = {}  # stored url -> reason, decided at the end
        self.moved: dict[str, str] = {}  # old url -> new url (permanent redirects only)

    def answered(self, url: str, state: FetchState, result: FetchResult) -> None:
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
            if url in self.previous_docs:  # a hub or listing page (follow_only, noindex) is no unchanged document
                self.rep.unchanged += 1
                self.confirmed.add(url)
                state.status = "not_modified"
        state.gone_count = 0
        self.save_state(state)
        self.follow(self.store.get_links(url) or [], depth)

    # -- redirects -----------------------------------------------------------------------------
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
            self.answered(final, target, result)
            target.failures = 0
            self.unchanged(final, target, depth)
            return
        if result.not_modified:
            # A 304 for a URL that holds no document yet (the same ETag moved with the page): fetch it in full.
            try:
                result = self.polite_fetch(final, delay, hop_check=self.hop_check, accept_type=accept_document_type)
            except FetchError as exc:
                if exc.reason not in NOT_TRIED:
                    self.on_error(final, target, exc)
                return
        self.answered(final, target, result)
        target.failures = 0
        self.count_body(result)
        self.on_body(final, depth, target, result)

    # -- failures ------------------------------------------------------------------------------
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
                self._host_failed_locked(origin(url))
            else:
                self.responses += 1  # the host answered; the page itself is the problem
        self.save_state(state)

    def _host_failed_locked(self, key: str) -> None:
        self.host_failures[key] = self.host_failures.get(key, 0) + 1
        if self.host_failures[key] >= self.settings.host_failure_limit and key not in self.dead_origins:
            self.dead_origins[key] = "host_failures"
            self.note_locked(f"{key}: {self.host_failures[key]} fel i rad; värden hoppades över resten av körningen")

    # -- a body ----------------------------------------------------------------------------------
    def count_body(self, result: FetchResult) -> None:
        with self.lock:
            self.rep.fetched += 1
            self.rep.bytes += len(result.body)

    def on_body(self, url: str, depth: int, state: FetchState, result: FetchResult) -> None:
        ex = self._extract(url, state, result)
        if ex is None:
            return
        out = decide(ex, result, self.source, state, url=url, stored=url in self.previous_docs,
                     user_agent=self.settings.user_agent, max_url_length=self.settings.max_url_length)
        self.store.put_links(url, out.links)
        self.follow(out.links, depth)
        if out.canonical:
            log.info("%s: %s names canonical %s; not stored under its own URL", self.source.id, url, out.canonical)
            self.enqueue_many([(out.canonical, depth)])
        self._record(url, state, result, out)
        self.save_state(state)

    def _extract(self, url: str, state: FetchState, result: FetchResult) -> Extracted | None:
        """The extracted body, or None after recording why there is none (an unsupported type, a parse error)."""
        from crawler.extract import extract, sniff_format

        source = self.source
        fmt = sniff_format(result.body, url, result.content_type)
        if fmt is None:
            log.info("%s: skip %s: unsupported_type %s", source.id, url, result.content_type)
            state.status, state.reason = "skipped", "unsupported_type"
            self.save_state(state)
            return None
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
            return None
        ex.format = ex.format or fmt
        return ex

    def _record(self, url: str, state: FetchState, result: FetchResult, out: Outcome) -> None:
        """Apply the page policy's outcome to the URL's state, the report and the store."""
        state.status, state.reason = out.status, out.reason
        state.etag, state.last_modified = result.headers.get("etag"), result.headers.get("last-modified")
        if out.gone_reason:
            with self.lock:
                self.gone[url] = out.gone_reason
        if out.failure:
            self.fail(url, *out.failure)
        if out.info:
            self.skip(url, *out.info)
        if out.document is not None:
            self._store(url, state, out.document)
        elif out.action == "not_indexable":
            log.info("%s: not stored %s: %s", self.source.id, url, out.reason)

    def _store(self, url: str, state: FetchState, document: Document) -> None:
        outcome = self.store.put_document(document)
        with self.lock:
            if outcome == "new":
                self.rep.new += 1
            elif outcome == "changed":
                self.rep.changed += 1
            else:  # unchanged, or read again by a newer extractor: the page itself did not change
                self.rep.unchanged += 1
            self.confirmed.add(url)
            self.gone.pop(url, None)
        if outcome in ("new", "changed"):
            state.last_changed = utcnow()
        state.content_hash = document.content_hash
        state.gone_count = 0
