"""The demo content's tiny markup (headings, lists, paragraphs, links, bold) and Swedish dates."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from markupsafe import Markup

MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]

INLINE_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*([^*]+)\*\*")
SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")
LATIN1_REPLACEMENTS = {"–": "-", "—": "-", "’": "'", "‘": "'", "”": '"', "“": '"', "…": "...", "•": "-", "\u00ad": ""}

Block = tuple[str, Any]  # ("h2" | "h3" | "p", str) or ("ul", list[str])


def sv_date(d: dt.date) -> str:
    """``3 maj 2024``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def esc(s: str) -> str:
    """HTML-escape text for an element or a quoted attribute."""
    return html.escape(s, quote=True)


def as_date(v: Any) -> dt.date | None:
    """A YAML date, an ISO string or None."""
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def latin1(s: str) -> str:
    """Replace typographic characters the PDF core fonts lack with plain ones."""
    for a, b in LATIN1_REPLACEMENTS.items():
        s = s.replace(a, b)
    return s


def inline(text: str) -> str:
    """Escape text, turning ``[label](href)`` into links and ``**x**`` into <strong>."""
    out = []
    pos = 0
    for m in INLINE_LINK.finditer(text):
        out.append(esc(text[pos:m.start()]))
        out.append(f'<a href="{esc(m.group(2))}">{esc(m.group(1))}</a>')
        pos = m.end()
    out.append(esc(text[pos:]))
    return BOLD.sub(r"<strong>\1</strong>", "".join(out))


def plain(text: str) -> str:
    """The text without link targets, bold markers and the PDF's hyphenation markers (~ ^)."""
    text = INLINE_LINK.sub(r"\1", text)
    text = BOLD.sub(r"\1", text)
    return text.replace("~", "").replace("^", "")


def blocks(body: str) -> list[Block]:
    """Parse the tiny markup: '## ' h2, '### ' h3, '- ' list items, blank-line paragraphs."""
    res: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            res.append(("h2", lines[0][3:]))
            lines = lines[1:]
        elif lines[0].startswith("### "):
            res.append(("h3", lines[0][4:]))
            lines = lines[1:]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            res.append(("ul", [ln[2:] for ln in lines]))
        else:
            res.append(("p", " ".join(lines)))
    return res


def body_html(body: str) -> Markup:
    """The body as HTML (safe to insert into a template unescaped)."""
    out = []
    for kind, val in blocks(body):
        if kind == "ul":
            out.append("<ul>\n" + "\n".join(f"<li>{inline(x)}</li>" for x in val) + "\n</ul>")
        else:
            out.append(f"<{kind}>{inline(val)}</{kind}>")
    return Markup("\n".join(out))


def key_sentence(body: str) -> str:
    """The first plain sentence of at least eight words (what the golden extraction tests look for)."""
    for kind, val in blocks(body):
        if kind != "p" or INLINE_LINK.search(val) or "~" in val or "^" in val:
            continue
        for s in SENT_SPLIT.split(val):
            s = plain(s).strip()
            if len(s.split()) >= 8:
                return s
    for kind, val in blocks(body):
        if kind == "p":
            return plain(SENT_SPLIT.split(val)[0]).strip()
    raise ValueError("no key sentence")
