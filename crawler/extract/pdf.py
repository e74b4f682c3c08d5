"""PDF: text with pypdfium2 (pypdf as fallback), running headers/footers removed, hyphenation undone."""

from __future__ import annotations

import io
import logging
import re

from crawler.extract import dates
from crawler.extract.model import Extracted, join_pages
from crawler.extract.text import clean_text
from kb.errors import ExtractError

log = logging.getLogger(__name__)

MAX_PAGES = 2000
MIN_TEXT_CHARS = 40  # fewer letters than this in the whole file: a scan without a text layer
KEEP_HYPHEN_BEFORE = {"och", "eller", "samt", "respektive", "resp", "som", "till", "and", "or"}
PAGE_NUMBER_RE = re.compile(
    r"^(?:(?:sida|sidan|s\.|page)\s*)?[-–(]?\s*\d{1,4}\s*[-–)]?(?:\s*(?:av|\(|/|of)\s*\d{1,4}\)?)?$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")


# ----------------------------------------------------------------------------- reading pages


def _pages_pdfium(body: bytes) -> tuple[list[str], dict[str, str], str]:
    """Page texts, metadata and the first page's largest-font line(s) via pypdfium2."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg or "security" in msg:
            raise ExtractError("krypterad", "PDF-filen är lösenordsskyddad") from exc
        raise
    try:
        meta = {k.lower(): str(v) for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
        pages: list[str] = []
        big_title = ""
        for i in range(min(len(pdf), MAX_PAGES)):
            try:
                page = pdf[i]
                tp = page.get_textpage()
                pages.append(tp.get_text_range())
                if i == 0:
                    big_title = _largest_lines(tp, pdfium_c)
                tp.close()
                page.close()
            except pdfium.PdfiumError as exc:  # one damaged page must not cost the others
                log.info("pdf page %d unreadable: %s", i + 1, exc)
                pages.append("")
        return pages, meta, big_title
    finally:
        pdf.close()


def _largest_lines(tp: object, pdfium_c: object) -> str:
    """The text set in the largest font on a page (the title on a cover page)."""
    raw = tp.raw  # type: ignore[attr-defined]
    n = min(pdfium_c.FPDFText_CountChars(raw), 6000)  # type: ignore[attr-defined]
    lines: list[tuple[float, str]] = []
    size = 0.0
    buf: list[str] = []
    for i in range(n):
        ch = chr(pdfium_c.FPDFText_GetUnicode(raw, i))  # type: ignore[attr-defined]
        if ch in "\r\n":
            if buf:
                lines.append((size, "".join(buf)))
            size, buf = 0.0, []
            continue
        buf.append(ch)
        if not ch.isspace():
            size = max(size, pdfium_c.FPDFText_GetFontSize(raw, i))  # type: ignore[attr-defined]
    if buf:
        lines.append((size, "".join(buf)))
    lines = [(s, t.strip()) for s, t in lines if t.strip()]
    if not lines:
        return ""
    top = max(s for s, _ in lines)
    if top <= 0:
        return ""
    # consecutive lines in (nearly) the largest size: a title wrapped over two lines
    out: list[str] = []
    for s, t in lines:
        if s >= top * 0.95:
            out.append(t)
        elif out:
            break
    return " ".join(out)


def _pages_pypdf(body: bytes) -> tuple[list[str], dict[str, str], str]:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (NotImplementedError, PdfReadError) as exc:
                raise ExtractError("krypterad", "PDF-filen är krypterad") from exc
            if not ok:
                raise ExtractError("krypterad", "PDF-filen är lösenordsskyddad")
        meta = {}
        if reader.metadata:
            meta = {str(k).lstrip("/").lower(): str(v) for k, v in reader.metadata.items() if v}
        pages = []
        for i, page in enumerate(reader.pages):
            if i >= MAX_PAGES:
                break
            try:
                pages.append(page.extract_text() or "")
            except (PdfReadError, ValueError, KeyError, TypeError) as exc:
                log.info("pypdf page %d unreadable: %s", i + 1, exc)
                pages.append("")
        return pages, meta, ""
    except FileNotDecryptedError as exc:
        raise ExtractError("krypterad", "PDF-filen är krypterad") from exc


def read_pages(body: bytes) -> tuple[list[str], dict[str, str], str]:
    """pdfium first; pypdf when pdfium cannot open the file; ExtractError("trasig") when neither can."""
    import pypdfium2 as pdfium

    try:
        return _pages_pdfium(body)
    except pdfium.PdfiumError as exc:
        first_error = exc
    log.info("pdfium failed (%s); trying pypdf", first_error)
    try:
        return _pages_pypdf(body)
    except ExtractError:
        raise
    except Exception as exc:
        raise ExtractError("trasig", f"PDF-filen går inte att läsa: {first_error}") from exc


# ----------------------------------------------------------------------------- cleaning


SOFT_HYPHEN_RE = re.compile(r"[\x02\ufffe\u00ad](?:\r\n|\r|\n)?\s*(?=(\w*))")


def _soft_hyphen(m: re.Match[str]) -> str:
    """pdfium marks a hyphen at a line end (U+0002, U+FFFE): join the word, keep "hälso- och"."""
    return "- " if m.group(1).lower() in KEEP_HYPHEN_BEFORE else ""


def _lines(page: str) -> list[str]:
    page = SOFT_HYPHEN_RE.sub(_soft_hyphen, page)
    out = []
    for line in re.split(r"\r\n|\r|\n", page):
        line = clean_text(line, lines=True)
        out.append(line)
    return out


def _line_key(line: str) -> str:
    return _DIGITS.sub("#", line.lower())


def _is_page_counter(occurrences: list[tuple[int, str]]) -> bool:
    """Do the numbers in these lines run with the page number ("Sida 3 av 9" on page 3, 4 on page 4…)?"""
    numbers = [(page, [int(x) for x in _DIGITS.findall(line)]) for page, line in occurrences]
    width = min(len(n) for _, n in numbers)
    for pos in range(width):
        if len({n[pos] - page for page, n in numbers}) == 1:
            return True
    return False


def strip_running(pages: list[list[str]], edge: int = 3) -> list[list[str]]:
    """Drop page numbers and running headers/footers: lines near the top/bottom of ≥ 40 % of the pages.

    A line counts when the same text repeats, or when only its numbers change and they run
    with the page number ("Rapport 2024:7  Sida 3 av 9").
    """
    n = len(pages)
    seen: dict[str, list[tuple[int, str]]] = {}
    for idx, lines in enumerate(pages):
        nonempty = [ln for ln in lines if ln]
        for ln in dict.fromkeys(nonempty[:edge] + nonempty[-edge:]):
            seen.setdefault(_line_key(ln), []).append((idx, ln))
    # 40 %, not half: a header that alternates between even and odd pages (title / chapter) is on 60 of 121
    threshold = max(2 if n < 5 else 3, -(-2 * n // 5))
    running: set[str] = set()
    if n >= 2:
        for key, occ in seen.items():
            if len({page for page, _ in occ}) < threshold:
                continue
            if len({line for _, line in occ}) == 1 or _is_page_counter(occ):
                running.add(key)
    out = []
    for lines in pages:
        nonempty_idx = [i for i, ln in enumerate(lines) if ln]
        edges = set(nonempty_idx[:edge] + nonempty_idx[-edge:])
        kept = []
        for i, ln in enumerate(lines):
            if i in edges and (_line_key(ln) in running or PAGE_NUMBER_RE.match(ln)):
                continue
            kept.append(ln)
        out.append(kept)
    return out


_HYPHEN_END = re.compile(r"(\w)-$")
_FIRST_WORD = re.compile(r"^([a-zåäöéü]+)")


def join_lines(lines: list[str]) -> str:
    """Lines → paragraphs: undo line-end hyphenation ("vålds-"+"utsatta"), keep "hälso- och sjukvård"."""
    paragraphs: list[str] = []
    cur = ""
    widths = sorted(len(ln) for ln in lines if ln)
    full = widths[int(len(widths) * 0.8)] if widths else 0
    for ln in lines:
        if not ln:
            if cur:
                paragraphs.append(cur)
            cur = ""
            continue
        if not cur:
            cur = ln
            continue
        m = _HYPHEN_END.search(cur)
        first = _FIRST_WORD.match(ln)
        if m and first:
            before = cur[:-1].split(" ")[-1]
            if first.group(1) in KEEP_HYPHEN_BEFORE or before[:1].isupper() and before.isupper() or \
                    any(c.isdigit() for c in before):
                cur = cur + " " + ln if first.group(1) in KEEP_HYPHEN_BEFORE else cur + ln
            else:
                cur = cur[:-1] + ln
            continue
        # a short line that ends a sentence closes the paragraph; a full one continues it
        if cur.rstrip().endswith((".", "!", "?", ":")) and full and len(cur.split("\n")[-1]) < full * 0.8:
            paragraphs.append(cur)
            cur = ln
        elif len(cur.split("\n")[-1]) < full * 0.5 and not cur.rstrip().endswith((",", "-")):
            paragraphs.append(cur)  # headings and list items are short
            cur = ln
        else:
            cur = cur + " " + ln
    if cur:
        paragraphs.append(cur)
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


BAD_TITLES = re.compile(r"^(?:untitled|namnlös|dokument\d*|document\d*|microsoft word.*|presentation\d*|"
                        r".*\.(?:docx?|pdf|indd|pptx?)|titel|title)$", re.IGNORECASE)


def good_title(t: str | None) -> str:
    """A metadata title worth showing, else ""."""
    t = clean_text(t or "", lines=True)
    if len(t) < 3 or BAD_TITLES.match(t):
        return ""
    return t[:300]


def extract_pdf(body: bytes, url: str = "") -> Extracted:
    """Extract a PDF; ExtractError("krypterad" | "ingen text" | "trasig")."""
    pages, meta, big_title = read_pages(body)
    if not pages:
        raise ExtractError("trasig", "PDF-filen har inga sidor")
    cleaned = strip_running([_lines(p) for p in pages])
    page_texts = [join_lines(lines) for lines in cleaned]
    text, starts = join_pages(page_texts)
    if sum(c.isalpha() for c in text) < MIN_TEXT_CHARS:
        raise ExtractError("ingen text", "PDF-filen saknar textlager (skannad?)")
    first = next((t for t in page_texts if t), "")
    title = good_title(meta.get("title")) or big_title[:300] or first.split("\n")[0][:200]
    head = "\n".join(page_texts[:2])
    published, modified = dates.find_labelled(head)
    published = published or next(iter(dates.find_dates(first[:1500])), None) \
        or dates.parse_date(meta.get("creationdate"))
    modified = modified or dates.parse_date(meta.get("moddate"))
    if modified and published and modified <= published:
        modified = None
    return Extracted(title=title, text=text, format="pdf", published=published, modified=modified,
                     page_count=len(pages), page_starts=starts, description=good_title(meta.get("subject")),
                     language="sv")
