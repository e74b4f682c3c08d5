"""kb under a path behind Debian's nginx: every link, form, static file, feed and API description carries /kb/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from _deploy import Server, add_documents, build_index, data_settings, free_port, get, wait_for

from index.service import open_backend
from kb.settings import Settings
from web.app import create_app
from web.rootpath import prefix_root_relative

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = "/usr/bin/chromium"


class _Links(HTMLParser):
    """Every URL a browser would follow or load from a page: href, src, form action, kb.js's data-suggest."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "data-suggest") and value is not None:
                self.urls.append(value)


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def test_the_rewrite_touches_only_root_relative_attribute_values() -> None:
    html = ('<a href="/sok?q=v%C3%A5ld">s</a> <a href="https://nck.uu.se/x">n</a> <a href="//cdn.example/x">c</a>'
            '<img src="/static/a.png"> <form action="/sok"> <input data-suggest="/api/v1/suggest"> <p>href="/sok"</p>'
            '<a href="#fel">f</a> <a title="/x" href="/kallor">k</a>')
    assert prefix_root_relative(html, "/kb") == (
        '<a href="/kb/sok?q=v%C3%A5ld">s</a> <a href="https://nck.uu.se/x">n</a> <a href="//cdn.example/x">c</a>'
        '<img src="/kb/static/a.png"> <form action="/kb/sok"> <input data-suggest="/kb/api/v1/suggest"> <p>href="/sok"</p>'
        '<a href="#fel">f</a> <a title="/x" href="/kb/kallor">k</a>')
    assert prefix_root_relative(html, "") == html


