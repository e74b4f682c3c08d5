"""Odd searches answered in words: no searchable word, and filter values the index does not have (with a did-you-mean)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kb.backend import LabelOf, unknown_filters_notice
from kb.searchmodel import NO_WORDS as NO_WORDS  # shared with kb search
from kb.searchmodel import FacetValue
from kb.searchmodel import no_words_notice as no_words_notice
from web.caching import Searcher


def may_be_unknown(filters: Mapping[str, Sequence[str]], facets: Mapping[str, list[FacetValue]]) -> bool:
    """True when a chosen value is missing from the answer's facet counts (cheap test before the index-wide one)."""
    return any(value not in {v.value for v in facets.get(key, []) if v.count > 0}
               for key, values in filters.items() for value in values)


async def filters_notice(searcher: Searcher, filters: Mapping[str, Sequence[str]], facets: Mapping[str, list[FacetValue]],
                         label_of: LabelOf) -> str | None:
    """The unknown-filter notice for a search's answer; the index-wide counts are read only when a value may be unknown."""
    if not filters or not may_be_unknown(filters, facets):
        return None
    overview = await searcher.guarded(searcher.backend.facet_overview)
    return unknown_filters_notice(filters, overview, label_of)
