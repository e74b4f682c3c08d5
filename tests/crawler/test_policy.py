"""The pure page policy and the scheduling rules, without HTTP: every outcome of decide() and the backoff."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest

from crawler.extract.model import Extracted, Link
from crawler.fetch import FetchResult
from crawler.frontier import is_pagination, retry_due, retry_nights, sitemap_says_unchanged
from crawler.policy import decide, to_document
from kb.models import Document, FetchState
from kb.sources import Source, UrlRule

URL = "https://myndighet.se/stod/a"
TEXT = "Socialtjänsten ska erbjuda stöd och skydd till kvinnor som utsatts för våld i nära relationer och till barn."


def source(**overrides):
    values = {"id": "m", "name": "M", "organisation": "Myndigheten", "start_urls": ("https://myndighet.se/",),
              "allow": (UrlRule.parse("https://myndighet.se/"),)}
    values.update(overrides)
    return Source(**values)


def response(headers=None, url=URL):
    return FetchResult(url, url, 200, {"etag": '"e1"', **(headers or {})}, b"<html>" + b"x" * 100)


def extracted(**kw):
    values = {"title": "Stöd", "text": TEXT, "format": "html", "links": [Link("https://myndighet.se/b", "B")]}
    values.update(kw)
    return Extracted(**values)


def state(status):
    return FetchState(URL, "m", status=status)


def test_a_page_is_stored_with_its_links():
    out = decide(extracted(), response(), source(), None)
    assert out.action == "store" and out.status == "ok"
    assert out.document.url == URL and out.document.organisation == "Myndigheten" and out.document.simhash != 0
    assert out.links == [("https://myndighet.se/b", False)] and out.failure is None and out.gone_reason is None


def test_error_page_at_a_new_url_is_an_informational_skip_that_keeps_validators():
    out = decide(extracted(title="Sidan finns inte", soft_404=True), response(), source(), None)
    assert (out.action, out.status, out.reason) == ("skip", "not_indexable", "soft_404")
    assert out.failure is None and out.info == ("soft_404", "Sidan finns inte")
    assert out.document is None and out.gone_reason is None


@pytest.mark.parametrize("previous", ["ok", "not_modified"])
def test_known_document_turned_error_page_is_a_failure_and_gone(previous):
    out = decide(extracted(title="Sidan finns inte", soft_404=True), response(), source(), state(previous))
    assert (out.action, out.gone_reason, out.failure) == ("fail", "soft_404", ("soft_404", "Sidan finns inte"))
    assert out.status == "error" and out.document is None


def test_stored_flag_overrides_the_previous_state():
    out = decide(extracted(soft_404=True), response(), source(), None, stored=True)
    assert out.action == "fail"


def test_noindex_by_meta_or_header_is_not_stored_and_a_stored_one_is_gone():
    out = decide(extracted(robots_noindex=True), response(), source(), state("ok"))
    assert (out.action, out.reason, out.gone_reason) == ("not_indexable", "noindex", "noindex") and out.links
    page = extracted()
    out = decide(page, response({"x-robots-tag": "noindex, nofollow"}), source(), None)
    assert (out.action, out.reason, out.gone_reason, out.links) == ("not_indexable", "noindex", None, [])
    assert not page.robots_noindex and not page.robots_nofollow  # pure: the input is not changed


def test_follow_only_page():
    out = decide(extracted(), response(), source(follow_only=(UrlRule.parse("https://myndighet.se/stod/"),)), None)
    assert (out.action, out.reason) == ("not_indexable", "follow_only") and out.links


def test_canonical_elsewhere_in_scope_is_queued_not_stored():
    out = decide(extracted(canonical="https://myndighet.se/stod/a-kanonisk?utm_source=x"), response(), source(), state("ok"))
    assert (out.action, out.reason, out.gone_reason) == ("not_indexable", "canonical", "canonical")
    assert out.canonical == "https://myndighet.se/stod/a-kanonisk"
    out = decide(extracted(canonical="https://annan.se/a"), response(), source(), None)
    assert out.action == "store"  # a canonical out of scope is ignored


def test_nofollow_links_and_pagination_marks():
    links = [Link("https://myndighet.se/x", "x", nofollow=True), Link("https://myndighet.se/lista?sida=2", "2"),
             Link("https://myndighet.se/lista/c", "Nästa"), Link("https://myndighet.se/artikel", "Artikel om stöd")]
    out = decide(extracted(links=links), response(), source(), None)
    assert out.links == [("https://myndighet.se/lista?sida=2", True), ("https://myndighet.se/lista/c", True),
                         ("https://myndighet.se/artikel", False)]


@pytest.mark.parametrize(
    "url, text, expected",
    [
        ("https://a.se/nyheter?page=3", "", True),
        ("https://a.se/nyheter?sida=12", "", True),
        ("https://a.se/nyheter/page/4/", "", True),
        ("https://a.se/nyheter/x", "Nästa »", True),
        ("https://a.se/nyheter/x", "Föregående", True),
        ("https://a.se/nyheter/x", "7", True),
        ("https://a.se/nyheter/2024", "2024", False),
        ("https://a.se/nyheter/nasta-steg", "Nästa steg i arbetet mot våld", False),
        ("https://a.se/nyheter?id=3", "", False),
    ],
)
def test_is_pagination(url, text, expected):
    assert is_pagination(url, text) is expected


def test_retry_backoff_schedule():
    assert [retry_nights(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    gone = FetchState(URL, "m", status="gone", failures=2, last_night=10)
    assert [retry_due(gone, night) for night in (11, 12, 13)] == [False, True, True]
    assert retry_due(FetchState(URL, "m", status="ok", failures=5, last_night=10), 11)  # only failed URLs wait
    assert retry_due(FetchState(URL, "m", status="gone", failures=1), 1)  # never tried under the night counter


def test_sitemap_lastmod_rule_covers_the_whole_day_of_the_last_fetch():
    fetched = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    ok = FetchState(URL, "m", status="ok", last_fetched=fetched)
    now = fetched + timedelta(days=1)
    assert sitemap_says_unchanged(datetime(2026, 12, 5, 23, 59, 59, tzinfo=UTC), ok, now)
    assert not sitemap_says_unchanged(datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC), ok, now)  # date-only today
    assert not sitemap_says_unchanged(datetime(2026, 12, 6, 1, 0, tzinfo=UTC), ok, now)  # earlier the same day
    assert not sitemap_says_unchanged(datetime(2020, 1, 1, tzinfo=UTC), ok, fetched + timedelta(days=7))
    assert not sitemap_says_unchanged(datetime(2020, 1, 1, tzinfo=UTC), FetchState(URL, "m", status="gone", last_fetched=fetched), now)
    assert not sitemap_says_unchanged(None, ok, now)


def test_host_gate_keeps_the_largest_delay_asked_for_on_a_host():
    from crawler.politeness import HostGate

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    gate = HostGate(clock=lambda: now[0], sleep=sleep)
    with gate.slot("http://a", 2.0):  # a polite source on the host
        pass
    with gate.slot("http://a", 0.0):  # a source with no delay of its own still waits 2 s
        pass
    with gate.slot("http://b", 0.0):  # another host is not slowed
        pass
    assert slept == [2.0]


@pytest.mark.parametrize(
    "rel, expected", [("next", True), ("prev", True), ("Prev noopener", True), ("nofollow", False), ("", False)],
)
def test_rel_next_or_prev_marks_pagination_whatever_the_url_and_text(rel, expected):
    assert is_pagination("https://a.se/arkiv/aldre-inlagg", "Äldre inlägg", rel) is expected


def test_rel_is_read_from_anchors_and_marks_their_links_as_pagination():
    from crawler.extract import extract_inline

    body = (
        "<html lang='sv'><head><title>Arkiv</title></head><body><main><h1>Arkiv</h1><p>" + "Stöd till våldsutsatta. " * 20
        + "</p><a href='/arkiv/b' rel='next'>Äldre inlägg</a> <a href='/artikel'>Artikel om skydd</a></main></body></html>"
    ).encode()
    ex = extract_inline(body, "https://myndighet.se/arkiv/a", "html", "text/html; charset=utf-8", None, ())
    assert {link.url: link.rel for link in ex.links} == {"https://myndighet.se/arkiv/b": "next", "https://myndighet.se/artikel": ""}
    out = decide(ex, response(url="https://myndighet.se/arkiv/a"), source(), None)
    assert dict(out.links) == {"https://myndighet.se/arkiv/b": True, "https://myndighet.se/artikel": False}


def test_every_field_extracted_and_document_share_is_carried_into_the_stored_document():
    # One conversion (crawler.policy.to_document) for the crawl and `kb test-url`: a field added to both
    # Extracted and Document but not copied fails here.
    values = {"title": "Stöd", "text": TEXT, "format": "pdf", "description": "Om stöd", "headings": ["Stöd", "Skydd"],
              "published": datetime(2024, 1, 2).date(), "modified": datetime(2024, 3, 4).date(), "language": "en",
              "page_count": 2, "page_starts": [0, 40]}
    shared = {f.name for f in fields(Extracted)} & {f.name for f in fields(Document)}
    assert shared == set(values)
    doc = to_document(Extracted(**values), URL, source(), 1234)
    assert {name: getattr(doc, name) for name in shared} == values
    assert (doc.url, doc.source, doc.organisation, doc.size) == (URL, "m", "Myndigheten", 1234) and doc.simhash != 0


def test_a_page_without_a_title_is_stored_under_its_url():
    assert to_document(extracted(title="  "), URL, source(), 10).title == URL
    assert decide(extracted(title=""), response(), source(), None).document.title == URL
