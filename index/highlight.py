"""HTML-safe snippets: the ~200-character window of the body with the most query-term matches."""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

WINDOW = 200
MAX_SCAN_CHARS = 300_000  # bodies are scanned up to here; later matches are not worth the time
MAX_MATCHES = 2_000

# Length-preserving fold so positions in the folded text are positions in the original.
_FOLD = str.maketrans("åäöÅÄÖéèêëÉÈÊËüÜáàÁÀ", "aaoAAOeeeeEEEEuUaaAA")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    return text.translate(_FOLD)


class TermPattern:
    """The words to mark: those starting with a query stem (folded, "vald" marks "våld") whose analysis has that stem
    as itself or as a compound part: "våld" marks "våldet" and "våldsutsatta", but "bär" no longer marks "barn" and
    "bara" (both fold to "bar…"), nor "hot" "hotell"."""

    def __init__(self, stems: Iterable[str]) -> None:
        self.stems = frozenset(stems)  # as analysed: a word typed with å/ä/ö marks only what is written so
        self.folded = frozenset(s for s in self.stems if s.isascii())  # typed without: its folded twins too
        folded = sorted({fold(s) for s in self.stems}, key=len, reverse=True)
        alts = "|".join(re.escape(s) for s in folded)
        self.regex = re.compile(r"(?<!\w)(?:" + alts + r")\w*", re.IGNORECASE)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text)

    def accepts(self, word: str) -> bool:
        """Is ``word`` (as the text writes it) one of the query's words, inflected or as a compound part?"""
        return any(t in self.stems or fold(t) in self.folded for t in _word_stems(word.lower()))


@lru_cache(maxsize=65_536)
def _word_stems(word: str) -> tuple[str, ...]:
    """A lower-case word and what the index makes of it (its stem and compound parts), once per process."""
    from index.analysis import analyze  # noqa: PLC0415 — the analyzer's word lists load once, on first use

    return (word, *analyze(word, mode="index"))


def term_pattern(stems: Iterable[str]) -> TermPattern | None:
    """The words to mark for these (analysed) query stems; None when there are none."""
    clean = {s.lower() for s in stems if s and len(s) >= 2}
    return TermPattern(clean) if clean else None


def _best_window(matches: list[tuple[int, int, str]], window: int) -> tuple[int, int]:
    """Start and end index (into matches) of the window covering the most distinct terms, then most matches."""
    best = (0, 0, 0, 1)  # (distinct, count, i, j)
    j = 0
    for i in range(len(matches)):
        if j < i + 1:
            j = i + 1
        while j < len(matches) and matches[j][1] - matches[i][0] <= window:
            j += 1
        distinct = len({m[2] for m in matches[i:j]})
        if (distinct, j - i) > best[:2]:
            best = (distinct, j - i, i, j)
    return best[2], best[3]


def _trim_start(text: str, pos: int) -> int:
    """Move back to a word boundary so a snippet does not start mid-word."""
    while pos > 0 and _WORD_CHARS.match(text[pos - 1]):
        pos -= 1
    return pos


def _trim_end(text: str, pos: int) -> int:
    while pos < len(text) and _WORD_CHARS.match(text[pos]):
        pos += 1
    return pos


def _render(body: str, matches: list[tuple[int, int, str]], start: int, end: int) -> str:
    """body[start:end] escaped, every match inside marked, "…" where text was cut."""
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e, _ in matches:
        if s >= end:
            break
        if s < cursor:
            continue
        parts.append(html.escape(body[cursor:s]))
        parts.append("<mark>" + html.escape(body[s:e]) + "</mark>")
        cursor = e
    parts.append(html.escape(body[cursor:end]))
    if end < len(body):
        parts.append("…")
    return " ".join("".join(parts).split())


def _find(scan: str, pattern: TermPattern, avoid: list[tuple[int, int]], text: str) -> list[tuple[int, int, str]]:
    """(start, end, term) of the matches in the (folded) text that fall outside the ``avoid`` spans (in order);
    ``text`` is ``scan`` unfolded (same positions), whose words the pattern checks."""
    matches = []
    for m in pattern.finditer(scan):
        if not pattern.accepts(text[m.start():m.end()]):
            continue
        matches.append((m.start(), m.end(), m.group(0)[:6].lower()))
        if len(matches) >= MAX_MATCHES:
            break
    if not avoid:
        return matches
    starts = [a for a, _ in avoid]
    ends = [b for _, b in avoid]

    def inside(pos: int) -> bool:
        n = bisect_right(starts, pos) - 1
        return n >= 0 and pos < ends[n]

    return [m for m in matches if not inside(m[0])]


def _title_spans(scan: str, title: str) -> list[tuple[int, int]]:
    """Where a title of three words or more recurs in the (folded) text, in order."""
    words = _WORD.findall(fold(title))
    if len(words) < 3:
        return []
    repeat = re.compile(r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)
    return [(m.start(), m.end()) for m in repeat.finditer(scan)]


