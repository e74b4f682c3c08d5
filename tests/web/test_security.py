"""Hostile requests over HTTP (TestClient and a real uvicorn on 127.0.0.1): XSS, query abuse, traversal, hosts, methods, headers, load."""

from __future__ import annotations

import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from _web_corpus import IMG, SCRIPT
from _web_server import LiveServer, raw_get

from bench.hostile_input import ENDPOINTS, HOSTILE_QUERIES
from web.app import create_app
from web.responses import TEMPLATES_DIR, build_environment
from web.security import CSP

XSS = [SCRIPT, IMG, "'onmouseover=alert(1) x='", "javascript:alert(1)", "</title><script>alert(1)</script>"]
PATHOLOGICAL = HOSTILE_QUERIES  # bench.hostile_input times the same inputs


def _assert_no_markup(text: str, where: str) -> None:
    assert "<script>alert" not in text, where
    assert "<img src=x" not in text, where
    assert "</title><script>" not in text, where


def _security_headers_ok(headers: Any, where: str) -> None:
    assert headers.get("content-security-policy") == CSP, where
    assert "default-src 'self'" in CSP and "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
    assert "base-uri 'none'" in CSP and "form-action 'self'" in CSP and "img-src 'self' data:" in CSP and "style-src 'self'" in CSP
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", where
    assert headers.get("x-frame-options") == "DENY", where
    assert "camera=()" in headers.get("permissions-policy", ""), where
    assert "server" not in {k.lower() for k in headers}, where


# -- XSS ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_reflected_xss_in_search_page(client: Any, payload: str) -> None:
    r = client.get("/sok", params={"q": payload})
    assert r.status_code == 200
    _assert_no_markup(r.text, "results page")
    assert "onmouseover=alert(1) x='\"" not in r.text
    # title, status message and the input's value carry the escaped text
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    if payload.strip() and "javascript" not in payload:
        assert f'value="{escaped}"' in r.text
        assert f"<title>”{escaped}” – Sök" in r.text
        assert f"för ”{escaped}”" in r.text


@pytest.mark.parametrize("payload", XSS)
def test_reflected_xss_in_filters_chips_links_and_feed(client: Any, payload: str) -> None:
    r = client.get("/sok", params=[("q", "våld"), ("organisation", payload), ("delomrade", payload)])
    assert r.status_code == 200
    _assert_no_markup(r.text, "chips")
    assert len(r.context["chips"]) == 2
    feed = client.get("/sok.atom", params=[("q", payload), ("organisation", payload)])
    assert feed.status_code == 200
    _assert_no_markup(feed.text, "feed")
    ET.fromstring(feed.content)  # still well-formed XML
    api = client.get("/api/v1/search", params={"q": payload})
    assert api.headers["content-type"] == "application/json"


def test_reflected_xss_in_suggestion_link(app: Any) -> None:
    from starlette.testclient import TestClient

    web = app.state.web

    class Suggesting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def search(self, request: Any) -> Any:
            response = self.inner.search(request)
            response.suggestion = SCRIPT + IMG
            return response

    client = TestClient(create_app(web.settings, Suggesting(web.backend)))
    r = client.get("/sok", params={"q": "våldd"})
    assert r.context["suggestion"].text == SCRIPT + IMG
    _assert_no_markup(r.text, "suggestion")
    assert "Menade du <a href=\"/sok?q=%3Cscript%3E" in r.text


