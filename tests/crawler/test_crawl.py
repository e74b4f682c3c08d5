"""The crawl loop end to end against real local servers, the real extractor and a real SQLite store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.crawl import HostGate, crawl
from crawler.dedup import group_duplicates, hamming, simhash
from demo.server import DemoSites
from kb.sources import UrlRule, load_sources
from kb.store import Store

LONG = (
    "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer. "
    "Barn som bevittnat våld är också brottsoffer och ska få stöd. Hedersrelaterat våld och förtryck "
    "kräver särskilda insatser, liksom prostitution och människohandel för sexuella ändamål. "
)


def small_site(site, page_html, n=3, etag=True):
    links = [f"/sida{i}" for i in range(n)]
    site.add("/", page_html("Start", links=links), etag='"s"' if etag else None)
    for i in range(n):
        site.add(f"/sida{i}", page_html(f"Sida {i}", f"Sida {i}: " + LONG), etag=f'"e{i}"' if etag else None)
    return links


def test_crawl_stores_documents_and_reports(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    site.add("/robots.txt", "User-agent: *\nDisallow: /privat/\n", content_type="text/plain")
    site.routes["/"].body = page_html("Start", links=["/sida0", "/sida1", "/sida2", "/privat/hemlig", "https://annan.example/x"])
    report = crawl(settings, [make_source(site, follow_only=("re:^" + site.url("/") + "$",))], store)
    rep = report.sources["test"]
    assert rep.status == "ok", rep
    assert (rep.new, rep.fetched) == (3, 4)
    assert store.document_urls() == {site.url(f"/sida{i}") for i in range(3)}  # the hub is followed, not stored
    doc = store.get_document(site.url("/sida1"))
    assert doc.organisation == "Testmyndigheten" and doc.size > 0 and doc.simhash != 0 and "Sida 1" in doc.title
    assert "/privat/hemlig" not in site.paths()  # robots-disallowed path never requested
    assert store.run_report(report.run_id).sources["test"].new == 3


def test_recrawl_uses_304_and_downloads_no_bodies(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    source = make_source(site)
    crawl(settings, [source], store)
    site.clear()
    rep = crawl(settings, [source], store).sources["test"]
    page_hits = [r for r in site.requests if r.path != "/robots.txt"]
    assert page_hits and all(r.status == 304 and r.body_bytes == 0 for r in page_hits)
    assert all("If-None-Match" in r.headers for r in page_hits)
    assert (rep.new, rep.changed, rep.unchanged, rep.fetched) == (0, 0, 4, 0)
    assert store.count_documents() == 4


def test_changed_page_updated_and_same_hash_unchanged(site, page_html, settings, store, make_source):
    small_site(site, page_html, etag=False)
    source = make_source(site)
    crawl(settings, [source], store)
    site.routes["/sida0"].body = page_html("Sida 0", "Helt ny text om kvinnofrid. " + LONG)
    rep = crawl(settings, [source], store).sources["test"]
    assert (rep.changed, rep.unchanged, rep.new) == (1, 3, 0)
    assert "Helt ny text" in store.get_document(site.url("/sida0")).text


def test_500_skipped_and_stored_document_kept(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    source = make_source(site)
    crawl(settings, [source], store)
    site.add("/sida1", "Internt fel", status=500)
    rep = crawl(settings, [source], store).sources["test"]
    assert ("http_500" in rep.failed_by_reason()) and rep.status == "partial"
    assert store.get_document(site.url("/sida1")) is not None
    assert rep.removed == 0


def test_vanished_page_removed_only_after_two_runs(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    source = make_source(site)
    crawl(settings, [source], store)
    del site.routes["/sida2"]
    site.routes["/"].body = page_html("Start ny", links=["/sida0", "/sida1", "/sida2"])
    first = crawl(settings, [source], store).sources["test"]
    assert first.removed == 0 and store.get_document(site.url("/sida2")) is not None
    assert store.get_state(site.url("/sida2")).gone_count == 1
    second = crawl(settings, [source], store).sources["test"]
    assert second.removed == 1 and store.get_document(site.url("/sida2")) is None


def test_shrinking_source_not_purged(site, page_html, settings, store, make_source):
    small_site(site, page_html, n=6)
    source = make_source(site)
    crawl(settings, [source], store)
    for i in range(1, 6):
        del site.routes[f"/sida{i}"]
    for _ in range(3):
        rep = crawl(settings, [source], store).sources["test"]
        assert rep.removed == 0 and rep.notes, rep
    assert store.count_documents() == 7
    assert any("inget togs bort" in n for n in rep.notes)


def test_soft_404_does_not_overwrite(site, page_html, settings, store, make_source):
    small_site(site, page_html, etag=False)
    source = make_source(site)
    crawl(settings, [source], store)
    site.add("/sida0", page_html("Sidan finns inte", "Sidan du söker finns inte. Den kan ha flyttats eller tagits bort."))
    rep = crawl(settings, [source], store).sources["test"]
    assert "soft_404" in rep.failed_by_reason()
    assert "Sida 0:" in store.get_document(site.url("/sida0")).text


def test_noindex_nofollow_and_rel_nofollow(site, page_html, settings, store, make_source):
    site.add("/", page_html("Start", links=["/a", "/b"]) .replace('href="/b"', 'href="/b" rel="nofollow"'))
    site.add("/a", page_html("A", "A: " + LONG, links=["/c"], head='<meta name="robots" content="noindex, nofollow">'))
    site.add("/b", page_html("B", LONG))
    site.add("/c", page_html("C", LONG))
    crawl(settings, [make_source(site)], store)
    assert "/a" in site.paths() and "/b" not in site.paths() and "/c" not in site.paths()
    assert store.get_document(site.url("/a")) is None


def test_x_robots_tag_header_is_honoured(site, page_html, settings, store, make_source):
    site.add("/", page_html("Start", links=["/a", "/b"]))
    site.add("/a", page_html("A", "A: " + LONG, links=["/c"]), headers={"X-Robots-Tag": "noindex, nofollow"})
    site.add("/b", page_html("B", LONG), headers={"X-Robots-Tag": "otherbot: noindex"})
    site.add("/c", page_html("C", LONG))
    crawl(settings, [make_source(site)], store)
    assert store.get_document(site.url("/a")) is None
    assert "/c" not in site.paths()
    assert store.get_document(site.url("/b")) is not None  # a directive for another bot does not apply


def test_x_robots_tag_parsing():
    from crawler.crawl import x_robots_tag

    assert x_robots_tag("noindex", "kb/1") == (True, False)
    assert x_robots_tag("none", "kb/1") == (True, True)
    assert x_robots_tag("googlebot: noindex", "kb/1") == (False, False)
    assert x_robots_tag("kb-kunskapsbank: nofollow", "kb-kunskapsbank/0.1") == (False, True)
    assert x_robots_tag("unavailable_after: 25 Jun 2030 15:00:00 PST", "kb/1") == (False, False)


def test_sitemap_skipped_documents_revalidated_weekly(site, page_html, settings, store, make_source):
    """A page deleted from the site but left in the sitemap with an old lastmod is noticed once its check is a week old."""
    from datetime import timedelta

    site.add("/robots.txt", f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n", content_type="text/plain")
    site.add("/", page_html("Start", LONG), etag='"s"')
    site.add("/a", page_html("A", "A: " + LONG), etag='"a"')
    site.add("/b", page_html("B", "B: " + LONG), etag='"b"')
    urls = "".join(f"<url><loc>{site.url(p)}</loc><lastmod>2020-01-01</lastmod></url>" for p in ("/a", "/b"))
    site.add("/sitemap.xml", f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
             content_type="application/xml")
    source = make_source(site, max_pages=5)  # 3 documents fill over half the budget: the sitemap lastmod is trusted
    crawl(settings, [source], store)
    assert store.count_documents() == 3
    del site.routes["/a"]  # deleted on the site, still in the sitemap
    site.clear()
    rep = crawl(settings, [source], store).sources["test"]
    assert site.hits("/a") == [] and site.hits("/b") == []  # fetched today: the sitemap is trusted
    assert rep.unchanged == 3 and store.get_document(site.url("/a")) is not None

    for path in ("/a", "/b"):  # last checked eight days ago
        state = store.get_state(site.url(path))
        state.last_fetched -= timedelta(days=8)
        store.put_state(state)
    site.clear()
    rep = crawl(settings, [source], store).sources["test"]
    assert [h.status for h in site.hits("/a")] == [404]
    assert [h.status for h in site.hits("/b")] == [304]  # a conditional GET, no body
    assert "http_404" in rep.failed_by_reason() and rep.removed == 0  # gone once; removal needs gone_after_runs
    site.clear()
    rep = crawl(settings, [source], store).sources["test"]
    assert [h.status for h in site.hits("/a")] == [404]  # a gone URL is never skipped on the sitemap's word
    assert site.hits("/b") == []  # re-validated yesterday: trusted again
    assert rep.removed == 1 and store.get_document(site.url("/a")) is None


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


def test_host_dropped_after_consecutive_failures(site, page_html, settings, store, make_source):
    site.add("/", page_html("Start", links=[f"/x{i}" for i in range(10)]))
    for i in range(10):
        site.add(f"/x{i}", "fel", status=500)
    rep = crawl(settings.replace(host_failure_limit=3, retries=0), [make_source(site)], store).sources["test"]
    assert len([p for p in site.paths() if p.startswith("/x")]) == 3
    assert rep.status == "partial" and any("fel i rad" in n for n in rep.notes)


def test_unreachable_host(settings, store, make_source, site):
    source = make_source(site)
    site.stop()
    rep = crawl(settings, [source], store).sources["test"]
    assert rep.status == "unreachable"


def test_robots_5xx_skips_host_and_keeps_documents(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    source = make_source(site)
    crawl(settings, [source], store)
    site.add("/robots.txt", "fel", status=503)
    site.clear()
    rep = crawl(settings.replace(retries=0), [source], store).sources["test"]
    assert rep.status == "unreachable" and site.paths() == ["/robots.txt"]
    assert store.count_documents() == 4 and rep.removed == 0


def test_private_host_blocked_without_allowance(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    rep = crawl(settings, [make_source(site, allow_private_network=False)], store).sources["test"]
    assert site.requests == [] and rep.status == "unreachable"
    assert any(r.startswith("robots_blocked") for r in rep.failed_by_reason())


def test_trap_urls_bounded(site, page_html, settings, store, make_source):
    def calendar(h):
        # An endless calendar: every page links to the next month and to a deeper copy of itself.
        path = h.path.split("?")[0]
        return site.Page(page_html("Kalender", LONG + path, links=[path + "vecka/", "?date=2300-01-01", "/kalender/?page=9999"]))

    site.fallback = calendar
    site.add("/", page_html("Start", links=["/kalender/"]))
    crawl(settings, [make_source(site, max_pages=200)], store)
    assert len(site.requests) < 12
    assert all("2300" not in p and "9999" not in p for p in site.paths())


def test_tracking_params_stripped_and_canonical_honoured(site, page_html, settings, store, make_source):
    site.add("/", page_html("Start", links=["/a?utm_source=nyhetsbrev&fbclid=123", "/a", "/kopia"]))
    site.add("/a", page_html("A", "A: " + LONG))
    site.add("/kopia", page_html("Kopia", "Kopia: " + LONG, head=f'<link rel="canonical" href="{site.url("/original")}">'))
    site.add("/original", page_html("Original", "Original: " + LONG))
    crawl(settings, [make_source(site)], store)
    assert site.paths().count("/a") == 1 and not any("utm_" in p for p in site.paths())
    assert store.document_urls() == {site.url("/"), site.url("/a"), site.url("/original")}


def test_redirect_to_disallowed_address_refused(site, page_html, settings, store, make_source):
    site.add("/", page_html("Start", links=["/ut"]))
    site.add("/ut", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    rep = crawl(settings, [make_source(site)], store).sources["test"]
    # 169.254.169.254 is outside the source's scope: the hop is refused before any connection is made.
    assert "out_of_scope" in rep.failed_by_reason()


def test_interrupted_crawl_resumes(site, page_html, settings, store, make_source):
    small_site(site, page_html, n=6, etag=False)
    crawl(settings, [make_source(site, max_pages=3)], store)  # stops after 3 pages, like an interrupted run
    # An interrupted run never clears its start marker; put back the one this run wrote.
    store.set_meta("crawl_in_progress:test", store.list_runs()[0]["started"])
    first = {r.path for r in site.requests} - {"/robots.txt"}
    assert len(first) == 3
    site.clear()
    crawl(settings, [make_source(site)], store)
    again = {r.path for r in site.requests} - {"/robots.txt"}
    assert store.count_documents() == 7
    assert again == {f"/sida{i}" for i in range(6)} - first  # only what the interrupted run had not fetched
    assert store.get_meta("crawl_in_progress:test") == ""


def test_near_duplicates_grouped(make_site, page_html, settings, store, make_source):
    a, b = make_site(), make_site()
    text = " ".join(f"{LONG} Avsnitt {i}." for i in range(8))
    a.add("/", page_html("Start", links=["/vagledning"]))
    a.add("/vagledning", page_html("Vägledning", text))
    b.add("/", page_html("Start B", links=["/kopior/vagledning-om-vald"]))
    b.add("/kopior/vagledning-om-vald", page_html("Vägledning", text.replace("Avsnitt 3.", "Avsnitt tre.")))
    crawl(settings, [make_source(a, id="a"), make_source(b, id="b")], store)
    canonical = store.get_document(a.url("/vagledning"))
    copy = store.get_document(b.url("/kopior/vagledning-om-vald"))
    assert copy.dup_of == canonical.url and canonical.locations == [copy.url]
    assert store.get_document(a.url("/")).dup_of is None


def test_simhash_distance():
    base = " ".join(f"{LONG} Stycke {i}." for i in range(10))
    assert hamming(simhash(base), simhash(base.replace("Stycke 4.", "Stycke fyra."))) <= 3
    assert hamming(simhash(base), simhash("Helt annan text om skatter och tullar. " * 40)) > 10
    groups = group_duplicates([("https://a/x", "h1", simhash(base)), ("https://a/longer", "h2", simhash(base + " slut")), ("https://b/", "h3", simhash("annat " * 50))])
    assert groups == [["https://a/x", "https://a/longer"]]


def test_host_gate_spacing():
    gate = HostGate()
    times = []
    for _ in range(3):
        with gate.slot("http://x", 0.1):
            times.append(time.monotonic())
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.099


def test_demo_sites_end_to_end(tmp_path: Path, settings):
    with DemoSites() as sites:
        path = tmp_path / "demo-sources.yaml"
        path.write_text(sites.render_sources(), encoding="utf-8")
        sources, _warnings = load_sources(path)
        with Store(tmp_path / "demo.sqlite3") as store:
            demo = settings.replace(data_dir=tmp_path)
            first = crawl(demo, sources, store)
            assert all(r.status == "ok" for r in first.sources.values()), {k: (r.status, r.failures) for k, r in first.sources.items()}
            assert store.count_documents() > 10
            texts = [d.text + d.title for d in store.iter_documents()]
            assert not any(bad in t for t in texts for bad in ("Ã¥", "Ã¤", "Ã¶", "\ufffd"))
            disallowed = _disallowed_paths(sites)
            assert disallowed and not any(r.path.startswith(disallowed) for r in sites.requests)
            before = len(sites.requests)
            second = crawl(demo, sources, store)
            later = sites.requests[before:]
            pages = [r for r in later if not r.path.endswith((".txt", ".xml", ".xml.gz"))]
            assert pages  # hubs are re-checked; sitemap-listed documents are skipped without a request
            assert all(r.status == 304 for r in pages), [(r.path, r.status) for r in pages if r.status != 304]
            assert sum(r.new + r.changed for r in second.sources.values()) == 0


def _disallowed_paths(sites: DemoSites) -> tuple[str, ...]:
    from protego import Protego  # noqa: F401 — the demo's robots.txt is read as the crawler reads it

    out = []
    for sid in sites.site_ids:
        robots = (sites.root / sid / "robots.txt")
        if robots.is_file():
            for line in robots.read_text(encoding="utf-8").splitlines():
                if line.lower().startswith("disallow:") and line.split(":", 1)[1].strip():
                    out.append(line.split(":", 1)[1].strip())
    return tuple(out)


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
