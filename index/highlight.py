"""HTML-safe snippets: the ~200-character window of the body with the most query-term matches."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

WINDOW = 200
MAX_SCAN_CHARS = 300_000  # bodies are scanned up to here; later matches are not worth the time
MAX_MATCHES = 2_000

# Length-preserving fold so positions in the folded text are positions in the original.
_FOLD = str.maketrans("åäöÅÄÖéèêëÉÈÊËüÜáàÁÀ", "aaoAAOeeeeEEEEuUaaAA")
_WORD_CHARS = re.compile(r"\w", re.UNICODE)


def fold(text: str) -> str:
    return text.translate(_FOLD)


def term_pattern(stems: Iterable[str]) -> re.Pattern[str] | None:
    """Regex for words starting with any (folded) stem: "våld" marks "våldet" and "våldsutsatta"."""
    clean = sorted({fold(s.lower()) for s in stems if s and len(s) >= 2}, key=len, reverse=True)
    if not clean:
        return None
    alts = "|".join(re.escape(s) for s in clean)
    return re.compile(r"(?<!\w)(?:" + alts + r")\w*", re.IGNORECASE)


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


def snippet(body: str, pattern: re.Pattern[str] | None, fallback: str = "", window: int = WINDOW) -> str:
    """Escaped text around the best cluster of matches with ``<mark>``; the fallback (or start) otherwise."""
    body = body or ""
    if pattern is not None and body:
        scan = fold(body[:MAX_SCAN_CHARS])
        matches = []
        for m in pattern.finditer(scan):
            matches.append((m.start(), m.end(), m.group(0)[:6].lower()))
            if len(matches) >= MAX_MATCHES:
                break
        if matches:
            i, j = _best_window(matches, window)
            first, last = matches[i][0], matches[j - 1][1]
            pad = max(0, (window - (last - first)) // 2)
            start = _trim_start(body, max(0, first - pad))
            end = _trim_end(body, min(len(body), max(last, start + window)))
            start = max(0, min(start, first))
            parts: list[str] = ["…" if start > 0 else ""]
            cursor = start
            for s, e, _ in matches[i:]:
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
    text = " ".join((fallback or "").split()) or " ".join(body[: window * 3].split())
    if len(text) > window:
        cut = text.rfind(" ", 0, window)
        text = text[: cut if cut > window // 2 else window] + "…"
    return html.escape(text)
