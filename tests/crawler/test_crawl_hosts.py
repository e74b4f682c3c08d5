"""The crawl across hosts against real local servers: per-host spacing, parallel lanes, slow and failing hosts, aborts."""

from __future__ import annotations

import time

import pytest
from _crawl_sites import LONG, small_site

from crawler.crawl import HostGate, crawl
from kb.sources import UrlRule
from kb.store import Store


def test_per_host_delay_applied(site, page_html, settings, store, make_source):
    small_site(site, page_html, n=3)
    crawl(settings, [make_source(site, delay=0.3)], store)
    starts = sorted(r.at for r in site.requests)
    ends = sorted(r.ended for r in site.requests)
    assert len(starts) == 5  # robots.txt, start page, three pages
    gaps = [starts[i + 1] - ends[i] for i in range(len(starts) - 1)]
    assert min(gaps) >= 0.28, gaps


def test_crawl_delay_from_robots_wins_and_too_long_skips(make_site, page_html, settings, store, make_source):
    slow, never = make_site(), make_site()
    small_site(slow, page_html, n=2)
    slow.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n")
    small_site(never, page_html, n=2)
    never.add("/robots.txt", "User-agent: *\nCrawl-delay: 600\n")
    report = crawl(settings, [make_source(slow, delay=0.0), make_source(never, id="never")], store)
    starts = sorted(r.at for r in slow.requests)
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.38
    assert never.paths() == ["/robots.txt"]
    assert report.sources["never"].notes and report.sources["never"].status == "unreachable"


def test_two_hosts_crawled_in_parallel(make_site, page_html, settings, store, make_source):
    a, b = make_site(), make_site()
    small_site(a, page_html, n=3)
    small_site(b, page_html, n=3)
    crawl(settings, [make_source(a, id="a", delay=0.25), make_source(b, id="b", delay=0.25)], store)
    # Each host needs 4 gaps of 0.25 s: sequential hosts would not interleave (no wall-clock bound: timings go to bench/).
    first_a, last_a = min(r.at for r in a.requests), max(r.at for r in a.requests)
    assert any(first_a < r.at < last_a for r in b.requests)  # interleaved, not sequential


def test_slow_host_does_not_stall_other(make_site, page_html, settings, store, make_source):
    slow, fast = make_site(), make_site()

    small_site(fast, page_html, n=3)
    waited = wait_for_host(slow, fast, 4, page_html("Långsam", LONG))
    crawl(settings, [make_source(slow, id="slow"), make_source(fast, id="fast")], store)
    assert waited == [True]  # the fast host was crawled in full while the slow host's answer was pending


def test_host_gate_spacing():
    gate = HostGate()
    times = []
    for _ in range(3):
        with gate.slot("http://x", 0.1):
            times.append(time.monotonic())
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.099


def test_one_source_failing_unexpectedly_does_not_stop_the_others(make_site, page_html, settings, store, make_source, caplog):
    # delay: .inf once got past sources.yaml validation and made HostGate.slot raise OverflowError mid-crawl
    broken, fine = make_site(), make_site()
    small_site(broken, page_html, n=2)
    small_site(fine, page_html, n=2)
    with caplog.at_level("ERROR", logger="crawler.crawl"):
        report = crawl(settings, [make_source(broken, id="broken", delay=float("inf")), make_source(fine, id="fine")], store)
    bad = report.sources["broken"]
    assert bad.status == "failed" and bad.failed == 1
    ((_url, reason, detail),) = bad.failures
    assert reason == "internal_error" and detail.startswith("OverflowError")
    assert report.sources["fine"].status == "ok" and report.sources["fine"].new == 3
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "broken" in record.getMessage() and record.exc_info is not None
    saved = store.run_report(report.run_id)
    assert saved.sources["broken"].status == "failed" and saved.sources["fine"].new == 3
    assert store.list_runs()[0]["status"] == "partial"


# -- several origins within one source ------------------------------------------------------------------------------


