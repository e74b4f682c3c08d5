"""Query-string values made safe: text sanitised and capped, searchable or not, page numbers lenient (pages) or strict (API)."""

from __future__ import annotations

from kb.searchmodel import MAX_PAGE, clean_query
from kb.searchmodel import has_searchable_word as has_searchable_word  # shared with kb search


def sanitize_param(value: str, limit: int) -> tuple[str, bool]:
    """A query-string value made safe to search and echo: control characters (NUL …) and U+FFFD dropped,
    whitespace collapsed, at most ``limit`` characters; returns (text, shortened). The one cleaning: ``clean_query``."""
    return clean_query(value, limit)


def parse_page(raw: str | None) -> int:
    """A lenient page number for HTML pages: anything odd becomes 1, huge values are capped."""
    if raw is None:
        return 1
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return MAX_PAGE if raw.isascii() and raw.isdigit() else 1
    return max(1, min(int(raw), MAX_PAGE))


def parse_strict_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A strict integer for the API; raises ValueError with a Swedish message."""
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValueError(f"{name} måste vara ett heltal mellan {low} och {high}, inte {raw[:40]!r}.")
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"{name} måste vara ett heltal mellan {low} och {high}, inte {value}.")
    return value
