"""The crawl entry point: one run over the enabled sources, polite per host, incremental, safe against shrinking sites.

Module map. :mod:`crawler.lanes` holds the run's shared parts (:class:`~crawler.lanes.Run`: fetcher, robots.txt
cache, sitemap cache, host gate, worker pool) and a source's task machinery; :mod:`crawler.outcomes` what each
answer means for the source (a 304, a redirect, an error, a body); :mod:`crawler.source_crawl` the per-source
setup, page visits and the end; :mod:`crawler.frontier` the scheduling rules (per-origin lanes, pagination,
retry backoff, the sitemap lastmod rule); :mod:`crawler.politeness` the per-host gate; :mod:`crawler.policy`
the pure per-page decision; :mod:`crawler.retention` when stored documents are removed. Every request goes
through :mod:`crawler.fetch` (guard, pinning, body caps and hops in the ``fetch_*`` modules).

Concurrency. One run shares one ``ThreadPoolExecutor`` of ``settings.host_parallelism`` workers, so that
setting bounds the whole run, however many sources and hosts it has. Each source keeps its frontier per
origin (scheme, host, port) — a :class:`~crawler.frontier.Lane` with a queue of fresh URLs and one of
already-known URLs — and the pool runs whole origins: a task first sets the source up (start URLs,
robots.txt, sitemaps, the known URLs), then one *lane* task per origin drains that origin's queues. A
source never has two lanes on one origin; a slow host stalls only its own lane. No task ever waits for
another task, so the bounded pool cannot deadlock.

Once per host. robots.txt (:class:`~crawler.robots.RobotsCache`) and every sitemap file
(:class:`~crawler.sitemaps.SitemapCache`) are fetched at most once per run, whatever the number of sources
on the host; each source keeps the sitemap entries in its own scope. :class:`HostGate` serialises requests
per origin across all sources and spaces them by the largest delay asked for on that host (max of
source ``delay`` and robots Crawl-delay). Every redirect hop is sent in the slot of its own origin (the
Fetcher's ``slot`` seam), so a hop to another host waits for that host's delay; the wait does not count
against the fetch deadline.

Redirects. Only a permanent chain (every hop 301/308) moves a stored document to its new address at once; a
temporary one (302/303/307) keeps it under its URL for the removal grace (``gone_after_runs`` nights) and
stores the target's content under the target URL (see :mod:`crawler.source_crawl`).

Bookkeeping. A source's shared state is guarded by one lock per source, held only for bookkeeping — never
across a request, extraction or a store write. ``max_pages`` is a budget reserved under the lock before each
request; ``max_time`` is checked before each URL. A new URL's fetch state is persisted before any lane can
see it, and the ``crawl_in_progress:`` marker is cleared only at the source's end, so an interrupted crawl
resumes from its stored frontier.

Nothing is deleted during the crawl: stored documents confirmed gone are settled at the end of the source
by :mod:`crawler.retention`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from crawler.dedup import dedupe_store
from crawler.extract import EXTRACTOR_VERSIONS
from crawler.extract.worker import close_default_pool
from crawler.fetch import Fetcher
from crawler.lanes import RESUME_KEY, Run
from crawler.politeness import HostGate, accept_document_type, x_robots_tag
from crawler.robots import RobotsCache
from crawler.source_crawl import GONE, TRANSIENT, SourceCrawl
from kb.errors import StoreError
from kb.models import CrawlReport, SourceReport
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store, utcnow

__all__ = ["GONE", "RESUME_KEY", "TRANSIENT", "HostGate", "accept_document_type", "crawl", "x_robots_tag"]

log = logging.getLogger(__name__)

NIGHT_KEY = "crawl_night"  # meta key: the number of crawl runs so far (the retry backoff counts these nights)


def _next_night(store: Store) -> int:
    night = int(store.get_meta(NIGHT_KEY) or 0) + 1
    store.set_meta(NIGHT_KEY, str(night))
    return night


def _summary(report: CrawlReport) -> dict[str, dict[str, object]]:
    report.finished = utcnow()
    return {
        sid: {"status": r.status, "fetched": r.fetched, "new": r.new, "changed": r.changed, "removed": r.removed,
              "failed": r.failed, "skipped": r.skipped, "not_followed": r.not_followed}
        for sid, r in report.sources.items()
    }


FailureNote = Callable[[BaseException], tuple[int, str]]  # an exception → (exit code, why in Swedish), from the caller


def _finish(store: Store, report: CrawlReport, status: str, exc: BaseException, describe: FailureNote | None) -> None:
    """Record a crawl stopped by an exception, in one write (a full disk may take one row, not two); a failure to write
    it is logged and the caller's exception stands (readers see a run left ``running`` with no lock held as stopped)."""
    code, why = describe(exc) if describe is not None else (None, "")
    summary: dict[str, object] = dict(_summary(report))
    if describe is not None:
        summary |= {"fel": str(exc)[:300], "obs": why}
    try:
        store.finish_run(report.run_id, status, code, summary=summary)
    except StoreError as exc:
        log.warning("could not record the end of crawl run %s: %s", report.run_id, exc)


def crawl(
    settings: Settings,
    sources: list[Source],
    store: Store,
    only: list[str] | None = None,
    progress: bool = False,
    *,
    fetcher: Fetcher | None = None,
    describe_failure: FailureNote | None = None,
) -> CrawlReport:
    """Crawl every enabled source (or those in ``only``), save per-source reports, group duplicates.

    A crawl stopped by an exception is recorded ``failed``, with the exit code and reason ``describe_failure`` gives."""
    store.ensure_crawl_schema()
    for fmt, n in store.refetch_older_extractions(EXTRACTOR_VERSIONS).items():
        log.info("the %s extractor improved: %d stored documents will be fetched in full once", fmt, n)
    run_id = store.start_run("crawl")
    report = CrawlReport(run_id=run_id, started=utcnow())
    selected = [s for s in sources if only is None or s.id in only]
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    status = "failed"
    try:
        night = _next_night(store)
        enabled = [s for s in selected if s.enabled]
        for s in selected:
            if not s.enabled:
                rep = SourceReport(s.id, status="skipped", notes=["källan är avstängd (enabled: false)"])
                store.save_source_report(run_id, rep)
                report.sources[s.id] = rep
        with ThreadPoolExecutor(max_workers=max(1, settings.host_parallelism), thread_name_prefix="crawl") as pool:
            run = Run(settings, store, fetcher, RobotsCache(fetcher, settings), HostGate(), pool, progress, night)
            futures = {s.id: SourceCrawl.launch(run, s) for s in enabled}
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
    except BaseException as exc:
        _finish(store, report, status, exc, describe_failure)
        raise
    else:
        store.finish_run(run_id, status, summary=_summary(report))
    finally:
        if own_fetcher:
            fetcher.close()
        close_default_pool()  # parser processes are not needed between crawls (e.g. while kb demo serves)
    return report
