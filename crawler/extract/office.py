"""Word (.docx) and PowerPoint (.pptx): body text, headings, tables and notes; headers/footers left out."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from crawler.extract import dates
from crawler.extract.model import Extracted, join_pages
from crawler.extract.text import clean_text
from kb.errors import ExtractError

log = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 300 * 1024 * 1024  # zip bombs stop here
MAX_MEMBERS = 20_000
HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
TITLE_STYLES = {"title", "rubrik", "titel"}


def _clean(s: str) -> str:
    return clean_text(s, lines=True)


def check_zip(body: bytes) -> None:
    """Refuse what is not a sane zip: not a zip, encrypted, too many members, or a decompression bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ExtractError("trasig", "för många delar i filen")
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
                raise ExtractError("trasig", "filen packas upp till orimlig storlek")
            if any(i.flag_bits & 0x1 for i in infos):
                raise ExtractError("krypterad", "Office-filen är lösenordsskyddad")
            bad = zf.testzip()
            if bad is not None:
                raise ExtractError("trasig", f"skadad del i filen: {bad}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ExtractError("trasig", f"inte en giltig zip-fil: {exc}") from exc


def _core_dates(props: Any) -> tuple[Any, Any]:
    published = dates.as_date(getattr(props, "created", None))
    modified = dates.as_date(getattr(props, "modified", None))
    if modified and published and modified <= published:
        modified = None
    return published, modified


# ----------------------------------------------------------------------------- docx


def _docx_blocks(document: Any) -> Iterator[tuple[str, str]]:
    """("heading1"|"title"|"p"|"table", text) for the body in document order (headers/footers excluded)."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            para = Paragraph(child, document)
            text = _clean(para.text)
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            m = HEADING_STYLE.match(style.strip())
            if m:
                yield f"heading{m.group(1)}", text
            elif style.strip().lower() in TITLE_STYLES:
                yield "title", text
            else:
                yield "p", text
        elif child.tag == qn("w:tbl"):
            table = Table(child, document)
            rows = []
            for row in table.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = _clean(cell.text).replace("\n", " ")
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                yield "table", "\n".join(rows)


def extract_docx(body: bytes, url: str = "") -> Extracted:
    """Extract a .docx; ExtractError("trasig") when it cannot be opened."""
    check_zip(body)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(body))
        blocks = list(_docx_blocks(document))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        raise ExtractError("trasig", f"Word-filen går inte att läsa: {type(exc).__name__}: {exc}"[:300]) from exc
    except Exception as exc:  # lxml XMLSyntaxError and friends from damaged parts
        if type(exc).__name__ in ("XMLSyntaxError", "ParseError"):
            raise ExtractError("trasig", f"Word-filen är skadad: {exc}"[:300]) from exc
        raise
    text = "\n\n".join(t for _, t in blocks)
    if not text.strip():
        raise ExtractError("ingen text", "Word-filen innehåller ingen text")
    headings = [t for k, t in blocks if k in ("title", "heading1", "heading2", "heading3")]
    props = document.core_properties
    title = _clean(props.title or "") or next((t for k, t in blocks if k == "title"), "") \
        or next((t for k, t in blocks if k.startswith("heading")), "") or blocks[0][1].split("\n")[0][:200]
    published, modified = _core_dates(props)
    label_pub, label_mod = dates.find_labelled(text[:3000])
    # a date near the top ("Länsstyrelsen, 3 maj 2024") beats the file's creation time
    published = label_pub or next(iter(dates.find_dates(text[:600])), None) or published
    modified = label_mod or modified
    language = (props.language or "sv").split("-")[0].lower() or "sv"
    return Extracted(title=title[:300], text=text, format="docx", headings=headings[:200],
                     description=_clean(props.subject or "")[:500], published=published, modified=modified,
                     language=language)


# ----------------------------------------------------------------------------- pptx


def _shape_texts(shapes: Any, depth: int = 0) -> Iterator[str]:
    """Text of shapes in reading order (top, then left), descending into groups; tables row by row."""
    if depth > 50:
        return

    def pos(shape: Any) -> tuple[int, int]:
        return (shape.top or 0, shape.left or 0)

    ordered = sorted(shapes, key=pos)
    for shape in ordered:
        if shape.shape_type is not None and getattr(shape, "shapes", None) is not None \
                and shape.__class__.__name__ == "GroupShape":
            yield from _shape_texts(shape.shapes, depth + 1)
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            rows = []
            for row in shape.table.rows:
                cells = [_clean(c.text).replace("\n", " ") for c in row.cells]
                cells = [c for c in cells if c]
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                yield "\n".join(rows)
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            t = _clean(shape.text_frame.text)
            if t:
                yield t


def _slide_parts(slide: Any) -> tuple[str, list[str]]:
    """(title, texts) of one slide: its title, every other text frame and table, then its speaker notes."""
    title_shape = slide.shapes.title
    title = _clean(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    parts = [title] if title else []
    others = [s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id]
    parts.extend(_shape_texts(others))
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and _clean(notes.text):
            parts.append(_clean(notes.text))
    return title, parts


def extract_pptx(body: bytes, url: str = "") -> Extracted:
    """Extract a .pptx: slide titles as headings, every text frame, tables and speaker notes."""
    check_zip(body)
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    slides: list[str] = []
    headings: list[str] = []
    try:
        prs = Presentation(io.BytesIO(body))
        for slide in prs.slides:
            title, parts = _slide_parts(slide)
            if title:
                headings.append(title.replace("\n", " "))
            slides.append("\n\n".join(parts))
        props = prs.core_properties
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        raise ExtractError("trasig", f"PowerPoint-filen går inte att läsa: {type(exc).__name__}: {exc}"[:300]) \
            from exc
    except Exception as exc:
        if type(exc).__name__ in ("XMLSyntaxError", "ParseError"):
            raise ExtractError("trasig", f"PowerPoint-filen är skadad: {exc}"[:300]) from exc
        raise
    text, starts = join_pages(slides)  # a slide's number is found from an offset like a PDF page's
    if not text.strip():
        raise ExtractError("ingen text", "presentationen innehåller ingen text")
    title = _clean(props.title or "") or (headings[0] if headings else text.split("\n")[0])
    published, modified = _core_dates(props)
    language = (props.language or "sv").split("-")[0].lower() or "sv"
    return Extracted(title=title[:300], text=text, format="pptx", headings=headings[:200],
                     description=_clean(props.subject or "")[:500], published=published, modified=modified,
                     language=language, page_count=len(prs.slides), page_starts=starts)