def wait_for_host(slow, fast, pages, body):
    """Make ``slow`` hold its answer to ``/`` until ``fast`` has served ``pages`` pages (at most 20 s); returns [served?]."""
    waited: list[bool] = []

    def held(h):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len([r for r in fast.requests if r.path != "/robots.txt" and r.status == 200]) < pages:
            time.sleep(0.02)
        waited.append(len([r for r in fast.requests if r.path != "/robots.txt" and r.status == 200]) >= pages)
        return slow.Page(body)

    slow.routes["/"] = held
    return waited


def delayed_site(site, page_html, delay, n=3, links_to=None):
    """A start page linking to ``n`` pages (on ``links_to`` if given); every response after ``delay`` seconds."""

    def page(title, links=()):
        def handler(h):
            time.sleep(delay)
            return site.Page(page_html(title, f"{title} på {site.port}: " + LONG, links=links))

        return handler

    target = links_to or site
    site.routes["/"] = page("Start", [target.url(f"/sida{i}") for i in range(n)])
    for i in range(n):
        site.routes[f"/sida{i}"] = page(f"Sida {i}")


def page_requests(site):
    return [r for r in site.requests if r.path != "/robots.txt"]


def test_slow_host_does_not_stall_other_host_of_same_source(make_site, page_html, settings, store, make_source):
    slow, fast = make_site(), make_site()
    n = 3
    delayed_site(slow, page_html, 0.05, n)
    delayed_site(fast, page_html, 0.05, n)
    # The slow host comes first and holds its start page until the fast host is crawled: one origin after the
    # other, the fast host would wait behind it and the hold would time out.
    waited = wait_for_host(slow, fast, n + 1, page_html("Start", "Start: " + LONG, links=[slow.url(f"/sida{i}") for i in range(n)]))
    source = make_source(start_urls=(slow.url("/"), fast.url("/")), id="tva")
    rep = crawl(settings, [source], store).sources["tva"]
    assert rep.status == "ok" and rep.new == 2 * (n + 1), rep
    assert waited == [True]
    slow_pages, fast_pages = page_requests(slow), page_requests(fast)
    assert len(slow_pages) == len(fast_pages) == n + 1
    assert max(r.ended for r in fast_pages) < max(r.ended for r in slow_pages)


def test_per_origin_spacing_holds_within_a_parallel_source(make_site, page_html, settings, store, make_source):
    """Each origin's lane keeps its own effective delay; that the lanes overlap is shown by the test above."""
    a, b = make_site(), make_site()
    small_site(a, page_html, n=2)
    small_site(b, page_html, n=2)
    b.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    delay = 0.2
    rep = crawl(settings, [make_source(start_urls=(a.url("/"), b.url("/")), delay=delay)], store).sources["test"]
    assert rep.status == "ok" and rep.new == 6
    for site, spacing in ((a, delay), (b, 0.4)):  # robots.txt Crawl-delay wins over the source's delay
        requests = sorted(site.requests, key=lambda r: r.at)
        assert len(requests) == 4  # robots.txt, start page, two pages
        gaps = [nxt.at - prev.ended for prev, nxt in zip(requests, requests[1:], strict=False)]
        assert min(gaps) >= spacing - 0.02, (site.port, gaps)


