"""An improved extractor reaches pages already stored: one full fetch each, the new text kept, no edit announced."""

from __future__ import annotations

from _crawl_sites import small_site

from crawler.crawl import crawl
from crawler.extract import EXTRACTOR_VERSIONS


def _as_an_older_kb_stored_it(store, url: str) -> None:
    """What a store written before extractor versions holds: the text an older extractor made, no version."""
    with store.transaction() as db:
        db.execute("UPDATE documents SET text = 'Meny Dela sidan gammal text', content_hash = 'old', extra = '{}', "
                   "last_changed = '2020-01-01T00:00:00' WHERE url = ?", (url,))
        db.execute("DELETE FROM meta WHERE key LIKE 'extractor_version.%'")


def test_an_improved_extractor_reaches_stored_pages_once(site, page_html, settings, store, make_source):
    small_site(site, page_html)
    source = make_source(site)
    crawl(settings, [source], store)
    assert store.get_meta("extractor_version.html") == str(EXTRACTOR_VERSIONS["html"])  # a new store is current
    old = site.url("/sida0")
    _as_an_older_kb_stored_it(store, old)

    site.clear()
    rep = crawl(settings, [source], store).sources["test"]
    [hit] = site.hits("/sida0")
    assert hit.status == 200 and "If-None-Match" not in hit.headers  # fetched in full, not revalidated
    assert all(r.status == 304 for r in site.requests if r.path not in ("/sida0", "/robots.txt"))  # read by this kb
    doc = store.get_document(old)
    assert doc is not None and "Socialtjänsten ska erbjuda stöd" in doc.text and "gammal text" not in doc.text
    assert doc.extra["extractor"] == EXTRACTOR_VERSIONS["html"]
    assert store.last_changed_map([old])[old] == "2020-01-01T00:00:00"  # the page did not change: no edit in feeds
    assert (rep.new, rep.changed, rep.unchanged) == (0, 0, 4)
    assert old in store.changes_since(0)[0]  # … but it is indexed again

    site.clear()
    crawl(settings, [source], store)  # once: the next night revalidates again
    assert [r.status for r in site.hits("/sida0")] == [304]


def test_an_edit_after_the_new_extractor_read_the_page_is_an_edit(site, page_html, settings, store, make_source):
    small_site(site, page_html, etag=False)
    source = make_source(site)
    crawl(settings, [source], store)
    url = site.url("/sida1")
    site.routes["/sida1"].body = page_html("Sida 1", "Helt ny text om kvinnofrid och skyddat boende i länet.")
    rep = crawl(settings, [source], store).sources["test"]
    assert rep.changed == 1 and store.last_changed_map([url])[url] > "2020"
    assert "Helt ny text" in store.get_document(url).text


def test_the_documents_due_are_chosen_once_per_extractor_version(settings, store):
    from kb.models import Document, FetchState

    for i in range(3):
        url = f"https://x.example/{i}"
        store.put_document(Document(url=url, source="s", organisation="O", title="T", text=f"text {i}", format="html"))
        store.put_state(FetchState(url=url, source="s", status="ok", etag=f'"{i}"'))
    assert store.refetch_older_extractions({"html": 2, "pdf": 1}) == {"html": 3}
    assert [store.get_state(f"https://x.example/{i}").etag for i in range(3)] == [None, None, None]
    assert store.refetch_older_extractions({"html": 2, "pdf": 1}) == {}  # recorded: asked again, nothing is due
