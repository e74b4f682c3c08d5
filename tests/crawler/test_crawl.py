"""The crawl loop end to end against real local servers, the real extractor and a real SQLite store."""

from __future__ import annotations

from pathlib import Path

from _crawl_sites import LONG, small_site

from crawler.crawl import crawl
from crawler.dedup import group_duplicates, hamming, simhash
from demo.server import DemoSites
from kb.sources import load_sources
from kb.store import Store


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