def test_max_pages_exact_across_origins_and_resume(make_site, page_html, settings, store, make_source):
    a, b = make_site(), make_site()
    n = 6
    # Both lanes wait in their gates (delay) and in flight (slow responses) near the limit: a budget checked when a
    # URL is taken but counted only when its request is sent would be overrun.
    delayed_site(a, page_html, 0.05, n)
    delayed_site(b, page_html, 0.05, n)
    source = make_source(start_urls=(a.url("/"), b.url("/")), delay=0.05)
    for max_pages in (1, 5):
        a.clear()
        b.clear()
        store.set_meta("crawl_in_progress:test", "")
        rep = crawl(settings, [make_source(start_urls=source.start_urls, delay=0.05, max_pages=max_pages)], store).sources["test"]
        fetched = page_requests(a) + page_requests(b)
        assert len(fetched) == max_pages, [r.path for r in fetched]
        assert rep.status == "partial" and any(n.startswith(f"max_pages ({max_pages}) nådd") for n in rep.notes), rep.notes
        assert rep.not_followed > 0
    assert page_requests(a) and page_requests(b)  # both origins took part
    first = {a.url(r.path) for r in page_requests(a)} | {b.url(r.path) for r in page_requests(b)}
    # Resume the cut-short run: only what it had not fetched is requested, and nothing is lost.
    store.set_meta("crawl_in_progress:test", store.list_runs()[0]["started"])
    a.clear()
    b.clear()
    rep = crawl(settings, [source], store).sources["test"]
    again = {a.url(r.path) for r in page_requests(a)} | {b.url(r.path) for r in page_requests(b)}
    assert rep.status == "ok" and not first & again
    assert first | again == {s.url(p) for s in (a, b) for p in ["/", *(f"/sida{i}" for i in range(n))]}
    assert store.count_documents() == 2 * (n + 1) and store.get_meta("crawl_in_progress:test") == ""


def test_links_to_another_origin_start_its_lane_even_with_one_worker(make_site, page_html, settings, store, make_source):
    hub, docs = make_site(), make_site()
    delayed_site(hub, page_html, 0.0, n=3, links_to=docs)
    for i in range(3):
        docs.add(f"/sida{i}", page_html(f"Dokument {i}", f"Dokument {i}: " + LONG))
    source = make_source(start_urls=(hub.url("/"),), allow=(UrlRule.parse(hub.url("/")), UrlRule.parse(docs.url("/"))))
    rep = crawl(settings.replace(host_parallelism=1), [source], store).sources["test"]
    assert rep.status == "ok" and rep.new == 4
    assert sorted(r.path for r in page_requests(docs)) == ["/sida0", "/sida1", "/sida2"]


def test_broken_store_stops_every_lane_and_keeps_resume_markers(make_site, page_html, settings, make_source):
    """A StoreError (a full disk) in one source aborts the run: the other sources' lanes stop after their current request."""
    from kb.errors import StoreError

    class FullDisk(Store):
        def put_document(self, doc, now=None):
            if doc.source == "bad":
                raise StoreError("database or disk is full")
            return super().put_document(doc, now)

    slow, bad = make_site(), make_site()
    n = 20
    delayed_site(slow, page_html, 0.1, n)  # about 2 s of crawling if it were not stopped
    small_site(bad, page_html, n=1)
    sources = [make_source(slow, id="slow"), make_source(bad, id="bad")]
    with FullDisk(settings.store_path) as store:
        with pytest.raises(StoreError, match="disk is full"):  # reaches the CLI, which exits 74
            crawl(settings, sources, store)
        assert len(page_requests(slow)) < n + 1  # the slow source's lane stopped early
        assert store.get_meta("crawl_in_progress:slow")  # the interrupted source resumes next run
        assert store.list_runs()[0]["status"] == "failed"


def test_sources_queued_behind_an_aborted_run_send_no_request(make_site, page_html, settings, make_source):
    """After an abort (a broken store, Ctrl-C) sources that had not started yet never contact their hosts."""
    from kb.errors import StoreError

    class FullDisk(Store):
        def set_meta(self, key, value):
            if key.endswith(":bad"):  # the first source's resume marker cannot be written
                raise StoreError("database or disk is full")
            super().set_meta(key, value)

    bad, later1, later2 = make_site(), make_site(), make_site()
    for site in (bad, later1, later2):
        small_site(site, page_html, n=2)
    sources = [make_source(bad, id="bad"), make_source(later1, id="later1"), make_source(later2, id="later2")]
    with FullDisk(settings.store_path) as store:
        with pytest.raises(StoreError):
            crawl(settings.replace(host_parallelism=1), sources, store)
        assert later1.paths() == [] and later2.paths() == []  # not even robots.txt
        assert not store.get_meta("crawl_in_progress:later1")
