"""Review 4 (sequences): quoted phrases without å/ä/ö over title and headings; a quiet night counts only documents."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index.build import build_and_publish
from index.service import SearchService
from kb import cli
from kb.models import Document
from kb.searchmodel import SearchRequest
from kb.settings import Settings
from kb.store import Store
from kb.taxonomy import load_taxonomy

BASE = "https://www.testlan.se"
PAGES = {
    # the phrase only in the title (an FAQ whose answers never repeat it)
    "fragor": ("Vanliga frågor om våld i nära relationer", [],
               "Psykiskt våld är hot, kränkningar, kontroll och isolering. Socialtjänsten beslutar om skyddat boende."),
    # the phrase only in a heading
    "rubrik": ("Stöd i kommunen", ["Våld i nära relationer"],
               "Socialtjänsten erbjuder samtal och praktisk hjälp till den som är utsatt."),
    # the phrase in the body
    "brodtext": ("Handbok", [], "Handboken handlar om våld i nära relationer mot äldre kvinnor."),
    # a false friend: "aldrig" folds and stems like "äldre"
    "aldrig": ("Det är aldrig ditt fel", [], "Det är aldrig ditt fel att någon utsätter dig för våld."),
}


def _publish(settings: Settings, make_document: Callable[..., Document], pages: dict[str, tuple[str, list[str], str]]) -> None:
    store = Store(settings.store_path)
    try:
        for slug, (title, headings, text) in pages.items():
            store.put_document(make_document(url=f"{BASE}/{slug}", title=title, headings=headings, text=text))
        build_and_publish(settings, store, [], load_taxonomy())
    finally:
        store.close()


@pytest.fixture
def service(settings: Settings, make_document: Callable[..., Document]) -> Iterator[SearchService]:
    _publish(settings, make_document, PAGES)
    svc = SearchService(settings)
    yield svc
    svc.close()


def found(service: SearchService, q: str) -> set[str]:
    return {h.url.removeprefix(BASE + "/") for h in service.search(SearchRequest(q=q, per_page=50)).results}


@pytest.mark.parametrize("typed", ['"vald i nara relationer"', '"vald i nära relationer"', '"våld i nara relationer"'])
def test_quoted_phrase_without_diacritics_finds_title_and_heading_pages(service: SearchService, typed: str) -> None:
    # As typed with å/ä/ö, the phrase finds all three; typed without (some or all of) them, the same three.
    assert found(service, '"våld i nära relationer"') == {"fragor", "rubrik", "brodtext"}
    assert found(service, typed) == {"fragor", "rubrik", "brodtext"}


def test_word_typed_with_diacritics_still_matches_as_written(service: SearchService) -> None:
    # the folded bag's exact side now spans title, headings and body, but "äldre" still never finds "aldrig"
    assert found(service, '"vald mot äldre"') == {"brodtext"}


# -- a quiet night's digest counts documents, not hub pages ------------------------------------------------------

_LONG = ("Socialtjänsten ska erbjuda stöd till den som utsätts för våld i nära relationer, och kommunen ska samverka med "
         "hälso- och sjukvården, polisen och kvinnojouren så att den våldsutsatta får skydd, stöd och behandling. ")
SITE = {
    "/": '<html lang="sv"><head><title>Start</title></head><body><main><h1>Start</h1><ul>'
         '<li><a href="/stod/">Stöd</a></li></ul></main></body></html>',
    "/stod/": '<html lang="sv"><head><title>Stöd</title></head><body><main><h1>Stöd</h1><ul>'
              '<li><a href="/stod/a.html">A</a></li><li><a href="/stod/b.html">B</a></li></ul></main></body></html>',
    "/stod/a.html": f'<html lang="sv"><head><title>Stöd A</title></head><body><main><h1>Stöd A</h1><p>{_LONG}</p></main></body></html>',
    "/stod/b.html": f'<html lang="sv"><head><title>Stöd B</title></head><body><main><h1>Stöd B</h1><p>Kvinnofrid. {_LONG}</p></main></body></html>',
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = SITE.get(self.path.split("?")[0], "").encode("utf-8")
        if not body:
            self.send_response(404)
            self.end_headers()
            return
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hub_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_quiet_night_counts_stored_documents_unchanged_not_hub_pages(
        settings: Settings, hub_site: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings.sources.write_text(
        "sources:\n  - id: hubb\n    name: Hubb\n    organisation: Testlän\n"
        f"    start_urls: [{hub_site}/]\n    allow_private_network: true\n    delay: 0\n"
        '    follow_only: ["re:/$"]\n', encoding="utf-8")
    base = ["--data-dir", str(settings.data_dir), "--sources", str(settings.sources)]
    totals = []
    for _night in range(2):
        assert cli.main([*base, "-q", "update"]) == 0
        capsys.readouterr()
        assert cli.main([*base, "report", "--json"]) == 0
        totals.append(json.loads(capsys.readouterr().out)["sources"]["hubb"])
    first, second = totals
    assert (first["new"], first["unchanged"]) == (2, 0)  # the two hubs (/ and /stod/) are followed, not stored
    assert (second["new"], second["changed"], second["unchanged"]) == (0, 0, 2)  # was 4: the hubs' 304s counted too


def test_a_stored_page_turning_noindex_is_named_in_the_report_until_removed(
        settings: Settings, hub_site: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    settings.sources.write_text(
        "sources:\n  - id: hubb\n    name: Hubb\n    organisation: Testlän\n"
        f"    start_urls: [{hub_site}/]\n    allow_private_network: true\n    delay: 0\n", encoding="utf-8")
    base = ["--data-dir", str(settings.data_dir), "--sources", str(settings.sources)]
    assert cli.main([*base, "-q", "update"]) == 0
    monkeypatch.setitem(SITE, "/stod/b.html", SITE["/stod/b.html"].replace("<title>", '<meta name="robots" content="noindex"><title>'))
    nights = []
    for _night in range(2):
        assert cli.main([*base, "-q", "update"]) == 0  # informational: never an exit code
        capsys.readouterr()
        assert cli.main([*base, "report", "--json"]) == 0
        nights.append(json.loads(capsys.readouterr().out)["sources"]["hubb"])
    for rep in nights:  # before: not named on either night; the first night's counts did not add up to the store
        assert [u["url"] for u in rep["skipped_by_reason"]["noindex"]["urls"]] == [f"{hub_site}/stod/b.html"]
    assert (nights[0]["unchanged"], nights[0]["removed"], nights[1]["removed"]) == (3, 0, 1)
