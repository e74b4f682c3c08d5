"""Long documents for page-hit tests: a many-page PDF (fpdf2) and a slide deck (python-pptx), one word on one page."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fpdf import FPDF

TITLE = "Handbok om skyddat boende"
HEADER = "Handbok om skyddat boende | Kunskapscentrum"
TOPICS = ("placering", "säkerhet", "ekonomi", "skolgång", "vårdkontakter", "uppföljning", "samverkan", "dokumentation")


def page_paragraphs(n: int) -> list[str]:
    """Ordinary running text for page ``n``: words that occur on many pages (never the title's words)."""
    topic = TOPICS[n % len(TOPICS)]
    return [
        f"Avsnitt {n}: {topic}",
        f"Socialtjänsten ansvarar för att kvinnan och barnen får stöd i frågor om {topic} under tiden i det "
        f"tillfälliga hemmet. Handläggaren gör en plan tillsammans med kvinnan och följer upp den regelbundet, "
        f"och planen beskriver vem som gör vad och när det ska vara klart.",
        f"Rutinerna för {topic} ska vara kända av all personal i kommunen.",
        f"Kontaktpersonen för {topic} nås genom kommunens växel.",
    ]


class _LongPdf(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, HEADER, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 6, f"Sida {self.page_no()} av {{nb}}", align="C")


def long_pdf(pages: int = 120, marks: dict[int, str] | None = None) -> bytes:
    """A ``pages``-page PDF: a cover with the title, then running text; ``marks`` puts a sentence on a page."""
    marks = marks or {}
    pdf = _LongPdf()
    pdf.set_creation_date(datetime(2024, 6, 1, tzinfo=UTC))
    pdf.set_title(TITLE)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 12, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Publicerad 3 maj 2024", new_x="LMARGIN", new_y="NEXT")
    for n in range(2, pages + 1):
        pdf.add_page()
        paragraphs = page_paragraphs(n)
        if n in marks:
            paragraphs.insert(2, marks[n])
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, paragraphs[0], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for para in paragraphs[1:]:
            pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def slide_deck(slides: int = 12, marks: dict[int, str] | None = None) -> bytes:
    """A ``slides``-slide .pptx with a title and a text box per slide; ``marks`` puts a sentence on a slide."""
    from pptx import Presentation

    marks = marks or {}
    prs = Presentation()
    prs.core_properties.title = "Utbildning om skyddat boende"
    for n in range(1, slides + 1):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"Bild {n}: {TOPICS[n % len(TOPICS)]}"
        slide.placeholders[1].text_frame.text = marks.get(n, page_paragraphs(n)[1])
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
