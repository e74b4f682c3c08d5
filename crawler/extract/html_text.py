"""Text out of a cleaned content container: blocks as paragraphs, h1–h3 as headings, trailing widget labels trimmed."""

from __future__ import annotations

import logging
import re

import lxml.etree

from crawler.extract.html_clean import BLOCK_TAGS, DROP_TAGS
from crawler.extract.html_parse import norm, tag_of, text_of

log = logging.getLogger(__name__)

LIST_CELLS = {"li", "tr", "td", "th", "dt", "dd"}
CELL_TAGS = {"td", "th", "button"}  # their text is set off by spaces
HEADING_TAGS = {"h1", "h2", "h3"}
TAIL_SHORT = 40  # characters: a trailing line this short without sentence punctuation is a widget label
SENTENCE_END = set(".!?)»”\"")
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def serialise(container: lxml.etree._Element, last: bool = True) -> tuple[str, list[str]]:
    """Text with blank lines between blocks, and the h1–h3 headings, without recursion (``last``: the page's text
    ends here, so a heading at the end heads nothing that was kept)."""
    paragraphs: list[str] = []
    in_list: list[bool] = []  # per paragraph: inside a list item or table cell
    is_heading: list[bool] = []  # per paragraph: an h1–h6
    headings: list[str] = []
    buf: list[str] = []
    depth = 0  # open li/td/th/dt/dd elements

    def flush(heading: bool = False) -> None:
        if not buf:
            return
        para = _lines("".join(buf))
        if para:
            paragraphs.append(para)
            in_list.append(depth > 0)
            is_heading.append(heading)
        buf.clear()

    for event, el in lxml.etree.iterwalk(container, events=("start", "end")):
        tag = el.tag  # a comment's tag is a function: in none of the sets below
        if event == "start":
            if tag in BLOCK_TAGS:
                flush()
            elif tag == "br":
                buf.append("\n")
            elif tag in CELL_TAGS:
                buf.append(" ")
            depth += tag in LIST_CELLS
            t = el.text
            if t and tag != "script" and tag != "style":
                buf.append(t)
        else:
            if tag in HEADING_TAGS:
                h = text_of(el)
                if h:
                    headings.append(h)
            if tag in BLOCK_TAGS:
                flush(tag in HEADINGS)
            elif tag in CELL_TAGS:
                buf.append(" ")
            depth -= tag in LIST_CELLS
            t = el.tail
            if t and el is not container:
                buf.append(t)
    flush()
    return "\n\n".join(trim_tail(paragraphs, in_list, is_heading if last else None)), headings


def _lines(text: str) -> str:
    """Each line whitespace-normalised, empty lines left out."""
    if "\n" not in text:
        return " ".join(text.split())
    normed = [" ".join(line.split()) for line in text.split("\n")]  # no line holds a "\n" after this
    return "\n".join([line for line in normed if line])


def trim_tail(paragraphs: list[str], in_list: list[bool], is_heading: list[bool] | None = None) -> list[str]:
    """Drop trailing headings (they head what was left out: related links, a comment form) and short trailing lines
    that end no sentence and are no list item or cell ("Kommentieren Sie", "Like:")."""
    end = len(paragraphs)
    while end > 1 and not in_list[end - 1]:
        last = paragraphs[end - 1]
        if is_heading is not None and is_heading[end - 1]:
            end -= 1
            continue
        if len(last) >= TAIL_SHORT or last[-1:] in SENTENCE_END or ": " in last or any(c.isdigit() for c in last):
            break  # a sentence, a "Kontakt: Åsa Öberg" line, a phone number or a date
        end -= 1
    return paragraphs[:end]


def serialise_cheaply(container: lxml.etree._Element, max_elements: int) -> tuple[str, list[str]]:
    """For pathological trees (hundreds of thousands of elements): C-level tag stripping and text only."""
    log.info("page has more than %d elements; extracting without furniture rules", max_elements)
    lxml.etree.strip_elements(container, *DROP_TAGS, "button", "header", "footer", "form", "aside", with_tail=False)
    for el in container.iter(*BLOCK_TAGS, "br", "td", "th"):  # minified markup has no newlines between blocks
        el.tail = "\n\n" + el.tail if el.tail else "\n\n"
        if tag_of(el) not in ("br", "td", "th"):
            el.text = "\n\n" + el.text if el.text else "\n\n"
    raw = lxml.etree.tostring(container, method="text", encoding="unicode")
    paragraphs = [norm(p) for p in re.split(r"\n\s*\n", raw)]
    headings = [text_of(h) for h in container.iter("h1", "h2", "h3")][:200]
    return "\n\n".join(p for p in paragraphs if p), headings
