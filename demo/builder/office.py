"""The demo's Word (.docx) and PowerPoint (.pptx) documents, with fixed timestamps so rebuilds are byte-identical."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.shared import Pt as DocxPt
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches, Pt

from demo.builder.markup import blocks, plain, sv_date
from demo.builder.pdf import FIXED_TS, running_footer

ZIP_TIMESTAMP = (2025, 1, 15, 9, 0, 0)


def normalize_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def _set_core_properties(props: Any, doc: dict[str, Any], site: dict[str, Any]) -> None:
    props.title = doc["title"]
    props.author = site["name"]
    props.created = FIXED_TS.replace(tzinfo=None)
    props.modified = FIXED_TS.replace(tzinfo=None)
    props.last_modified_by = site["name"]


def _docx_table(d: Any, rows: list[list[Any]]) -> None:
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            t.cell(r, c).text = str(cell)
            if r == 0:
                for run in t.cell(r, c).paragraphs[0].runs:
                    run.bold = True
                    run.font.size = DocxPt(10)


def build_docx(doc: dict[str, Any], site: dict[str, Any], out: Path) -> None:
    """A Word document: running header and footer, title, sections with headings, lists and tables."""
    d = docx.Document()
    _set_core_properties(d.core_properties, doc, site)
    sec = d.sections[0]
    sec.header.paragraphs[0].text = doc["header"]
    sec.footer.paragraphs[0].text = running_footer(doc, site)
    d.add_heading(doc["title"], 0)
    if doc.get("subtitle"):
        p = d.add_paragraph(doc["subtitle"])
        p.runs[0].italic = True
    d.add_paragraph(f"{site['name']}, {sv_date(doc['published'])}")
    for s in doc["sections"]:
        d.add_heading(s["heading"], 1)
        for kind, val in blocks(s["body"]):
            if kind in ("h2", "h3"):
                d.add_heading(plain(val), 2)
            elif kind == "ul":
                for item in val:
                    d.add_paragraph(plain(item), style="List Bullet")
            else:
                d.add_paragraph(plain(val))
        if s.get("table"):
            _docx_table(d, s["table"])
    d.save(str(out))
    normalize_zip(out)


def _table_slide(prs: Any, sl: dict[str, Any]) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = sl["title"]
    rows = sl["table"]
    shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5), Inches(1.6), Inches(9), Inches(0.5 * len(rows)))
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            shape.table.cell(r, c).text = str(cell)
            for p in shape.table.cell(r, c).text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(14)
    return slide


def _group_slide(prs: Any, sl: dict[str, Any]) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = sl["title"]
    grp = slide.shapes.add_group_shape()
    n = len(sl["group"])
    for i, label in enumerate(sl["group"]):
        box = grp.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(0.4 + i * (9.2 / n)), Inches(2.5),
                                   Inches(9.2 / n - 0.2), Inches(1.6))
        box.text_frame.text = label
        box.text_frame.word_wrap = True
        for p in box.text_frame.paragraphs:
            for run in p.runs:
                run.font.size = Pt(14)
    return slide


def _bullet_slide(prs: Any, sl: dict[str, Any]) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[1])
    slide.shapes.title.text = sl["title"]
    tf = slide.placeholders[1].text_frame
    for i, b in enumerate(sl["bullets"]):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = b
        p.font.size = Pt(20)
    return slide


def build_pptx(doc: dict[str, Any], site: dict[str, Any], out: Path) -> None:
    """A presentation: title slide, then bullet, table and grouped-shape slides, with speaker notes."""
    prs = Presentation()
    _set_core_properties(prs.core_properties, doc, site)
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = doc["title"]
    s.placeholders[1].text = f"{doc.get('subtitle', '')}\n{site['name']}"
    if doc.get("title_notes"):
        s.notes_slide.notes_text_frame.text = doc["title_notes"]
    for sl in doc["slides"]:
        if sl.get("table"):
            slide = _table_slide(prs, sl)
        elif sl.get("group"):
            slide = _group_slide(prs, sl)
        else:
            slide = _bullet_slide(prs, sl)
        if sl.get("notes"):
            slide.notes_slide.notes_text_frame.text = sl["notes"]
    prs.save(str(out))
    normalize_zip(out)