@pytest.mark.parametrize("url", [
    "/", "/sok?q=v%C3%A5ld", "/sok?q=citat", "/sok?q=st%C3%B6d", "/sok?q=javascript", "/delomrade/vald-i-nara-relationer",
    "/kallor", "/sok.atom?q=v%C3%A5ld", "/sok?q=v%C3%A5ld&sort=nyast",
])
def test_stored_xss_from_crawled_documents_is_escaped(client: Any, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200
    _assert_no_markup(r.text, url)
    assert "onerror=alert(1)>" not in r.text


def test_hostile_document_renders_as_text(client: Any) -> None:
    r = client.get("/sok", params={"q": "citat apostrof"})
    hit = next(h for h in r.context["hits"] if h.url.endswith("/xss/titel"))
    assert SCRIPT in hit.title  # the context keeps the real title …
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Våld och skydd &#34;citat&#34; &#39;apostrof&#39;" in r.text  # … the HTML escapes it
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    org = client.get("/sok", params={"q": "våldsutsatta"}).text
    assert "Elaka &#34;AB&#34; &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in org


def test_non_http_urls_are_never_links(client: Any) -> None:
    from web.formatting import safe_href

    assert safe_href("javascript:alert(1)") is None
    assert safe_href("data:text/html,<script>") is None
    assert safe_href(" JaVaScRiPt:alert(1)") is None
    assert safe_href("https://www.example.se/a") == "https://www.example.se/a"


def test_only_our_own_script_and_no_inline_styles_in_pages(client: Any) -> None:
    for url in ("/", "/sok?q=v%C3%A5ld&format=pdf", "/sok?q=xyzzy", "/delomrade/sexuellt-vald", "/kallor", "/finns-inte"):
        html = client.get(url).text
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts == [f'<script src="/static/kb.js?v={client.app.state.web.static_version}" defer>'], url
        assert not re.search(r"<style|<[a-zA-Z][^>]*\sstyle=", html), url
        assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", html), url  # escaped text may say "onerror=", tags may not


def test_templates_hold_no_inline_script_style_or_handlers() -> None:
    for path in TEMPLATES_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text or path.name == "_hits.html", path.name
        assert text.count("|safe") <= 1, path.name
        assert not re.search(r"<script>|<style|\sstyle=|\son[a-z]+=", text), path.name


def test_one_environment_escapes_every_extension() -> None:
    env = build_environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    for name in ("feed.atom", "opensearch.xml", "base.html", "x.txt", "x.json"):
        assert env.autoescape(name) is True, name


# -- pathological input -----------------------------------------------------------------


@pytest.mark.parametrize("i", range(len(PATHOLOGICAL)))
def test_pathological_queries_never_fail(client: Any, i: int) -> None:
    q = PATHOLOGICAL[i]
    for path in ENDPOINTS:
        r = client.get(path, params={"q": q})
        assert r.status_code in (200, 400), (path, q[:40], r.status_code)
        if r.status_code == 400:
            assert r.headers["content-type"] == "application/problem+json"


def test_overlong_query_is_shortened_with_a_notice(client: Any) -> None:
    r = client.get("/sok", params={"q": "våld " * 1000})
    assert r.status_code == 200
    assert len(r.context["query"]) <= 1000
    assert "har kortats" in r.text


@pytest.mark.parametrize("raw", ["q=%ff%fe", "q=%zz", "q=%", "q=%E0%A4%A", "q=%00%00", "page=%ff&q=a", "q=a&&&==&page=",
                                 "q=" + "%28" * 3000, "q=v%C3%A5ld&page=1e9&per_page=x&sort=%00"])
def test_broken_encodings_over_testclient(client: Any, raw: str) -> None:
    for path in ("/sok", "/sok.atom"):
        r = client.get(f"{path}?{raw}")
        assert r.status_code == 200, (path, raw, r.status_code)
    r = client.get(f"/api/v1/suggest?{raw}")
    too_long = len(unquote(raw.partition("q=")[2].partition("&")[0], errors="replace")) > 100
    assert r.status_code == (400 if too_long else 200), (raw, r.status_code)  # the OpenAPI's maxLength, never a silent cut
    assert client.get(f"/api/v1/search?{raw}").status_code in (200, 400)


# -- paths, hosts, redirects, methods ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/static/%2e%2e/app.py", "/static/%2e%2e%2fapp.py", "/static/..%2fapp.py", "/static/..%5capp.py",
                                  "/static/%2e%2e/%2e%2e/kb/settings.py", "/static/", "/static", "/static/kb.css%00.py"])
def test_static_traversal_testclient(client: Any, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404), path
    assert "create_app" not in r.text and "class Settings" not in r.text


def test_bad_host_header_is_rejected(client: Any) -> None:
    for host in ("evil.example", "127.0.0.1.evil.example", "", "testserver:abc", "[::1"):
        r = client.get("/", headers={"Host": host})
        assert r.status_code == 400, host
        assert r.text == "Ogiltig Host-rubrik", host
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        _security_headers_ok(r.headers, "bad host")
    assert client.get("/", headers={"Host": "testserver:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1"}).status_code == 200


@pytest.mark.parametrize("path", ["//evil.example", "//evil.example/", "/\\evil.example", "/sok/", "/delomrade/sexuellt-vald/",
                                  "/%2F%2Fevil.example", "/static/", "/kallor/", "/sok?next=//evil.example"])
