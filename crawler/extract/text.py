"""The one text-cleaning function for extracted text (HTML, PDF, Office)."""

from __future__ import annotations

import re

from kb.textforms import nfc_text

# control characters, replacement characters, zero-width marks and soft hyphens ("Mit&shy;tel&shy;al&shy;ter"); the
# zero-width (non-)joiners and direction marks too, which pasted text leaves inside words ("poj\u200ckar")
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\ufffd\ufeff\u200b-\u200f\u2060]")
WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean_text(s: str, *, lines: bool = False) -> str:
    """Remove NULs, C0/C1 control characters, replacement characters, zero-width marks and soft hyphens; compose
    decomposed letters ("o" + U+0308 → "ö") and spell out ligatures ("ﬂ" → "fl"): ``kb.textforms.nfc_text``.

    With ``lines=True`` also collapse horizontal whitespace to one space and strip every line and the
    whole text (what document formats need; HTML keeps its markup whitespace for the parser).
    """
    s = nfc_text(CONTROL_RE.sub("", s))
    if lines:
        s = "\n".join(WS_RE.sub(" ", line).strip() for line in s.splitlines()).strip()
    return s