@pytest.fixture(scope="module")
def under_path(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("proxy")
    settings = data_settings(root / "data", base_url="https://intranet.example.se/kb", allowed_hosts=("testserver",))
    add_documents(settings, 0, 25)
    build_index(settings)
    return settings


@pytest.mark.parametrize("path", ["/", "/sok?q=v%C3%A5ld", "/sok?q=v%C3%A5ld&page=2", "/kallor", "/lan", "/finns-inte"])
def test_every_page_link_carries_the_path(under_path: Settings, path: str) -> None:
    with TestClient(create_app(under_path, open_backend), base_url="http://testserver") as client:
        html = client.get(path).text
    urls = links(html)
    assert urls, path
    local = [u for u in urls if not urlsplit(u).scheme and not u.startswith("#")]
    assert local and [u for u in local if not u.startswith("/kb/")] == [], path


def test_feed_opensearch_and_openapi_carry_the_path(under_path: Settings) -> None:
    with TestClient(create_app(under_path, open_backend), base_url="http://testserver") as client:
        feed = client.get("/sok.atom?q=v%C3%A5ld").text
        opensearch = client.get("/opensearch.xml").text
        servers = client.get("/api/v1/openapi.json").json()["servers"]
    assert re.search(r'rel="self"[^>]*href="https://intranet\.example\.se/kb/sok\.atom\?', feed)
    assert 'template="https://intranet.example.se/kb/sok?q={searchTerms}"' in opensearch
    assert servers == [{"url": "https://intranet.example.se/kb"}]


NGINX_CONF = """
daemon off;
master_process off;
{user}
error_log {tmp}/error.log warn;
pid {tmp}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /kb {{ return 301 /kb/; }}
        location /kb/ {{
            proxy_pass http://127.0.0.1:{upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


class Nginx:
    """Debian's nginx on 127.0.0.1 as the intranet's reverse proxy: kb under /kb/ (the prefix stripped)."""

    def __init__(self, workdir: Path, upstream: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        conf = workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, tmp=workdir, port=self.port, upstream=upstream), encoding="utf-8")
        self.proc = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.log = workdir / "error.log"
        wait_for(self._answers, "nginx never answered")

    def _answers(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text() if self.log.exists() else "nginx exited"
        try:
            return get(self.url + "/kb/healthz", timeout=2)[0] in (200, 502)  # 502: nginx is up, kb not yet
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Nginx]]:
    root = tmp_path_factory.mktemp("nginx")
    upstream = free_port()
    settings = data_settings(root / "data")
    add_documents(settings, 0, 25)
    build_index(settings)
    server = None
    proxy = Nginx(root / "nginx", upstream)  # first: kb's public base URL is the proxy's address
    try:
        env = {"KB_BASE_URL": proxy.url + "/kb", "KB_ALLOWED_HOSTS": "127.0.0.1"}
        server = Server(settings, env=env, port=upstream)
        yield settings, proxy
    finally:
        proxy.stop()
        if server is not None:
            server.stop()


def test_every_link_works_through_the_proxy(proxied: tuple[Settings, Nginx]) -> None:
    _settings, proxy = proxied
    start = proxy.url + "/kb/"
    seen: set[str] = set()
    queue = [start, proxy.url + "/kb/sok?q=v%C3%A5ld", proxy.url + "/kb/sok?q=v%C3%A5ld&page=2"]
    while queue and len(seen) < 60:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        status, body = get(url)
        assert status == 200, url
        if not isinstance(body, str) or "<html" not in body:
            continue
        for link in links(body):
            absolute = urljoin(url, link)
            if absolute.startswith(proxy.url):
                assert urlsplit(absolute).path.startswith("/kb/"), (url, link)
                if absolute.endswith("/api/v1/suggest"):  # kb.js's endpoint: it adds what is typed
                    absolute += "?q=v%C3%A5"
                queue.append(absolute.split("#")[0])
    paths = {urlsplit(u).path for u in seen}
    assert {"/kb/", "/kb/sok", "/kb/kallor", "/kb/api/v1/suggest", "/kb/sok.atom", "/kb/opensearch.xml", "/kb/api/v1/openapi.json"} <= paths, paths
    assert any(p.startswith("/kb/static/") for p in paths) and any(p.startswith("/kb/delomrade/") for p in paths), paths


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true", reason="Debian chromium is not installed")
def test_a_browser_clicks_through_kb_behind_the_proxy(proxied: tuple[Settings, Nginx]) -> None:
    import playwright.sync_api as playwright_sync

    _settings, proxy = proxied
    requested: list[tuple[int, str]] = []
    args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page()
        page.on("response", lambda r: requested.append((r.status, r.url)))
        page.goto(proxy.url + "/kb/")
        box = page.get_by_label("Sök i kunskapsbanken")
        box.fill("våld")
        box.press("Enter")
        page.wait_for_url(re.compile(r"/kb/sok\?q="))
        page.locator(".facet input").first.check()  # a filter
        page.get_by_role("button", name="Filtrera").click()
        page.wait_for_url(re.compile(r"/kb/sok\?.*q=.*&"))
        page.get_by_role("navigation", name="Sidnumrering").get_by_role("link", name=re.compile("Nästa")).click()
        page.wait_for_url(re.compile(r"/kb/sok\?.*page=2"))
        feed = page.locator("a[href*='sok.atom']").first.get_attribute("href") or ""
        assert feed.startswith("/kb/sok.atom?") and page.request.get(proxy.url + feed).status == 200
        page.get_by_role("link", name="Start").first.click()
        page.wait_for_url(proxy.url + "/kb/")
        page.locator("a[href^='/kb/delomrade/']").first.click()  # a sub-area
        page.wait_for_url(re.compile(r"/kb/delomrade/"))
        page.get_by_role("link", name="Källor").first.click()
        page.wait_for_url(proxy.url + "/kb/kallor")
        browser.close()
    assert requested and [(s, u) for s, u in requested if s >= 400 or not urlsplit(u).path.startswith("/kb/")] == []
    assert any("/kb/static/" in u for _s, u in requested)  # the stylesheet and script came through the proxy


@pytest.mark.parametrize(("peer", "trusted", "client", "scheme"), [
    ("127.0.0.1", ("127.0.0.1", "::1"), "198.51.100.7", "https"),  # the proxy on this host: its headers are believed
    ("10.1.2.3", ("127.0.0.1", "::1"), "10.1.2.3", "http"),  # anyone else: the headers are ignored
    ("10.1.2.3", ("10.1.0.0/16",), "198.51.100.7", "https"),  # a proxy network configured with KB_TRUSTED_PROXIES
])
def test_forwarded_headers_only_from_trusted_proxies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, peer: str,
                                                     trusted: tuple[str, ...], client: str, scheme: str) -> None:
    import asyncio

    from web import serve

    seen: dict[str, Any] = {}

    async def probe(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(client=scope["client"][0], scheme=scope["scheme"])

    monkeypatch.setattr(serve.AppSpec, "build", lambda self: probe)
    settings = data_settings(tmp_path, trusted_proxies=trusted)
    config = serve._config(serve.AppSpec(settings, open_backend), "127.0.0.1", 0)
    config.load()
    scope = {"type": "http", "scheme": "http", "client": (peer, 40000), "server": ("127.0.0.1", 8000), "path": "/", "method": "GET",
             "headers": [(b"x-forwarded-for", b"198.51.100.7"), (b"x-forwarded-proto", b"https")], "query_string": b""}
    asyncio.run(config.loaded_app(scope, None, None))
    assert seen == {"client": client, "scheme": scheme}
