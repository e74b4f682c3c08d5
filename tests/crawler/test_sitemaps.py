"""Sitemaps: plain, gzip, index, lastmod, size cap and XXE safety, fetched from a real server."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from crawler.fetch import Fetcher
from crawler.sitemaps import parse_lastmod, parse_sitemap, read_sitemaps
from kb.errors import FetchError

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*entries: tuple[str, str | None]) -> str:
    body = "".join(f"<url><loc>{u}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>" for u, m in entries)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{body}</urlset>'


def test_index_plain_and_gzip(site, settings):
    site.add("/sitemap.xml", f'<?xml version="1.0"?><sitemapindex {NS}><sitemap><loc>{site.url("/a.xml")}</loc></sitemap>'
             f'<sitemap><loc>{site.url("/b.xml.gz")}</loc></sitemap></sitemapindex>', content_type="application/xml")
    site.add("/a.xml", urlset((site.url("/1"), "2024-05-03"), (site.url("/2"), None)), content_type="application/xml")
    site.add("/b.xml.gz", gzip.compress(urlset((site.url("/3"), "2024-05-03T10:00:00+02:00")).encode()), content_type="application/gzip")
    with Fetcher(settings) as f:
        entries, failures = read_sitemaps(lambda u: f.fetch(u, allow_private=True), [site.url("/sitemap.xml")])
    assert failures == []
    assert [e.url for e in entries] == [site.url("/1"), site.url("/2"), site.url("/3")]
    assert entries[0].lastmod == datetime(2024, 5, 3, 23, 59, 59, tzinfo=UTC)  # a date covers its whole day
    assert entries[1].lastmod is None
    assert entries[2].lastmod == datetime(2024, 5, 3, 8, tzinfo=UTC)


def test_failures_reported_not_raised(site, settings):
    """A missing sitemap is a failure; a truncated one keeps its complete entries; a good one is read in full."""
    site.add("/broken.xml", f"<urlset {NS}><url><loc>{site.url('/kept')}</loc></url><url><loc>", content_type="application/xml")
    site.add("/good.xml", urlset((site.url("/g1"), None), (site.url("/g2"), "2024-05-03T10:00:00Z")), content_type="application/xml")
    with Fetcher(settings) as f:
        entries, failures = read_sitemaps(
            lambda u: f.fetch(u, allow_private=True), [site.url("/missing.xml"), site.url("/broken.xml"), site.url("/good.xml")]
        )
    assert [(url, reason) for url, reason, _ in failures] == [(site.url("/missing.xml"), "sitemap_http_404")]
    assert [e.url for e in entries] == [site.url("/kept"), site.url("/g1"), site.url("/g2")]
    assert entries[2].lastmod == datetime(2024, 5, 3, 10, tzinfo=UTC)


def test_xxe_and_entities_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("HEMLIGT")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">'
        f'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<urlset {NS}><url><loc>https://e.se/&x;</loc></url><url><loc>https://e.se/&b;</loc></url>"
        "<url><loc>https://e.se/ok</loc></url></urlset>"
    ).encode()
    entries, _ = parse_sitemap(body)
    # Entities are dropped, never expanded; the entries themselves survive.
    assert [e.url for e in entries] == ["https://e.se/", "https://e.se/", "https://e.se/ok"]


def test_gzip_bomb_sitemap_refused():
    bomb = gzip.compress(b" " * 60_000_000, compresslevel=1)
    with pytest.raises(FetchError) as exc:
        parse_sitemap(bomb)
    assert exc.value.reason == "too_large"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-05-03", datetime(2024, 5, 3, 23, 59, 59, tzinfo=UTC)),
        ("2024-05-03T10:00:00+02:00", datetime(2024, 5, 3, 8, tzinfo=UTC)),
        ("2024-05-03T10:00:00Z", datetime(2024, 5, 3, 10, tzinfo=UTC)),
        ("inte ett datum", None),
        (None, None),
    ],
)
def test_parse_lastmod(raw, expected):
    assert parse_lastmod(raw) == expected
