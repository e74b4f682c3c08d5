"""JSON API, OpenAPI, Atom feed, OpenSearch and cache headers over a real index."""

from __future__ import annotations

import json
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

from _web_corpus import BASE_URL

from kb.searchmodel import SearchRequest

ATOM = "{http://www.w3.org/2005/Atom}"
VAG_ID = "tag:kb.example.org,2024:443/dokument/www.socialstyrelsen.se/vald/vagledning"  # the kb's host:port, then the document


def test_api_search_is_exactly_the_service_json(client: Any, service: Any) -> None:
    r = client.get("/api/v1/search", params=[("q", "våld"), ("per_page", "5"), ("page", "2"), ("format", "html"), ("format", "pdf")])
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    expected = service.search(SearchRequest(q="våld", filters={"format": ["html", "pdf"]}, per_page=5, page=2)).to_json()
    assert r.json() == json.loads(json.dumps(expected))
    assert r.json()["per_page"] == 5 and len(r.json()["results"]) == 5


def test_api_bad_parameters_are_problems(client: Any) -> None:
    for params in ({"q": "våld", "per_page": "abc"}, {"per_page": "0"}, {"per_page": "51"}, {"page": "-1"},
                   {"page": "1e9"}, {"sort": "evil"}, {"q": "a" * 1001}):
        r = client.get("/api/v1/search", params=params)
        assert r.status_code == 400, params
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert set(body) == {"type", "title", "status", "detail"} and body["status"] == 400
    assert "per_page" in client.get("/api/v1/search", params={"per_page": "abc"}).json()["detail"]


def test_api_unknown_route_and_method_are_problems(client: Any) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/search", data={"q": "x"})
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["allow"] == "GET, HEAD"


