"""The demo's PDF documents: cover page, running header and footer, own line wrapping with hyphenation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fpdf import FPDF

from demo.builder.markup import blocks, latin1, plain, sv_date

FIXED_TS = dt.datetime(2025, 1, 15, 9, 0, 0, tzinfo=dt.UTC)  # rebuilds are byte-identical


class _DocPDF(FPDF):
    """A4 with a grey running header (with a rule) and a "Sida N av M" footer on every page."""

    def __init__(self, header_text: str, footer_text: str) -> None:
        super().__init__(format="A4")
        self.header_text = header_text
        self.footer_text = footer_text

    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, self.header_text, new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, f"{self.footer_text}   Sida {self.page_no()} av {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


class _Paragraphs:
    """Writes paragraphs line by line, so words can be hyphenated where the text allows it.

    Markers in the text: '~' = allowed hyphenation point, '^' = forced line break.
    """

    def __init__(self, pdf: _DocPDF) -> None:
        self.pdf = pdf
        self.width: float = pdf.w - pdf.l_margin - pdf.r_margin
        self.hyphenated: list[str] = []  # words hyphenated across a line end
        self.split_phrases: list[str] = []  # phrases like "hälso-" forced to end a line
        self._line = ""
        self._lines: list[str] = []

    def _fits(self, s: str) -> bool:
        return bool(self.pdf.get_string_width(s) <= self.width)

    def _add(self, tok: str) -> None:
        sep = "" if self._line == "" else " "
        cand = self._line + sep + tok.replace("~", "")
        if self._fits(cand):
            self._line = cand
            return
        parts = tok.split("~")
        for i in range(len(parts) - 1, 0, -1):  # soft hyphenation points, longest prefix first
            pre = "".join(parts[:i])
            hy = pre if pre.endswith("-") else pre + "-"
            if self._fits(self._line + sep + hy):
                self._lines.append(self._line + sep + hy)
                self.hyphenated.append("".join(parts).strip(".,;:"))
                self._line = ""
                self._add("~".join(parts[i:]))
                return
        self._lines.append(self._line)
        self._line = tok.replace("~", "")

    def _forced_break(self, tok: str) -> None:
        first, rest = tok.split("^", 1)
        if first:
            self._add(first)
        self._lines.append(self._line)
        if rest:
            self.hyphenated.append(plain(first).rstrip("-") + plain(rest))
        else:
            self.split_phrases.append(plain(first))
        self._line = ""
        if rest:
            self._add(rest)

    def write(self, text: str, size: float = 11, lh: float = 6.0) -> None:
        self.pdf.set_font("Helvetica", "", size)
        self._line, self._lines = "", []
        for tok in latin1(text).split():
            if "^" in tok:
                self._forced_break(tok)
            else:
                self._add(tok)
        if self._line.strip():
            self._lines.append(self._line)
        for ln in self._lines:
            self.pdf.cell(0, lh, ln, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2.5)


def _cover(pdf: _DocPDF, paragraphs: _Paragraphs, doc: dict[str, Any], site: dict[str, Any]) -> None:
    pdf.add_page()
    pdf.ln(40)
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 11, latin1(doc["title"]))
    pdf.ln(6)
    if doc.get("subtitle"):
        pdf.set_font("Helvetica", "", 13)
        pdf.multi_cell(0, 7, latin1(doc["subtitle"]))
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, latin1(site["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Publicerad {sv_date(doc['published'])}", new_x="LMARGIN", new_y="NEXT")
    if doc.get("cover_text"):
        pdf.ln(14)
        paragraphs.write(doc["cover_text"], 11)


def _section(pdf: _DocPDF, paragraphs: _Paragraphs, sec: dict[str, Any]) -> None:
    if sec.get("new_page", True):
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(sec["heading"]))
    pdf.ln(2)
    for kind, val in blocks(sec["body"]):
        if kind in ("h2", "h3"):
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 7, latin1(plain(val)))
            pdf.ln(1)
        elif kind == "ul":
            for item in val:
                paragraphs.write("- " + item.replace("**", ""), 11, 6.0)
        else:
            paragraphs.write(val.replace("**", ""))


def running_footer(doc: dict[str, Any], site: dict[str, Any]) -> str:
    return str(doc.get("footer", f"{site['name']} | {doc['title']}"))


def build_pdf(doc: dict[str, Any], site: dict[str, Any], out: Path) -> tuple[list[str], list[str]]:
    """Render the document to ``out``; returns (words hyphenated across a line end, phrases forced to end a line)."""
    pdf = _DocPDF(latin1(doc["header"]), latin1(running_footer(doc, site)))
    pdf.set_creation_date(FIXED_TS)
    pdf.set_title(latin1(doc["title"]))
    pdf.set_author(latin1(site["name"]))
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=22)
    paragraphs = _Paragraphs(pdf)
    _cover(pdf, paragraphs, doc, site)
    for sec in doc["sections"]:
        _section(pdf, paragraphs, sec)
    pdf.output(str(out))
    return paragraphs.hyphenated, paragraphs.split_phrases
