"""Compression and conditional GET over a real uvicorn: gzip when accepted, Vary, weak ETags on every cacheable GET, 304s."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from _web_server import raw_get

from web.compression import accepts_gzip

GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}

# One URL per route: a new route without caching headers fails test_every_route_is_listed.
CACHEABLE = {
    "/": "/",
    "/sok": "/sok?q=v%C3%A5ld",
    "/sok.atom": "/sok.atom?q=v%C3%A5ld",
    "/delomrade/{slug}": "/delomrade/vald-i-nara-relationer",
    "/lan": "/lan",
    "/lan/{slug}": "/lan/ostergotlands-lan",
    "/kallor": "/kallor",
    "/kallor/{source}": "/kallor/lst",
    "/opensearch.xml": "/opensearch.xml",
    "/api/v1/search": "/api/v1/search?q=v%C3%A5ld&per_page=50",
    "/api/v1/suggest": "/api/v1/suggest?q=kvinno",
    "/api/v1/openapi.json": "/api/v1/openapi.json",
    "/static": "/static/kb.css",
}


OPERATIONS = {"/healthz", "/readyz", "/metrics"}  # web.health: for monitors, never cached


def test_every_route_is_listed(app: Any) -> None:
    assert {getattr(route, "path", None) for route in app.routes} - OPERATIONS == set(CACHEABLE)


@pytest.mark.parametrize("route", sorted(CACHEABLE))
def test_every_cacheable_get_has_a_weak_etag_and_cache_control_and_revalidates(live_server: Any, route: str) -> None:
    url = CACHEABLE[route]
    status, plain, body = raw_get(live_server.port, url)
    assert status == 200 and body, url
    tag = plain["etag"]
    assert tag.startswith('W/"') and plain["cache-control"].startswith("public, max-age="), (url, plain)
    assert "accept-encoding" in plain["vary"].lower()
    status, zipped, _ = raw_get(live_server.port, url, headers=GZIP)
    assert status == 200 and zipped["etag"] == tag, "one weak tag for both encodings"
    for headers in ({}, GZIP):  # the tag from either encoding revalidates under either
        for sent in (tag, tag.removeprefix("W/"), f'"other", {tag}', "*"):
            status, answer, body = raw_get(live_server.port, url, headers={**headers, "If-None-Match": sent})
            assert status == 304 and body == b"", (url, sent)
            assert answer["etag"] == tag and answer["cache-control"] == plain["cache-control"]
            assert "accept-encoding" in answer["vary"].lower()
        status, _, _ = raw_get(live_server.port, url, headers={**headers, "If-None-Match": 'W/"other"'})
        assert status == 200


@pytest.mark.parametrize("url", ["/sok?q=v%C3%A5ld", "/api/v1/search?q=v%C3%A5ld&per_page=50", "/", "/kallor",
                                 "/static/kb.css", "/static/kb.js", "/sok.atom?q=v%C3%A5ld"])
def test_gzip_when_accepted_and_the_same_bytes_inside(live_server: Any, url: str) -> None:
    status, plain, body = raw_get(live_server.port, url)
    assert status == 200 and "content-encoding" not in plain
    status, zipped, packed = raw_get(live_server.port, url, headers=GZIP)
    assert status == 200 and zipped["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == body
    assert int(zipped["content-length"]) == len(packed) < len(body) / 2, (len(packed), len(body))
    assert zipped["content-type"] == plain["content-type"]
    for answer in (plain, zipped):  # said once, whether or not the gzip responder said it too
        assert [v.strip().lower() for v in answer["vary"].split(",")].count("accept-encoding") == 1, answer["vary"]


def test_gzip_refused_is_never_sent(live_server: Any) -> None:
    for header in ("identity", "gzip;q=0", "*;q=0", "br", "gzip;q=0, *"):
        status, headers, body = raw_get(live_server.port, "/sok?q=v%C3%A5ld", headers={"Accept-Encoding": header})
        assert status == 200 and "content-encoding" not in headers and b"<html" in body, header


def test_small_and_error_answers_stay_plain_but_vary(live_server: Any) -> None:
    status, headers, body = raw_get(live_server.port, "/api/v1/suggest?q=zzqx", headers=GZIP)
    assert status == 200 and len(body) < 500 and "content-encoding" not in headers
    assert "accept-encoding" in headers["vary"].lower() and headers["etag"].startswith("W/")
    status, headers, body = raw_get(live_server.port, "/api/v1/suggest", headers=GZIP)
    assert status == 400 and headers["content-type"] == "application/problem+json" and headers["cache-control"] == "no-store"


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("deflate, gzip;q=0.5") and accepts_gzip("*") and accepts_gzip("GZIP")
    assert accepts_gzip("x-gzip") and accepts_gzip("br;q=1, *;q=0.1")
    for header in ("", "identity", "br, zstd", "gzip;q=0", "gzip; q=0.0", "*;q=0", "gzip;q=0, *", "gzip;q=abc"):
        assert not accepts_gzip(header), header


def test_etags_differ_by_url_and_by_generation(app: Any, client: Any) -> None:
    urls = ["/sok?q=v%C3%A5ld", "/sok?q=v%C3%A5ld&page=2", "/api/v1/search?q=v%C3%A5ld", "/", "/api/v1/suggest?q=kvinno"]
    tags = [client.get(url).headers["etag"] for url in urls]
    assert len(set(tags)) == len(urls)
    web = app.state.web

    class Renamed:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        generation = "gen-other"

    original = web.searcher.backend
    web.searcher.backend = Renamed(original)
    try:
        after = [client.get(url, headers={"If-None-Match": tag}) for url, tag in zip(urls, tags, strict=True)]
    finally:
        web.searcher.backend = original
    assert [r.status_code for r in after] == [200] * len(urls)
    assert all(r.headers["etag"] != tag for r, tag in zip(after, tags, strict=True))


def test_a_not_found_page_may_be_cached_briefly(client: Any) -> None:
    r = client.get("/finns-inte")
    assert r.status_code == 404 and r.headers["cache-control"] == "public, max-age=60"
