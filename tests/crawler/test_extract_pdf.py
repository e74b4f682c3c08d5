"""PDF extraction on PDFs generated here with fpdf2: running headers, hyphens, title, dates, failures."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from fpdf import FPDF

from crawler.extract import ExtractError, extract
from crawler.extract.pdf import extract_pdf, join_lines

HEADER = "Kunskapscentrum | Handbok om våld"
FOOTER = "Rapport 2024:7"
SECTIONS = ["Upptäcka", "Bemöta", "Skydda", "Följa upp", "Samverka", "Dokumentera"]


def body_lines(section: str) -> list[str]:
    return [
        f"{section}: stöd till vålds-",
        f"utsatta kvinnor i avsnittet {section.lower()} ska ges av socialtjänsten och av hälso-",
        "och sjukvården i samverkan med kvinnojourerna i länet.",
    ]


class _Doc(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, HEADER, new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, f"{FOOTER}   Sida {self.page_no()} av {{nb}}", align="C")


def make_pdf(pages: int = 4, *, title: str | None = "Handbok om våld i nära relationer",
             user_password: str | None = None, owner_only: bool = False) -> bytes:
    pdf = _Doc()
    pdf.set_creation_date(datetime(2024, 6, 1, tzinfo=UTC))
    if title:
        pdf.set_title(title)
    if user_password is not None or owner_only:
        pdf.set_encryption(owner_password="ägare", user_password=user_password or "")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 12, "Handbok om våld", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Publicerad 3 maj 2024", new_x="LMARGIN", new_y="NEXT")
    for n in range(1, pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, f"Avsnitt {SECTIONS[n - 1]}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for line in body_lines(SECTIONS[n - 1]):
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 6, f"Avsnittet {SECTIONS[n - 1].lower()} handlar om rutiner för att fråga om våld.",
                 new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_multi_page_pdf_text_title_dates_and_page_count() -> None:
    e = extract_pdf(make_pdf(4))
    assert e.format == "pdf" and e.page_count == 4
    assert e.title == "Handbok om våld i nära relationer"
    assert e.published == date(2024, 5, 3)
    flat = " ".join(e.text.split())
    assert "Skydda: stöd till våldsutsatta kvinnor i avsnittet skydda" in flat
    assert "hälso- och sjukvården" in flat
    assert "Avsnittet följa upp handlar om rutiner för att fråga om våld." not in flat  # page 5 of 4
    assert "Avsnittet skydda handlar om rutiner för att fråga om våld." in flat


def test_running_header_footer_and_page_numbers_are_removed() -> None:
    text = extract_pdf(make_pdf(4)).text
    assert HEADER not in text
    assert FOOTER not in text
    assert "Sida 2 av 4" not in text
    # a one-page PDF keeps its only header: nothing repeats
    assert HEADER in extract_pdf(make_pdf(1)).text


def test_title_from_largest_text_when_metadata_has_none() -> None:
    e = extract_pdf(make_pdf(2, title=None))
    assert e.title == "Handbok om våld"


def test_join_lines_rules() -> None:
    assert join_lines(["vålds-", "utsatta kvinnor"]) == "våldsutsatta kvinnor"
    assert join_lines(["hälso-", "och sjukvård"]) == "hälso- och sjukvård"
    assert join_lines(["barn-", "eller ungdomsvård"]) == "barn- eller ungdomsvård"
    assert join_lines(["EU-", "länder"]) == "EU-länder"
    assert join_lines(["Första stycket slutar här.", "", "Andra stycket."]) == "Första stycket slutar här.\n\nAndra stycket."


def test_encrypted_pdf_is_krypterad() -> None:
    body = make_pdf(2, user_password="hemligt")
    with pytest.raises(ExtractError) as info:
        extract_pdf(body)
    assert info.value.reason == "krypterad"


def test_owner_password_only_pdf_is_readable() -> None:
    e = extract_pdf(make_pdf(2, owner_only=True))
    assert "Avsnitt Upptäcka" in e.text


def test_pdf_without_text_layer_is_ingen_text() -> None:
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.set_fill_color(80, 80, 80)
        pdf.rect(20, 20, 150, 200, style="F")  # a "scanned page": drawing only, no text
    with pytest.raises(ExtractError) as info:
        extract_pdf(bytes(pdf.output()))
    assert info.value.reason == "ingen text"


@pytest.mark.parametrize("cut", [0.05, 0.3])
def test_truncated_pdf_is_trasig_or_partial(cut: float) -> None:
    body = make_pdf(6)
    short = body[: int(len(body) * cut)]
    try:
        e = extract_pdf(short)
    except ExtractError as exc:
        assert exc.reason in ("trasig", "ingen text")
    else:  # pdfium rebuilt the cross-reference table: what it recovers must be real text
        assert "Handbok" in e.text or "Avsnitt" in e.text


@pytest.mark.parametrize("body", [b"%PDF-1.4\n", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage \x00\xff" * 10])
def test_garbage_pdf_is_trasig(body: bytes) -> None:
    with pytest.raises(ExtractError) as info:
        extract_pdf(body)
    assert info.value.reason == "trasig"


def test_pdf_through_public_extract_with_timeout() -> None:
    e = extract(make_pdf(3), "http://x/handbok.pdf", "application/pdf", timeout=30)
    assert e.format == "pdf" and e.page_count == 3


def test_pypdf_fallback_reads_what_pdfium_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2 as pdfium

    from crawler.extract import pdf as pdfmod

    def refuse(body: bytes) -> object:
        raise pdfium.PdfiumError("simulated failure")

    monkeypatch.setattr(pdfmod, "_pages_pdfium", refuse)
    e = pdfmod.extract_pdf(make_pdf(3))
    assert "Avsnitt Bemöta" in e.text and e.page_count == 3
    assert io.BytesIO  # pypdf reads from memory, no temp files


def test_page_starts_map_every_offset_to_its_page() -> None:
    from bisect import bisect_right

    from _paged import long_pdf

    e = extract_pdf(long_pdf(120, {37: "Här nämns ordet flyttkartong en enda gång.", 120: "Sista sidans ord: packlista."}))
    assert e.page_count == 120 and len(e.page_starts) == 120
    assert e.page_starts[0] == 0 and e.page_starts == sorted(e.page_starts)
    assert bisect_right(e.page_starts, e.text.index("flyttkartong")) == 37
    assert bisect_right(e.page_starts, e.text.index("packlista")) == 120
    assert e.text[e.page_starts[36]:].startswith("Avsnitt 37:")
    assert bisect_right(e.page_starts, e.text.index("Avsnitt 37:") - 1) == 36  # the separator before a page is the page before


def test_join_pages_gives_an_empty_page_the_next_pages_start() -> None:
    from bisect import bisect_right

    from crawler.extract.model import join_pages

    text, starts = join_pages(["ett", "", "tre", ""])
    assert text == "ett\n\ntre"
    assert starts == [0, 5, 5, 8]
    assert [bisect_right(starts, text.index(w)) for w in ("ett", "tre")] == [1, 3]


class _AlternatingHeaders(FPDF):
    """Title on even pages, publisher on odd ones (a book's running heads); none on the cover."""

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, "Handbok om skyddat boende" if self.page_no() % 2 == 0 else "Kunskapscentrum för kvinnofrid",
                      new_x="LMARGIN", new_y="NEXT")


@pytest.mark.parametrize("pages", [7, 121])
def test_running_heads_alternating_between_even_and_odd_pages_are_removed(pages: int) -> None:
    from _paged import page_paragraphs

    pdf = _AlternatingHeaders()
    pdf.set_title("Handbok om skyddat boende")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "Omslag", new_x="LMARGIN", new_y="NEXT")
    for n in range(2, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        for para in page_paragraphs(n):
            pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
    e = extract_pdf(bytes(pdf.output()))
    assert "Kunskapscentrum för kvinnofrid" not in e.text  # on (pages - 1) // 2 pages: under half of them
    assert "Handbok om skyddat boende" not in e.text
    assert e.text.count("Kontaktpersonen för") == pages - 1  # the running text is all there