def _fallback(text: str, window: int) -> str:
    text = " ".join(text.split())
    if len(text) > window:
        cut = text.rfind(" ", 0, window)
        text = text[: cut if cut > window // 2 else window] + "…"
    return html.escape(text)


def snippet(body: str, pattern: TermPattern | None, fallback: str = "", window: int = WINDOW) -> str:
    """Escaped text around the best cluster of matches with ``<mark>``; the fallback (or start) otherwise."""
    return passage(body, pattern, fallback, window)[0]


def passage(body: str, pattern: TermPattern | None, fallback: str = "", window: int = WINDOW, *,
            skip: int = 0, pages: Sequence[int] = (), title: str = "") -> tuple[str, int | None]:
    """The snippet and the offset of its first match (None when nothing matched and the fallback is shown).

    Matches before ``skip`` (a cover title) or inside a repeat of ``title`` are not shown. For a paged document
    (``pages``: where each page begins) the snippet starts at the matching passage (the start of its sentence,
    never on an earlier page) and stays on the page of its first match."""
    body = body or ""
    matches: list[tuple[int, int, str]] = []
    avoid: list[tuple[int, int]] = []
    if pattern is not None and body:
        scan = fold(body[:MAX_SCAN_CHARS])
        # the hit's title is shown above its snippet: a cover title and its repeats as a running header are not
        avoid = ([(0, skip)] if skip else []) + _title_spans(scan, title)
        matches = _find(scan, pattern, avoid, body)
    if matches:
        i, j = _best_window(matches, window)
        first = matches[i][0]
        if pages:
            start, end = _page_span(body, matches[i:j], pages, avoid, window)
        else:
            last = matches[j - 1][1]
            pad = max(0, (window - (last - first)) // 2)
            start = _trim_start(body, max(0, first - pad))
            end = _trim_end(body, min(len(body), max(last, start + window)))
            start = max(0, min(start, first))
        return _render(body, matches, start, end), first
    if fallback.strip():
        return _fallback(fallback, window), None
    return _fallback(body[skip: skip + window * 3], window), None


def _page_span(body: str, matches: list[tuple[int, int, str]], pages: Sequence[int], avoid: list[tuple[int, int]],
               window: int) -> tuple[int, int]:
    """(start, end) of a paged document's snippet: from the first match's passage to the window's last match on
    the same page; a passage the page end cuts short begins at an earlier sentence of that page instead (never
    inside an ``avoid`` span)."""
    first = matches[0][0]
    low, high = page_bounds(pages, first, len(body))
    last = max([e for s, e, _ in matches if e <= high] or [matches[0][1]])
    start = passage_start(body, first, max(low, first - window // 3))
    end = max(last, min(high, _trim_end(body, max(last, start + window))))
    edges = {low} | {b for _, b in avoid if low <= b <= start}
    floor = max(end - window, *edges)
    if end - start < window * 2 // 3 and floor < start:
        boundary = _SENTENCE_END.search(body, floor, start)
        earlier = floor if floor in edges else boundary.end() if boundary else _trim_end(body, floor)
        while earlier < start and body[earlier].isspace():
            earlier += 1
        start = earlier
    return start, end


def page_bounds(pages: Sequence[int], offset: int, length: int) -> tuple[int, int]:
    """(start, end) of the page holding ``offset``."""
    n = bisect_right(pages, offset)
    return (pages[n - 1] if n else 0), (pages[n] if n < len(pages) else length)


def page_of(pages: Sequence[int], offset: int | None) -> int | None:
    """The 1-based page (or slide) holding ``offset``; None for a one-page document or no offset."""
    if offset is None or len(pages) < 2:
        return None
    return max(1, bisect_right(pages, offset))


_SENTENCE_END = re.compile(r"[.!?:;]\s|\n")


def passage_start(body: str, first: int, floor: int) -> int:
    """Where the passage holding ``first`` begins: after the last sentence end or line break in
    body[floor:first], else at the start of the matching word."""
    start = None
    for m in _SENTENCE_END.finditer(body, floor, first):
        start = m.end()
    if start is None:
        return _trim_start(body, first)
    while start < first and body[start].isspace():
        start += 1
    return start


def title_end(body: str, title: str) -> int:
    """Offset just past the title where the body opens with it (a PDF's cover page), else 0."""
    words = _WORD.findall(fold(title.lower()))
    matched, end = 0, 0
    for m in _WORD.finditer(fold(body[: len(title) * 2 + 100].lower())):
        if matched == len(words) or m.group(0) != words[matched]:
            break
        matched, end = matched + 1, m.end()
    return end if words and matched >= min(len(words), 3) else 0
