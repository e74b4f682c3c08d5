"""Word and PowerPoint extraction on files generated here with python-docx and python-pptx."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import docx
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches

from crawler.extract import ExtractError, extract, office
from crawler.extract.office import extract_docx, extract_pptx


def make_docx(*, title: str = "Handlingsplan för kvinnofrid", text_date: bool = True) -> bytes:
    d = docx.Document()
    d.core_properties.title = title
    d.core_properties.created = datetime(2024, 2, 1, 10, 0)
    d.sections[0].header.paragraphs[0].text = "Sidhuvud som inte ska med"
    d.sections[0].footer.paragraphs[0].text = "Sidfot som inte ska med"
    d.add_heading("Handlingsplan för kvinnofrid 2024–2027", 0)
    if text_date:
        d.add_paragraph("Söderby kommun, 5 mars 2024")
    d.add_heading("Bakgrund", 1)
    d.add_paragraph("Kommunen ska arbeta förebyggande mot våld i nära relationer och stödja våldsutsatta.")
    d.add_heading("Mål", 2)
    d.add_paragraph("Alla medarbetare ska kunna fråga om våld.", style="List Bullet")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Aktivitet", "Ansvarig"
    t.cell(1, 0).text, t.cell(1, 1).text = "Utbildning i FREDA", "Socialtjänsten"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_text_headings_table_title_and_dates() -> None:
    e = extract_docx(make_docx())
    assert e.format == "docx"
    assert e.title == "Handlingsplan för kvinnofrid"
    assert e.headings == ["Handlingsplan för kvinnofrid 2024–2027", "Bakgrund", "Mål"]
    assert "Kommunen ska arbeta förebyggande mot våld i nära relationer" in e.text
    assert "Alla medarbetare ska kunna fråga om våld." in e.text
    assert "Utbildning i FREDA | Socialtjänsten" in e.text
    assert "Sidhuvud" not in e.text and "Sidfot" not in e.text
    assert e.published == date(2024, 3, 5)  # the date in the text beats the file's creation time


def test_docx_falls_back_to_core_created_and_heading_title() -> None:
    e = extract_docx(make_docx(title="", text_date=False))
    assert e.title == "Handlingsplan för kvinnofrid 2024–2027"
    assert e.published == date(2024, 2, 1)


def make_pptx() -> bytes:
    prs = Presentation()
    prs.core_properties.title = "Grundutbildning om hedersrelaterat våld"
    prs.core_properties.created = datetime(2023, 9, 1)
    s = prs.slides.add_slide(prs.slide_layouts[1])
    s.shapes.title.text = "Vad är hedersrelaterat våld?"
    s.placeholders[1].text_frame.text = "Våldet är kollektivt och sanktionerat av familjen."
    s.notes_slide.notes_text_frame.text = "Talarnotering: börja med ett exempel från praktiken."
    s2 = prs.slides.add_slide(prs.slide_layouts[5])
    s2.shapes.title.text = "Skyddsfaktorer"
    outer = s2.shapes.add_group_shape()
    inner = outer.shapes.add_group_shape()
    box = inner.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(1), Inches(2), Inches(3), Inches(1))
    box.text_frame.text = "Trygg vuxen i skolan"
    box2 = outer.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(5), Inches(2), Inches(3), Inches(1))
    box2.text_frame.text = "Kunskap om rättigheter"
    table = s2.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(6), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Risk", "Åtgärd"
    table.cell(1, 0).text, table.cell(1, 1).text = "Bortförande", "Kontakta polisen"
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def test_pptx_groups_tables_notes_titles() -> None:
    e = extract_pptx(make_pptx())
    assert e.format == "pptx" and e.page_count == 2
    assert e.title == "Grundutbildning om hedersrelaterat våld"
    assert e.headings == ["Vad är hedersrelaterat våld?", "Skyddsfaktorer"]
    for s in ("Våldet är kollektivt och sanktionerat av familjen.", "Talarnotering: börja med ett exempel",
              "Trygg vuxen i skolan", "Kunskap om rättigheter", "Bortförande | Kontakta polisen"):
        assert s in e.text
    assert e.published == date(2023, 9, 1)


def test_through_public_extract() -> None:
    e = extract(make_pptx(), "http://x/utbildning.pptx", "application/octet-stream", timeout=30)
    assert e.format == "pptx"
    e = extract(make_docx(), "http://x/plan", None, timeout=30)
    assert e.format == "docx"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "body",
    [
        b"PK\x03\x04" + b"\x00" * 100,  # corrupt zip
        None,  # truncated real file, filled in below
        _zip({"word/document.xml": b"<not xml", "[Content_Types].xml": b"<Types/>"}),
        _zip({"hello.txt": b"inte ett Word-dokument"}),
    ],
)
@pytest.mark.parametrize("fn", [extract_docx, extract_pptx])
def test_corrupt_office_files_are_trasig(body: bytes | None, fn: object) -> None:
    data = body if body is not None else make_docx()[:3000]
    with pytest.raises(ExtractError) as info:
        fn(data)  # type: ignore[operator]
    assert info.value.reason == "trasig"


def test_zip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_UNCOMPRESSED", 1_000_000)
    bomb = _zip({"word/document.xml": b"<w:document/>" + b" " * 5_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(ExtractError) as info:
        extract_docx(bomb)
    assert info.value.reason == "trasig"


def test_empty_docx_is_ingen_text() -> None:
    buf = io.BytesIO()
    docx.Document().save(buf)
    with pytest.raises(ExtractError) as info:
        extract_docx(buf.getvalue())
    assert info.value.reason == "ingen text"


def test_pptx_slide_starts_name_the_slide_of_an_offset() -> None:
    from bisect import bisect_right

    from _paged import slide_deck

    e = extract_pptx(slide_deck(12, {9: "Ordet flyttkartong står bara på den nionde bilden."}))
    assert e.page_count == 12 and len(e.page_starts) == 12
    assert bisect_right(e.page_starts, e.text.index("flyttkartong")) == 9
    assert e.text[e.page_starts[8]:].startswith("Bild 9:")
    assert e.headings[8].startswith("Bild 9:")
