"""One Unicode form for Swedish text, whoever wrote it.

A PDF made on a Mac, or a page pasted from one, spells "ö" as "o" + U+0308 (NFD): every word with å/ä/ö then splits
in two at the tokenizer ("ko" + "nsstympning") and matches nothing typed. PDF text layers also keep typographic
ligatures ("ﬂickor", "oﬀer") that no keyboard types. Extraction, the index build and the analyzer all pass text
through ``nfc_text`` so that documents and queries meet in one form.
"""

from __future__ import annotations

import dataclasses
import unicodedata

from kb.models import Document

# The Latin ligatures of the Alphabetic Presentation Forms block, as their letters (NFKC would do this too, but it also
# rewrites "m²" and "½", which are no typing variants).
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})


def nfc_text(text: str) -> str:
    """``text`` composed (NFC) with ligatures spelled out; ASCII text is returned as it is, at no cost."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_LIGATURES))


def nfc_pages(text: str, starts: list[int]) -> tuple[str, list[int]]:
    """``nfc_text`` of a text whose pages begin at ``starts``, with the offsets moved to where the pages now begin."""
    if text.isascii() or not starts:
        return nfc_text(text), list(starts)
    bounds = [min(max(0, s), len(text)) for s in starts]
    pieces = [text[: bounds[0]]] + [text[a:b] for a, b in zip(bounds, [*bounds[1:], len(text)], strict=True)]
    out, moved = nfc_text(pieces[0]), []
    for piece in pieces[1:]:
        moved.append(len(out))
        out += nfc_text(piece)
    return out, moved


def composed(doc: Document) -> Document:
    """``doc`` with its texts in one Unicode form, page offsets moved with them (``doc`` itself when already so)."""
    text, starts = nfc_pages(doc.text, doc.page_starts)
    title, description = nfc_text(doc.title), nfc_text(doc.description)
    headings = [nfc_text(h) for h in doc.headings]
    if (text, title, description, headings) == (doc.text, doc.title, doc.description, doc.headings):
        return doc
    return dataclasses.replace(doc, text=text, title=title, description=description, headings=headings,
                               page_starts=starts)
