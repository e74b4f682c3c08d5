"""Hits inside long documents: a word on page 37 of a 120-page PDF, crawled over HTTP, indexed, found by CLI and web."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import warnings
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from _paged import TITLE, long_pdf, slide_deck

from kb import cli
from kb.settings import Settings, load_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

WORD = "flyttkartong"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _files() -> dict[str, tuple[str, bytes]]:
    start = ('<!doctype html><html lang="sv"><head><title>Publikationer</title></head><body><main><h1>Publikationer</h1>'
             '<p>Handböcker och utbildningsmaterial om skyddat boende för socialtjänsten.</p>'
             '<a href="/handbok.pdf">Handboken</a> <a href="/utbildning.pptx">Utbildningen</a></main></body></html>')
    return {
        "/": ("text/html; charset=utf-8", start.encode()),
        "/handbok.pdf": ("application/pdf", long_pdf(120, {37: f"Packa en {WORD} med viktiga papper: pass, "
                                                               "personbevis och läkarintyg."})),
        "/utbildning.pptx": (PPTX, slide_deck(12, {9: "Övning: packa en väska med det viktigaste på tio minuter."})),
    }


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    files = _files()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/robots.txt" or self.path not in files:
                self.send_response(404)
                self.end_headers()
                return
            kind, body = files[self.path]
            etag = f'"{zlib.crc32(body):08x}"'
            if self.headers.get("If-None-Match") == etag:  # a stored document costs a 304 on the next night
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def indexed(site: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The site crawled and indexed by the real CLI commands."""
    return _crawled(site, tmp_path_factory.mktemp("pages"))


def _crawled(site: str, root: Path) -> Settings:
    sources = root / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - id: kunskapscentrum\n    name: Kunskapscentrum\n    organisation: Kunskapscentrum\n"
        f"    start_urls: ['{site}/']\n    allow: ['{site}/']\n    follow_only: ['re:^{re.escape(site)}/$']\n"
        "    delay: 0\n    allow_private_network: true\n",
        encoding="utf-8",
    )
    settings = load_settings(env={}, data_dir=root / "data", sources=sources, allowed_hosts=("testserver",))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(_argv(settings, "crawl")) == 0
        assert cli.main(_argv(settings, "index")) == 0
    return settings


def _argv(settings: Settings, *rest: str) -> list[str]:
    return ["--data-dir", str(settings.data_dir), "--sources", str(settings.sources), *rest]


def _search(settings: Settings, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(_argv(settings, "search", *args)) == 0
    return out.getvalue()


def _hit(settings: Settings, query: str, suffix: str) -> dict[str, Any]:
    data = json.loads(_search(settings, "--json", query))
    (hit,) = [h for h in data["results"] if h["url"].endswith(suffix)]
    return dict(hit)


def test_the_cli_json_hit_names_page_37_and_the_snippet_is_that_pages_passage(indexed: Settings) -> None:
    hit = _hit(indexed, WORD, "/handbok.pdf")
    assert hit["page"] == 37
    assert f"<mark>{WORD}</mark>" in hit["snippet"]
    assert TITLE not in hit["snippet"] and "Sida" not in hit["snippet"]
    assert hit["snippet"].startswith(f"…Packa en <mark>{WORD}</mark>")  # starts at the matching passage
    assert "Avsnitt 38" not in hit["snippet"]  # and stays on its page


def test_the_cli_text_output_says_s_37(indexed: Settings) -> None:
    out = _search(indexed, WORD)
    assert "/handbok.pdf" in out and " · s. 37" in out


def test_a_query_that_matches_the_title_shows_a_passage_not_the_cover(indexed: Settings) -> None:
    hit = _hit(indexed, "handbok skyddat boende packa", "/handbok.pdf")
    assert not hit["snippet"].startswith(TITLE) and TITLE not in hit["snippet"]
    assert hit["page"] == 37 and "<mark>Packa</mark>" in hit["snippet"]


def test_a_slide_hit_names_its_slide(indexed: Settings) -> None:
    hit = _hit(indexed, "väska", "/utbildning.pptx")
    assert hit["page"] == 9 and "<mark>väska</mark>" in hit["snippet"]
    assert " · bild 9" in _search(indexed, "väska")


def test_a_web_page_hit_has_no_page(indexed: Settings) -> None:
    data = json.loads(_search(indexed, "--json", "socialtjänsten"))
    assert data["results"] and all(h["page"] is None for h in data["results"] if h["format"] == "html")


def test_the_web_result_links_to_the_page_and_says_s_37(indexed: Settings) -> None:
    from index.service import open_backend
    from web.app import create_app

    with TestClient(create_app(indexed, open_backend)) as client:
        page = client.get("/sok", params={"q": WORD})
        assert page.status_code == 200
        (item,) = re.findall(r'<li class="hit">.*?</li>\s*(?=<li class="hit">|</ol>)', page.text, re.DOTALL)
        assert re.search(r'<a href="[^"]*/handbok\.pdf#page=37">', item)
        assert '<span class="hit-page">s. 37:</span>' in item
        snippet = re.search(r'<p class="hit-snippet">(.*?)</p>', item, re.DOTALL)
        assert snippet is not None and f"<mark>{WORD}</mark>" in snippet.group(1) and TITLE not in snippet.group(1)
        api = client.get("/api/v1/search", params={"q": WORD}).json()
        assert [h["page"] for h in api["results"]] == [37]
        deck = client.get("/sok", params={"q": "väska"}).text
        assert '<span class="hit-page">bild 9:</span>' in deck and "utbildning.pptx#page" not in deck


def test_page_starts_survive_the_store_and_reach_the_index(indexed: Settings) -> None:
    from kb.store import Store

    with Store(indexed.store_path, readonly=True) as store:
        doc = store.get_document(next(u for u in store.document_urls() if u.endswith("/handbok.pdf")))
    assert doc is not None and doc.page_count == 120 and len(doc.page_starts) == 120
    assert doc.text.index(WORD) >= doc.page_starts[36] and doc.text.index(WORD) < doc.page_starts[37]
    assert Path(indexed.index_root / "current").exists()


def test_an_older_store_gets_page_starts_on_the_next_update(site: str, tmp_path: Path) -> None:
    """Migration 3 drops the validators of stored PDFs: without that, the 304 would keep them without page starts."""
    import sqlite3

    settings = _crawled(site, tmp_path)
    with sqlite3.connect(settings.store_path) as db:  # what an older kb left: no page starts, schema version 2
        db.execute("UPDATE documents SET page_starts = '[]'")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        assert db.execute("SELECT COUNT(*) FROM fetch_state WHERE etag IS NOT NULL").fetchone()[0] >= 2
    db.close()
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(_argv(settings, "index", "--full")) == 0  # the index of the old store: no pages
    assert _hit(settings, WORD, "/handbok.pdf")["page"] is None
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(_argv(settings, "update")) == 0
    assert _hit(settings, WORD, "/handbok.pdf")["page"] == 37
    assert _hit(settings, "väska", "/utbildning.pptx")["page"] == 9
