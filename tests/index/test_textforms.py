"""Text in another Unicode form than a keyboard types: decomposed letters (a Mac's PDF) and ligatures (a PDF text layer)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from _search_corpus import BASE, make_document, publish, settings_for

from crawler.extract.html import extract_html
from crawler.extract.text import clean_text
from index.service import SearchService
from kb.searchmodel import SearchRequest
from kb.textforms import composed, nfc_pages, nfc_text

NFD = unicodedata.normalize("NFD", "Könsstympning är ett brott. Flickor som riskerar våld ska få skydd.")
PAGES = ["Första sidan handlar om skyddat boende för kvinnor.", "Andra sidan om könsstympning av flickor.",
         "Tredje sidan om tvångsäktenskap."]


def test_nfc_text_composes_and_spells_out_ligatures_only() -> None:
    assert nfc_text(NFD) == unicodedata.normalize("NFC", NFD)
    assert nfc_text("\ufb02ickor och o\ufb00er, \ufb01nns") == "flickor och offer, finns"
    assert nfc_text("m² och ½ år, Ｖåld") == "m² och ½ år, Ｖåld"  # no typing variants of Swedish text
    assert nfc_text("ascii only") == "ascii only"


def test_page_offsets_move_with_the_text() -> None:
    nfd_pages = [unicodedata.normalize("NFD", p) for p in PAGES]
    text = "\n\n".join(nfd_pages)
    starts = [0, len(nfd_pages[0]) + 2, len(nfd_pages[0]) + len(nfd_pages[1]) + 4]
    out, moved = nfc_pages(text, starts)
    assert out == "\n\n".join(PAGES)
    assert [out[s:].split(" ")[0] for s in moved] == ["Första", "Andra", "Tredje"]
    assert nfc_pages("abc", [0, 2]) == ("abc", [0, 2])


def test_extraction_stores_composed_text() -> None:
    html = f"<html lang=sv><head><title>Ko\u0308nsstympning</title></head><body><main><h1>Ko\u0308nsstympning</h1>" \
           f"<p>{NFD} Stöd för \ufb02ickor och unga kvinnor som utsatts.</p></main></body></html>"
    got = extract_html(html.encode(), "https://exempel.se/")
    assert got.title == "Könsstympning" and unicodedata.is_normalized("NFC", got.text) and "\ufb02" not in got.text
    assert clean_text("va\u030ald\xad") == "våld"


def test_a_stored_decomposed_pdf_is_found_by_the_typed_word_on_its_page(tmp_path: Path) -> None:
    """A store filled before extraction composed its text: the build composes it, page offsets moved along."""
    settings = settings_for(tmp_path)
    nfd_pages = [unicodedata.normalize("NFD", p) for p in PAGES]
    text = "\n\n".join(nfd_pages)
    starts = [0, len(nfd_pages[0]) + 2, len(nfd_pages[0]) + len(nfd_pages[1]) + 4]
    doc = make_document(url=f"{BASE}/rapport.pdf", title=unicodedata.normalize("NFD", "Rapport om våld"), text=text,
                        format="pdf", page_count=3, page_starts=starts)
    assert composed(doc).text == "\n\n".join(PAGES)
    publish(settings, [doc, make_document(url=f"{BASE}/annat", title="Annat", text="Om \ufb02ickor i skolan.")])
    service = SearchService(settings)
    try:
        hits = service.search(SearchRequest(q="könsstympning")).results
        assert [h.url for h in hits] == [f"{BASE}/rapport.pdf"] and hits[0].page == 2
        assert "<mark>könsstympning</mark>" in hits[0].snippet.lower()
        assert hits[0].title == "Rapport om våld"
        assert {h.url for h in service.search(SearchRequest(q="flickor")).results} == {f"{BASE}/rapport.pdf", f"{BASE}/annat"}
    finally:
        service.close()


@pytest.mark.parametrize("query", [NFD.split(".")[0], "ko\u0308nsstympning"])
def test_a_decomposed_query_finds_the_composed_text(tmp_path: Path, query: str) -> None:
    settings = settings_for(tmp_path)
    publish(settings, [make_document(url=f"{BASE}/k", title="Könsstympning", text="Om könsstympning av flickor.")])
    service = SearchService(settings)
    try:
        assert [h.url for h in service.search(SearchRequest(q=query)).results] == [f"{BASE}/k"]
    finally:
        service.close()
