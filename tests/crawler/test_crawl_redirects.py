"""Redirects in the crawl against real local servers: permanent moves, temporary redirects, and each hop's own host delay."""

from __future__ import annotations

import pytest

from crawler.crawl import crawl

LONG = (
    "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer. "
    "Barn som bevittnat våld är också brottsoffer och ska få stöd. Hedersrelaterat våld och förtryck "
    "kräver särskilda insatser, liksom prostitution och människohandel för sexuella ändamål. "
)


def _night_one(site, page_html, store, settings, source, claimed):
    """Night 1: /gammal holds a document. ``claimed``: the start page links the redirect target too."""
    links = ["/gammal", "/ny"] if claimed else ["/gammal"]
    site.add("/", page_html("Start", LONG, links=links), etag='"s"')
    site.add("/gammal", page_html("Gammal", "Gammal sida om skyddat boende. " + LONG), etag='"g"')
    site.add("/ny", page_html("Ny", "Ny sida om jourverksamhet. " + LONG), etag='"n"')
    crawl(settings, [source], store)
    assert store.get_document(site.url("/gammal")) is not None


@pytest.mark.parametrize("claimed", [False, True], ids=["target-fetched-by-the-hop", "target-visited-on-its-own"])
@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_moves_the_document_at_once(site, page_html, settings, store, make_source, status, claimed):
    source = make_source(site)
    _night_one(site, page_html, store, settings, source, claimed)
    site.add("/gammal", "", status=status, headers={"Location": site.url("/ny")})
    rep = crawl(settings, [source], store).sources["test"]
    assert store.get_document(site.url("/gammal")) is None
    assert "jourverksamhet" in store.get_document(site.url("/ny")).text
    assert rep.removed == 1 and rep.failed == 0
    state = store.get_state(site.url("/gammal"))
    assert (state.status, state.reason) == ("redirect", "redirect")


@pytest.mark.parametrize("claimed", [False, True], ids=["target-fetched-by-the-hop", "target-visited-on-its-own"])
@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_keeps_the_document_under_its_url(site, page_html, settings, store, make_source, status, claimed):
    """A 302/303/307 keeps the document at its address (the site says it comes back); the target is stored where it lives."""
    source = make_source(site)
    _night_one(site, page_html, store, settings, source, claimed)
    site.add("/gammal", "", status=status, headers={"Location": site.url("/ny")})
    rep = crawl(settings, [source], store).sources["test"]
    kept = store.get_document(site.url("/gammal"))
    assert kept is not None and "skyddat boende" in kept.text  # not overwritten by the target's content
    assert "jourverksamhet" in store.get_document(site.url("/ny")).text  # the target's content under the target's URL
    assert rep.removed == 0 and rep.failed == 0
    state = store.get_state(site.url("/gammal"))
    assert (state.status, state.reason, state.gone_count) == ("redirect", "redirect_temporary", 1)
    # The redirect ends: the page answers again and is refreshed under its own URL; nothing was lost.
    site.add("/gammal", page_html("Gammal", "Gammal sida om skyddat boende, uppdaterad. " + LONG), etag='"g2"')
    rep = crawl(settings, [source], store).sources["test"]
    assert "uppdaterad" in store.get_document(site.url("/gammal")).text
    assert rep.removed == 0 and store.get_state(site.url("/gammal")).gone_count == 0


def test_temporary_redirect_that_lasts_past_the_grace_removes_the_document(site, page_html, settings, store, make_source):
    source = make_source(site)
    _night_one(site, page_html, store, settings, source, claimed=False)
    site.add("/gammal", "", status=302, headers={"Location": site.url("/ny")})
    assert crawl(settings, [source], store).sources["test"].removed == 0
    assert store.get_document(site.url("/gammal")) is not None
    rep = crawl(settings, [source], store).sources["test"]  # night N + gone_after_runs - 1 (default 2): removed
    assert settings.gone_after_runs == 2
    assert rep.removed == 1 and store.get_document(site.url("/gammal")) is None
    assert store.get_document(site.url("/ny")) is not None


def test_chain_with_a_temporary_hop_is_not_a_move(site, page_html, settings, store, make_source):
    """301 then 302: the final address is only temporary, so the document stays where it was found."""
    source = make_source(site)
    _night_one(site, page_html, store, settings, source, claimed=False)
    site.add("/gammal", "", status=301, headers={"Location": site.url("/mellan")})
    site.add("/mellan", "", status=302, headers={"Location": site.url("/ny")})
    rep = crawl(settings, [source], store).sources["test"]
    assert rep.removed == 0 and store.get_document(site.url("/gammal")) is not None


def test_redirect_to_another_host_waits_for_that_hosts_delay(make_site, page_html, settings, store, make_source):
    """A hop to another origin is sent in that origin's slot: its spacing holds although the hop starts on host A.

    Both lanes reach their first page one delay after robots.txt: B's start page and A's redirect into B would
    hit B at the same moment if the hop rode in A's slot (a gap of about zero here).
    """
    a, b = make_site(), make_site()
    delay = 0.4
    a.add("/", "", status=302, headers={"Location": b.url("/mal")})
    b.add("/", page_html("B", "Startsida B. " + LONG))
    b.add("/mal", page_html("Mål", "Målsida om stöd. " + LONG))
    source = make_source(start_urls=(a.url("/"), b.url("/")), delay=delay)
    rep = crawl(settings, [source], store).sources["test"]
    assert rep.failed == 0 and store.get_document(b.url("/mal")) is not None
    requests = sorted(b.requests, key=lambda r: r.at)
    assert [r.path for r in requests].count("/robots.txt") == 1 and len(requests) == 3
    gaps = [nxt.at - prev.ended for prev, nxt in zip(requests, requests[1:], strict=False)]
    assert min(gaps) >= delay - 0.02, gaps
