"""Odd searches answered in words: no searchable word, and filter values the index does not have (with a did-you-mean)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence

from kb.searchmodel import FACET_KEYS, FACET_LABELS, FacetValue
from web.caching import Searcher
from web.formatting import quoted

NO_WORDS = "Skriv ett eller flera sökord"
LabelOf = Callable[[str, str], str]


def no_words_notice(raw_q: str) -> str:
    """What a query without a letter or digit ("#", "*") is told: it counts as no query."""
    return f"{quoted(raw_q)} innehåller inget sökbart ord, så allt material visas. {NO_WORDS}."


def may_be_unknown(filters: Mapping[str, Sequence[str]], facets: Mapping[str, list[FacetValue]]) -> bool:
    """True when a chosen value is missing from the answer's facet counts (cheap test before the index-wide one)."""
    return any(value not in {v.value for v in facets.get(key, []) if v.count > 0}
               for key, values in filters.items() for value in values)


def _closest(key: str, value: str, known: list[FacetValue], label_of: LabelOf) -> str | None:
    """The label of the known value closest to ``value`` (by value or by label), when one is close enough."""
    names: dict[str, str] = {}
    for option in known:
        label = option.label or label_of(key, option.value)
        names.setdefault(option.value.casefold(), label)
        names.setdefault(label.casefold(), label)
    match = difflib.get_close_matches(value.casefold(), list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None


def unknown_filters_notice(filters: Mapping[str, Sequence[str]], overview: Mapping[str, list[FacetValue]],
                           label_of: LabelOf) -> str | None:
    """One Swedish sentence per chosen filter value that no document in the index has, with a did-you-mean."""
    sentences = []
    for key in FACET_KEYS:
        known = [v for v in overview.get(key, []) if v.count > 0]
        known_values = {v.value for v in known}
        for value in filters.get(key, ()):
            if value in known_values:
                continue
            sentence = f"{FACET_LABELS[key]} {quoted(value)} finns inte i kunskapsbanken."
            closest = _closest(key, value, known, label_of)
            if closest:
                sentence += f" Menade du {quoted(closest)}?"
            sentences.append(sentence)
    return " ".join(sentences) or None


async def filters_notice(searcher: Searcher, filters: Mapping[str, Sequence[str]], facets: Mapping[str, list[FacetValue]],
                         label_of: LabelOf) -> str | None:
    """The unknown-filter notice for a search's answer; the index-wide counts are read only when a value may be unknown."""
    if not filters or not may_be_unknown(filters, facets):
        return None
    overview = await searcher.guarded(searcher.backend.facet_overview)
    return unknown_filters_notice(filters, overview, label_of)
