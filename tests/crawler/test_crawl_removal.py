"""Removal of a stored page that still answers 200 (noindex, an error page) against a real server with ETags."""

from __future__ import annotations

import pytest

from crawler.crawl import crawl

LONG = (
    "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer. "
    "Barn som bevittnat våld är också brottsoffer och ska få stöd. Hedersrelaterat våld och förtryck "
    "kräver särskilda insatser, liksom prostitution och människohandel för sexuella ändamål. "
)
ERROR_PAGE = ("Sidan finns inte", "Sidan du söker finns inte. Den kan ha flyttats eller tagits bort.")


@pytest.mark.parametrize("turn", ["noindex", "error_page"])
def test_disowned_page_is_removed_after_the_grace_and_then_costs_a_304(site, page_html, settings, store, make_source, turn):
    """While the document is stored its page is asked in full (a 304 would confirm it); once removed, a 304 a night."""
    site.add("/", page_html("Start", LONG, links=["/a"]), etag='"s"')
    site.add("/a", page_html("A", "A: " + LONG), etag='"a"')
    source = make_source(site)
    crawl(settings, [source], store)
    if turn == "noindex":
        site.add("/a", page_html("A", "A: " + LONG, head='<meta name="robots" content="noindex">'), etag='"a2"')
    else:
        site.add("/a", page_html(*ERROR_PAGE), etag='"e"')
    first = crawl(settings, [source], store).sources["test"]
    assert first.removed == 0 and store.get_document(site.url("/a")) is not None  # gone once: within the grace
    site.clear()
    second = crawl(settings, [source], store).sources["test"]
    assert [h.status for h in site.hits("/a")] == [200]  # asked in full although the ETag is known
    assert second.removed == 1 and store.get_document(site.url("/a")) is None
    site.clear()
    third = crawl(settings, [source], store).sources["test"]
    assert [h.status for h in site.hits("/a")] == [304] and third.fetched == 0 and third.failed == 0