def test_openapi_document(client: Any) -> None:
    r = client.get("/api/v1/openapi.json")
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/api/v1/search", "/api/v1/suggest", "/api/v1/openapi.json"}
    params = {p["name"] for p in doc["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "page", "per_page", "sort", "delomrade", "organisation", "doc_type", "malgrupp", "year", "format"} <= params
    assert doc["servers"] == [{"url": BASE_URL}]
    # every key the API returns is described
    api = client.get("/api/v1/search", params={"q": "våld"}).json()
    schema = doc["components"]["schemas"]
    assert set(api) <= set(schema["SearchResponse"]["properties"])
    assert set(api["results"][0]) <= set(schema["Hit"]["properties"])


def test_openapi_documents_the_error_answers_of_every_operation(client: Any) -> None:
    """405, 414, 431 and any other error (404 under /api/) are problem+json, stated per operation, not only in prose."""
    doc = client.get("/api/v1/openapi.json").json()
    for path, item in doc["paths"].items():
        responses = item["get"]["responses"]
        for status in ("405", "414", "431", "default"):
            assert "application/problem+json" in responses[status]["content"], (path, status)
    r = client.post("/api/v1/search")
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/api/v1/finns-inte")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_suggest_api(client: Any) -> None:
    r = client.get("/api/v1/suggest", params={"q": "kvinno"})
    body = r.json()
    assert body["query"] == "kvinno"
    assert body["suggestions"] and all(s.startswith("kvinno") for s in body["suggestions"])
    assert len(body["suggestions"]) <= 8
    assert client.get("/api/v1/suggest", params={"q": ""}).json() == {"query": "", "suggestions": []}
    # a space after the last word says it is whole: only phrases that continue after it ("kvinno" is none)
    spaced = client.get("/api/v1/suggest", params={"q": "kvinno "}).json()
    assert spaced["query"] == "kvinno " and all(s.startswith("kvinno ") for s in spaced["suggestions"])
    assert "kvinno " not in [s[:7] for s in body["suggestions"]]


def test_suggest_api_answers_what_its_openapi_says(client: Any) -> None:
    """q is required and at most 100 characters: a missing or longer q is a 400 problem, never a silent cut."""
    param = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/suggest"]["get"]["parameters"][0]
    assert param["required"] is True and param["schema"]["maxLength"] == 100
    for params in ({}, {"q": "k" * 101}):
        r = client.get("/api/v1/suggest", params=params)
        assert r.status_code == 400, params
        assert r.headers["content-type"] == "application/problem+json" and r.json()["status"] == 400
    assert "högst 100 tecken" in client.get("/api/v1/suggest", params={"q": "k" * 101}).json()["detail"]
    r = client.get("/api/v1/suggest", params={"q": "kvinno" + "x" * 94})
    assert r.status_code == 200 and r.json()["query"] == "kvinno" + "x" * 94


def test_etag_and_304(client: Any) -> None:
    for url in ("/sok?q=v%C3%A5ld", "/api/v1/search?q=v%C3%A5ld", "/sok.atom?q=v%C3%A5ld", "/delomrade/sexuellt-vald"):
        r = client.get(url)
        assert r.status_code == 200, url
        etag = r.headers["etag"]
        assert r.headers["cache-control"] == "public, max-age=60"
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.content == b"" and again.headers["etag"] == etag
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    a = client.get("/sok?q=v%C3%A5ld").headers["etag"]
    b = client.get("/sok?q=v%C3%A5ld&page=2").headers["etag"]
    c = client.get("/api/v1/search?q=v%C3%A5ld").headers["etag"]
    assert len({a, b, c}) == 3


def test_etag_changes_with_the_index_generation(app: Any, client: Any) -> None:
    web = app.state.web
    before = client.get("/sok?q=v%C3%A5ld").headers["etag"]

    class Renamed:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        generation = "gen-other"

    original = web.searcher.backend
    web.searcher.backend = Renamed(original)
    try:
        after = client.get("/sok?q=v%C3%A5ld", headers={"If-None-Match": before})
    finally:
        web.searcher.backend = original
    assert after.status_code == 200 and after.headers["etag"] != before


def test_atom_feed(client: Any) -> None:
    r = client.get("/sok.atom", params={"q": "våld"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed"
    self_link = root.find(f"{ATOM}link[@rel='self']").attrib["href"]
    assert self_link == f"{BASE_URL}/sok.atom?q=v%C3%A5ld"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) > 10
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True), "newest first"
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert all(i.startswith("tag:") for i in ids) and len(set(ids)) == len(ids)
    vag = next(e for e in entries if e.find(f"{ATOM}link").attrib["href"].endswith("/vald/vagledning"))
    assert vag.find(f"{ATOM}id").text == VAG_ID
    # kb's own times (issue 12): published = when kb first saw it, updated = when kb last saw its text change;
    # never the date the page claims (2024-03-05), which would hide material indexed today with an old date
    published, updated_at = vag.find(f"{ATOM}published").text, vag.find(f"{ATOM}updated").text
    assert published != "2024-03-05T00:00:00Z" and published.endswith("Z") and updated_at >= published
    # ids are stable across requests and independent of the query
    other = ET.fromstring(client.get("/sok.atom", params={"q": "vägledning"}).content)
    assert VAG_ID in [e.find(f"{ATOM}id").text for e in other.findall(f"{ATOM}entry")]


class _AppOnItsPort:
    """An ASGI app made once the server's port is known, as `kb serve --port P` makes its base URL http://HOST:P."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def _feed_ids(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/sok.atom?q=v%C3%A5ld", timeout=30) as resp:  # noqa: S310 — loopback
        root = ET.fromstring(resp.read())
    return [e.find(f"{ATOM}id").text or "" for e in root.findall(f"{ATOM}entry")]


def test_two_kb_instances_on_one_host_give_their_feed_entries_different_ids(built_index: Any, service: Any) -> None:
    from _web_server import LiveServer

    from web.app import create_app

    servers = []
    try:
        for _ in range(2):  # two instances on 127.0.0.1, other ports, no KB_BASE_URL: one index, two kb's
            late = _AppOnItsPort()
            server = LiveServer(late)
            late.app = create_app(built_index.replace(base_url=server.url), service)
            servers.append(server.start())
        first, second = (_feed_ids(server.url) for server in servers)
        assert first and len(first) == len(second)
        assert not set(first) & set(second)  # a reader subscribed to both sees two entries, not one
        port = servers[0].port
        assert f"tag:127.0.0.1,2024:{port}/dokument/www.socialstyrelsen.se/vald/vagledning" in first
        assert _feed_ids(servers[0].url) == first  # stable across requests
    finally:
        for server in servers:
            server.stop()


def test_results_page_advertises_feed_and_opensearch(client: Any) -> None:
    html = client.get("/sok", params={"q": "våld"}).text
    assert '<link rel="alternate" type="application/atom+xml"' in html and 'href="/sok.atom?q=v%C3%A5ld"' in html
    assert "Bevaka sökningen" in html
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html


def test_opensearch_uses_base_url_never_host(client: Any) -> None:
    r = client.get("/opensearch.xml", headers={"Host": "localhost"})
    assert r.status_code == 200
    root = ET.fromstring(r.content)
    templates = [u.attrib["template"] for u in root.findall("{http://a9.com/-/spec/opensearch/1.1/}Url")]
    assert f"{BASE_URL}/sok?q={{searchTerms}}" in templates
    assert all(t.startswith(BASE_URL) for t in templates)
    assert "localhost" not in r.text and "testserver" not in r.text
    feed = client.get("/sok.atom?q=x", headers={"Host": "localhost"}).text
    assert "localhost" not in feed


def test_feed_lists_undated_documents_at_the_time_kb_first_saw_them(client: Any) -> None:
    html_hits = client.get("/sok", params={"q": "kontaktförbud"}).context["hits"]
    assert any(h.url.endswith("/vald/kontaktforbud") and h.date_iso is None for h in html_hits)
    feed = ET.fromstring(client.get("/sok.atom", params={"q": "kontaktförbud"}).content)
    entry = next(e for e in feed.findall(f"{ATOM}entry") if e.find(f"{ATOM}link").attrib["href"].endswith("/kontaktforbud"))
    assert entry.find(f"{ATOM}published").text.endswith("Z")  # kb's own first-seen time, never an invented date


def test_notice_is_in_the_json_the_schema_and_the_page(client: Any, service: Any) -> None:
    from index.search import NOTICE_FUZZY

    data = client.get("/api/v1/search", params={"q": "könstympning"}).json()
    assert data["notice"] == NOTICE_FUZZY and data["suggestion"] == "könsstympning" and data["total"] >= 1
    assert client.get("/api/v1/search", params={"q": "våld"}).json()["notice"] is None
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["SearchResponse"]
    assert schema["properties"]["notice"]["type"] == ["string", "null"]
    assert set(SearchRequest.__dataclass_fields__) <= set(service.search(SearchRequest(q="x")).to_json()) | {"q", "filters"}
    page = client.get("/sok", params={"q": "könstympning"})
    assert page.context["notices"] == [NOTICE_FUZZY] and NOTICE_FUZZY in page.text


def test_empty_feed_is_dated_by_the_index_build_not_the_clock(built_index: Any, client: Any, service: Any) -> None:
    from datetime import UTC, datetime

    from web.formatting import generation_time

    info = json.loads(((built_index.index_root / "current").resolve() / "generation.json").read_text(encoding="utf-8"))
    built = datetime.fromisoformat(info["built_at"]).astimezone(UTC)
    assert service.built_at == info["built_at"]
    feeds = [ET.fromstring(client.get("/sok.atom", params={"q": f"zzqx{i}"}).content) for i in range(2)]
    assert [f.findall(f"{ATOM}entry") for f in feeds] == [[], []]
    assert [f.find(f"{ATOM}updated").text for f in feeds] == [built.strftime("%Y-%m-%dT%H:%M:%SZ")] * 2
    # without built_at, the name's stamp (with or without microseconds) is the build time
    assert generation_time("gen-20261130T014722200096Z-538349") == datetime(2026, 11, 30, 1, 47, 22, 200096, tzinfo=UTC)
    assert generation_time("gen-20240305T120005Z-abc") == datetime(2024, 3, 5, 12, 0, 5, tzinfo=UTC)
    assert generation_time(service.generation).replace(microsecond=0) <= built  # built_at has whole seconds


def test_a_failed_search_is_not_served_again_from_the_cache(client: Any, service: Any, monkeypatch: Any) -> None:
    from kb.searchmodel import NOTICE_ERROR, SearchResponse

    real = service.search
    calls: list[str] = []

    def flaky(request: SearchRequest) -> SearchResponse:
        calls.append(request.q)
        if len(calls) == 1:  # e.g. an OSError while reading the index: the service answers with a notice
            return SearchResponse(request.q, 0, 1, request.per_page, [], {}, notice=NOTICE_ERROR, generation=service.generation)
        return real(request)

    monkeypatch.setattr(service, "search", flaky)
    first = client.get("/api/v1/search", params={"q": "tillfälligt fel kvinnojour"}).json()
    second = client.get("/api/v1/search", params={"q": "tillfälligt fel kvinnojour"}).json()
    assert first["notice"] == NOTICE_ERROR
    assert second["notice"] != NOTICE_ERROR and len(calls) == 2
