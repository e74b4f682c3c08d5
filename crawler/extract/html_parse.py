"""HTML bytes to an lxml tree: charset decoding as browsers do, one text-cleaning function, safe parsing, CSS selectors."""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from typing import cast

import lxml.etree
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 4 * 1024 * 1024  # larger bodies are cut; no real article page is this big

_LATIN1_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1",
                   "windows-1252", "cp1252", "x-cp1252", "8859-1"}


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not valid in the main codec as windows-1252 (undefined bytes as Latin-1)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chunk = err.object[err.start:err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in chunk), err.end


codecs.register_error("kb-cp1252", _cp1252_fallback)

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def _codec(name: str | None) -> str | None:
    """Python codec name for a declared charset; Latin-1 family → windows-1252 (as browsers do)."""
    if not name:
        return None
    n = name.strip().lower()
    if n in _LATIN1_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


_UTF8_MB_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ASCII_TO_SPACE = bytes.maketrans(bytes(range(128)), b" " * 128)


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode HTML bytes to text: BOM, then valid UTF-8, then the declared charset, then windows-1252.

    Valid multi-byte UTF-8 almost never occurs by accident in legacy-encoded text, so a body
    that decodes as UTF-8 is UTF-8 whatever the server or the meta tag claims; mixed pages
    (UTF-8 with a windows-1252 footer) decode the stray bytes as windows-1252.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="kb-cp1252" if enc == "utf-8" else "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared: list[str | None] = [_codec(_charset_from_content_type(content_type))]
    m = _META_CHARSET_RE.search(body[:8192])
    declared.append(_codec(m.group(1).decode("ascii", "ignore")) if m else None)
    # the sequences are made of high bytes only: scan the runs of them (ASCII turned to separators at C speed)
    runs = body[:2_000_000].translate(_ASCII_TO_SPACE).split()
    valid_mb = len(_UTF8_MB_RE.findall(b" ".join(runs)))
    high = sum(map(len, runs))
    # Most high bytes form valid UTF-8 sequences: a UTF-8 page with a few stray legacy bytes.
    if valid_mb and valid_mb * 2 >= high - valid_mb * 2:
        return body.decode("utf-8", errors="kb-cp1252")
    for declared_enc in declared:
        enc = declared_enc or ""
        if enc and enc not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            try:
                return body.decode(enc, errors="kb-cp1252" if enc == "cp1252" else "strict")
            except UnicodeDecodeError:
                continue
    return body.decode("cp1252", errors="kb-cp1252")


# ----------------------------------------------------------------------------- parsing


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")


def parse(body: bytes, content_type: str | None = None) -> lxml.etree._Element | None:
    """Parse HTML safely (input capped, no network); None for an empty document."""
    raw = body[:MAX_HTML_BYTES]
    data: str | bytes | None = None  # what libxml2 reads: UTF-8 bytes (faster than a str buffer, the same tree)
    try:
        text = raw.decode("utf-8")  # what decode_html returns for valid UTF-8 without a BOM, and the bytes are these
        if not raw.startswith(codecs.BOM_UTF8):
            data = raw
    except UnicodeDecodeError:
        pass
    if data is None:
        text = decode_html(raw, content_type)
    if "\x00" in text:  # the parser passes other control characters through; what is stored is cleaned after
        text, data = text.replace("\x00", ""), None
    declaration = _XML_DECLARATION.match(text)  # lxml refuses str input with an encoding declaration
    if declaration:
        text, data = text[declaration.end():], None
    if not text.strip():
        return None
    # plain etree elements: lxml.html's per-element class lookup doubled the time on big pages. huge_tree lifts
    # libxml2's nesting limit of 256 (2048 with it): 126 unclosed <li>/<font><p> or 252 unclosed <div>s cut the rest
    # of the page off without it; the body is already capped at MAX_HTML_BYTES and big trees take the cheap path.
    if data is None:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates stay str
            data = text
    parser = lxml.etree.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True, no_network=True,  # type: ignore[call-arg]
                                  recover=True, default_doctype=False, encoding="utf-8" if isinstance(data, bytes) else None)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    return root


def compile_selector(selector: str) -> CSSSelector:
    """Compile a CSS selector; raises ValueError with a readable message when it is invalid."""
    try:
        return CSSSelector(selector, translator="html")
    except SelectorError as exc:
        raise ValueError(f"ogiltig CSS-väljare {selector!r}: {exc}") from exc


def select(root: lxml.etree._Element, selector: str) -> list[lxml.etree._Element]:
    """Elements matching a CSS selector; an invalid selector is logged and matches nothing."""
    try:
        found = compile_selector(selector)(root)
        return [el for el in found if isinstance(el, lxml.etree._Element)] if isinstance(found, list) else []
    except ValueError as exc:
        log.warning("%s", exc)
        return []


def norm(s: str | None) -> str:
    """Whitespace collapsed to single spaces, stripped."""
    return " ".join((s or "").split())  # str.split knows the no-break and wide spaces WS_RE lists


def text_of(el: lxml.etree._Element) -> str:
    """All text of ``el``, whitespace-normalised."""
    if not len(el) and isinstance(el.tag, str):  # a leaf (most links): its text alone
        t = el.text
        return " ".join(t.split()) if t else ""
    return " ".join(" ".join(cast("Iterator[str]", el.itertext())).split())


def tag_of(el: object) -> str:
    """Lower-case tag name; '' for comments and processing instructions."""
    t = getattr(el, "tag", None)
    return t if isinstance(t, str) else ""  # the HTML parser lower-cases tag names




def check_selector(selector: str) -> str | None:
    """Return an error message if ``selector`` is not valid CSS (for validating sources.yaml), else None."""
    try:
        compile_selector(selector)
    except ValueError as exc:
        return str(exc)
    return None