def test_no_redirects_anywhere(client: Any, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert not 300 <= r.status_code < 400, path
    assert "location" not in r.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/", "/sok", "/api/v1/search", "/static/kb.css", "/kallor"])
def test_only_get_and_head(client: Any, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    _security_headers_ok(r.headers, f"{method} {path}")


def test_head_works(client: Any) -> None:
    r = client.head("/sok?q=v%C3%A5ld")
    assert r.status_code == 200 and r.content == b""


def test_no_admin_or_reindex_route(app: Any, client: Any) -> None:
    paths = {getattr(route, "path", None) for route in app.routes}
    assert paths == {"/", "/sok", "/sok.atom", "/delomrade/{slug}", "/lan", "/lan/{slug}", "/kallor", "/kallor/{source}",
                     "/healthz", "/readyz", "/metrics", "/opensearch.xml", "/api/v1/search",
                     "/api/v1/suggest", "/api/v1/openapi.json", "/static"}
    for path in ("/admin", "/api/v1/reindex", "/reindex", "/api/v1/index"):
        assert client.get(path).status_code == 404


# -- headers on every response ------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(client: Any) -> None:
    cases = {
        "page": client.get("/"),
        "results": client.get("/sok?q=v%C3%A5ld"),
        "404": client.get("/finns-inte"),
        "static": client.get("/static/kb.css"),
        "static 404": client.get("/static/nope.css"),
        "api": client.get("/api/v1/search?q=a"),
        "api 400": client.get("/api/v1/search?per_page=abc"),
        "feed": client.get("/sok.atom?q=a"),
        "opensearch": client.get("/opensearch.xml"),
        "405": client.post("/sok"),
    }
    etag = cases["results"].headers["etag"]
    cases["304"] = client.get("/sok?q=v%C3%A5ld", headers={"If-None-Match": etag})
    assert cases["304"].status_code == 304
    for name, r in cases.items():
        _security_headers_ok(r.headers, name)


def test_security_headers_on_server_errors(app: Any) -> None:
    from starlette.testclient import TestClient

    web = app.state.web

    class Broken:
        def __getattr__(self, name: str) -> Any:
            return getattr(web.backend, name)

        def search(self, request: Any) -> Any:
            raise RuntimeError("disk on fire")

    client = TestClient(create_app(web.settings, Broken()), raise_server_exceptions=False)
    r = client.get("/sok?q=v%C3%A5ld")
    assert r.status_code == 500
    assert "Något gick fel" in r.text and "disk on fire" not in r.text
    _security_headers_ok(r.headers, "500")
    r = client.get("/api/v1/search?q=v%C3%A5ld")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    _security_headers_ok(r.headers, "api 500")


# -- bounded concurrency ----------------------------------------------------------------


def test_full_limiter_answers_503_with_retry_after(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    limiter = app.state.web.limiter
    monkeypatch.setattr(limiter, "wait_seconds", 0.2)  # requests wait this long for a slot before the 503
    taken = 0
    while limiter.try_acquire():
        taken += 1
    assert taken == 4
    try:
        started = time.monotonic()
        r = client.get("/sok?q=unik-fraga-1")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert time.monotonic() - started >= 0.2  # it waited for a slot, then gave up
        assert "Många söker just nu" in r.text
        _security_headers_ok(r.headers, "503")
        r = client.get("/api/v1/search?q=unik-fraga-2")
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 503 and r.headers["retry-after"]
        assert client.get("/api/v1/suggest?q=unik").status_code == 503
    finally:
        for _ in range(taken):
            limiter.release()
    assert client.get("/sok?q=unik-fraga-1").status_code == 200


class SlowService:
    """The real service, with every search held until released (to overfill the limiter deterministically)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search(self, request: Any) -> Any:
        self.entered.release()
        self.gate.wait(10)
        return self.inner.search(request)


def test_burst_beyond_the_limit_gets_bounded_503s_on_uvicorn(built_index: Any, service: Any) -> None:
    slow = SlowService(service)
    app = create_app(built_index.replace(max_concurrent_searches=2, cache_size=0), slow)
    limiter = app.state.web.limiter
    assert limiter.max_waiting == 8 and limiter.wait_seconds == 2.0
    queued_before: list[int] = []  # how many were already waiting when each burst request asked for a slot
    real_acquire = limiter.acquire

    async def acquire() -> bool:
        queued_before.append(limiter.waiting)
        return await real_acquire()

    limiter.acquire = acquire  # type: ignore[method-assign]
    server = LiveServer(app).start()
    try:
        with ThreadPoolExecutor(max_workers=2) as holders:
            held = [holders.submit(raw_get, server.port, f"/api/v1/search?q=held{i}") for i in range(2)]
            assert slow.entered.acquire(timeout=5) and slow.entered.acquire(timeout=5)
            queued_before.clear()
            with ThreadPoolExecutor(max_workers=20) as burst:
                results = list(burst.map(lambda i: raw_get(server.port, f"/sok?q=burst{i}"), range(40)))
            assert [status for status, _, _ in results] == [503] * 40
            assert all(headers.get("retry-after") for _, headers, _ in results)
            # at most 8 wait (2 s) for a slot that never comes; whoever finds the queue full is refused at once
            assert len(queued_before) == 40 and max(queued_before) == limiter.max_waiting
            assert limiter.waiting == 0 and limiter.active == 2
            slow.gate.set()
            assert [f.result()[0] for f in held] == [200, 200]
    finally:
        slow.gate.set()
        server.stop()


# -- a real uvicorn server ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/static/../app.py", "/static/../../kb/settings.py", "/static/%2e%2e/app.py",
                                    "/static/..%2f..%2fkb%2fsettings.py", "/static/../templates/base.html", "/../../etc/passwd"])
def test_static_traversal_on_uvicorn(live_server: Any, target: str) -> None:
    status, headers, body = raw_get(live_server.port, target)
    assert status in (400, 404), target
    assert b"create_app" not in body and b"class Settings" not in body and b"root:" not in body and b"{% block" not in body
    _security_headers_ok(headers, target)


@pytest.mark.parametrize("target", ["/sok?q=%ff%fe", "/sok?q=%zz%", "/sok?q=%00", "/api/v1/suggest?q=%ff", "/sok.atom?q=%E0%A4%A",
                                    "/sok?q=" + "%28" * 5000, "/sok?page=1e9&q=a", "/delomrade/%ff%fe", "/sok?q=a%0d%0aSet-Cookie:%20x=1"])
def test_broken_requests_on_uvicorn(live_server: Any, target: str) -> None:
    status, headers, _ = raw_get(live_server.port, target)
    assert status in (200, 400, 404), (target, status)
    assert "set-cookie" not in headers
    _security_headers_ok(headers, target)


def test_uvicorn_host_header_server_header_and_methods(live_server: Any) -> None:
    status, headers, _ = raw_get(live_server.port, "/", host="evil.example")
    assert status == 400
    status, headers, body = raw_get(live_server.port, "/")
    assert status == 200 and b'lang="sv"' in body
    assert "server" not in headers
    _security_headers_ok(headers, "uvicorn /")
    status, headers, _ = raw_get(live_server.port, "/sok", method="DELETE")
    assert status == 405
    status, headers, body = raw_get(live_server.port, "//evil.example/")
    assert status == 404 and "location" not in headers


def test_uvicorn_search_api_round_trip(live_server: Any) -> None:
    status, headers, body = raw_get(live_server.port, "/api/v1/search?q=v%C3%A5ld&per_page=3")
    assert status == 200
    data = json.loads(body)
    assert data["total"] > 10 and len(data["results"]) == 3
    assert headers["cache-control"] == "public, max-age=60" and headers["etag"]


def test_static_files_served(client: Any) -> None:
    for name in ("kb.css", "kb.js"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200
        assert r.content == (Path(__file__).resolve().parents[2] / "web" / "static" / name).read_bytes()
        assert "immutable" not in r.headers.get("cache-control", "")


def test_versioned_static_files_are_cached_for_a_year(app: Any, client: Any) -> None:
    version = app.state.web.static_version
    assert f"/static/kb.css?v={version}" in client.get("/").text
    for name in ("kb.css", "kb.js"):
        r = client.get(f"/static/{name}", params={"v": version})
        assert r.status_code == 200 and r.content
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        _security_headers_ok(r.headers, name)
        # another version's URL must not pin today's bytes for a year
        stale = client.get(f"/static/{name}", params={"v": "0000000000"})
        assert stale.status_code == 200 and "immutable" not in stale.headers.get("cache-control", "")
    assert client.get("/static/nope.css", params={"v": version}).status_code == 404
