"""Content extraction: turn a fetched body (HTML, PDF, .docx, .pptx) into clean text and metadata.

Public contract::

    sniff_format(body, url, content_type) -> "html" | "pdf" | "docx" | "pptx" | None
    extract(body, url, content_type, *, content_selector=None, drop_selectors=(), timeout=60.0) -> Extracted

``extract`` raises ``kb.errors.ExtractError(reason, detail)`` with reason one of
"krypterad", "ingen text", "trasig", "tidsgräns", "okänt format". Parsing runs in a killable
worker process (see ``crawler.extract.worker``); ``timeout=0`` parses in the calling process
without a time limit (debugging, profiling).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from urllib.parse import urlsplit

from crawler.extract.model import Extracted, Link
from kb.errors import ExtractError

log = logging.getLogger(__name__)

__all__ = ["EXTRACTOR_VERSIONS", "REASONS", "ExtractError", "Extracted", "Link", "extract", "extract_inline", "sniff_format"]

REASONS = ("krypterad", "ingen text", "trasig", "tidsgräns", "okänt format")

# Raise a format's number when an extractor change should reach documents already stored: the next crawl fetches
# every stored document of that format in full once (no conditional request) and stores the new text without
# calling it a change (``Store.refetch_older_extractions``, ``Store.put_document``). Stores written before
# versions existed count as 1. html 2: issue 15's third pass (prose-held class flags, the body beside the h1,
# one-link paragraphs, soft hyphens out of the text). html 3: event pages keep their "Datum/Tid/Plats" lines; a listing
# takes no item's date as its own.
EXTRACTOR_VERSIONS: dict[str, int] = {"html": 3, "pdf": 1, "docx": 1, "pptx": 1}

CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}
EXTENSIONS = {".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".docx": "docx", ".pptx": "pptx"}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/download",
                 "application/force-download", "application/x-download"}
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|div|p|h1|table|script|link|style|a\s)",
    re.IGNORECASE | re.DOTALL,
)


def _zip_kind(body: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    return "zip"


def sniff_format(body: bytes, url: str, content_type: str | None) -> str | None:
    """Return html|pdf|docx|pptx, or None when unsupported (magic bytes, then content type, then extension)."""
    head = body[:1024]
    if b"%PDF-" in head:
        return "pdf"
    declared = (content_type or "").split(";")[0].strip().lower()
    ext = ""
    path = urlsplit(url).path.lower()
    if "." in path.rsplit("/", 1)[-1]:
        ext = "." + path.rsplit(".", 1)[-1]
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(body)
        if kind in ("docx", "pptx"):
            return kind
        # a damaged Office file still says what it is; extraction will call it "trasig"
        claimed = CONTENT_TYPES.get(declared) or EXTENSIONS.get(ext)
        return claimed if claimed in ("docx", "pptx") else None
    if head.startswith((b"\xd0\xcf\x11\xe0", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!",
                        b"7z\xbc\xaf", b"OggS", b"ID3", b"\x00\x00\x00")):
        return None  # legacy .doc/.ppt (OLE), images, archives, media
    if body[:3] == b"\xef\xbb\xbf" or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        stripped = body[3:1027] if body[:3] == b"\xef\xbb\xbf" else body[2:1026].replace(b"\x00", b"")
        if _HTML_START.match(stripped):
            return "html"
    if _HTML_START.match(head):
        return "html"
    if declared in CONTENT_TYPES:
        kind = CONTENT_TYPES[declared]
        # a PDF or Office type without its magic bytes is broken or an error page; let the parser say which
        return kind
    if declared in GENERIC_TYPES or not declared:
        return EXTENSIONS.get(ext)
    return None


def extract_inline(body: bytes, url: str, fmt: str, content_type: str | None,
                   content_selector: str | None, drop_selectors: tuple[str, ...]) -> Extracted:
    """Parse in the calling process (no time limit); what the worker runs."""
    if fmt == "html":
        from crawler.extract.html import extract_html

        return extract_html(body, url, content_type, content_selector=content_selector,
                            drop_selectors=drop_selectors)
    if fmt == "pdf":
        from crawler.extract.pdf import extract_pdf

        return extract_pdf(body, url)
    if fmt == "docx":
        from crawler.extract.office import extract_docx

        return extract_docx(body, url)
    if fmt == "pptx":
        from crawler.extract.office import extract_pptx

        return extract_pptx(body, url)
    raise ExtractError("okänt format", fmt)


def extract(
    body: bytes,
    url: str,
    content_type: str | None,
    *,
    content_selector: str | None = None,
    drop_selectors: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> Extracted:
    """Extract text and metadata; raises ExtractError(reason) on failure."""
    fmt = sniff_format(body, url, content_type)
    if fmt is None:
        raise ExtractError("okänt format", (content_type or "okänd innehållstyp")[:100])
    args = (body, url, fmt, content_type, content_selector, tuple(drop_selectors))
    if not timeout or timeout <= 0:
        return extract_inline(*args)
    from crawler.extract.worker import default_pool

    result: Extracted = default_pool().run(extract_inline, *args, timeout=timeout)
    return result
