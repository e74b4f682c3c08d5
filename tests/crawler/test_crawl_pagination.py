"""Pagination in the crawl against a real local server: a rel=next chain keeps its depth, so no article behind it is lost."""

from __future__ import annotations

from crawler.crawl import crawl

LONG = (
    "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer. "
    "Barn som bevittnat våld är också brottsoffer och ska få stöd. "
)


def _listing(n: int, last: bool) -> str:
    """A listing page whose "older" link is marked only by rel=next (its URL and text follow no page pattern)."""
    older = "" if last else f'<a href="/arkiv/{n + 1}" rel="next">Äldre inlägg</a>'
    return (
        f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Arkiv {n}</title></head><body><main>'
        f"<h1>Arkiv {n}</h1><p>{LONG}</p><ul><li><a href=\"/artikel/{n}\">Artikel nummer {n} om skydd</a></li></ul>"
        f"{older}</main></body></html>"
    )


def test_rel_next_chain_does_not_eat_the_depth_budget(site, page_html, settings, store, make_source):
    pages = 6
    for n in range(pages):
        site.add(f"/arkiv/{n}", _listing(n, last=n == pages - 1))
        site.add(f"/artikel/{n}", page_html(f"Artikel {n}", f"Artikel {n}: " + LONG * 2))
    source = make_source(site, start_urls=(site.url("/arkiv/0"),), max_depth=1)
    rep = crawl(settings, [source], store).sources["test"]
    stored = store.document_urls("test")
    assert {site.url(f"/artikel/{n}") for n in range(pages)} <= set(stored), sorted(stored)
    assert rep.not_followed == 0 and rep.status == "ok"
