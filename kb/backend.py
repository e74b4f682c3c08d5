"""The search-engine contract the web app and the CLI rely on: ``SearchBackend``, its factory type, and how filter
values the index does not have are named (with a did-you-mean from the index-wide facet counts)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from kb.searchmodel import FACET_KEYS, FACET_LABELS, FacetValue, FeedItem, Hit, SearchRequest, SearchResponse
from kb.settings import Settings


@runtime_checkable
class SearchBackend(Protocol):
    """Search over the published index generation.

    Thread-safe: the web app calls the blocking methods from worker threads. The properties are lock-free
    snapshots that may be read on an event loop. No method raises on what a user typed: a failed search is
    an empty ``SearchResponse`` with a notice (``kb.searchmodel.NOTICE_ERROR``). The web app keeps the one
    response cache of a worker and opens its backend with ``cache_size=0``."""

    @property
    def available(self) -> bool:
        """True while a published generation is open."""
        ...

    @property
    def generation(self) -> str:
        """Name of the open generation ("" when none): part of every cache key and ETag."""
        ...

    @property
    def doc_count(self) -> int:
        """Documents in the open generation (0 when none)."""
        ...

    @property
    def ranks_by_meaning(self) -> bool:
        """True when whole questions are re-ranked by meaning (the open generation has vectors, KB_SEMANTIC on)."""
        ...

    @property
    def built_at(self) -> str:
        """ISO time the open generation was built ("" when unknown)."""
        ...

    def search(self, request: SearchRequest) -> SearchResponse:
        """One page of hits with facet counts for ``request``."""
        ...

    def feed(self, request: SearchRequest, limit: int = 30) -> list[FeedItem]:
        """What a watched search announces: documents matching the query well (every word, all but one of four or
        more; a synonym of the whole query counts), newest first by when kb first saw or last changed them."""
        ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions for what is being typed, best first."""
        ...

    def recent(self, limit: int = 10) -> list[Hit]:
        """The newest documents, newest first."""
        ...

    def facet_overview(self) -> dict[str, list[FacetValue]]:
        """Counts per facet value over the whole index, keyed by ``kb.searchmodel.FACET_KEYS``."""
        ...

    def start_watching(self) -> None:
        """Open newly published generations in the background from now on, so no request waits for one (idempotent)."""
        ...

    def close(self) -> None:
        """Stop watching and release the open generation."""
        ...


BackendFactory = Callable[[Settings], SearchBackend]
"""Builds a backend from settings; module-level (picklable by reference) so a web worker process can call it."""

LabelOf = Callable[[str, str], str]
"""The Swedish label of a facet value (``kb.taxonomy.Taxonomy.label``)."""


def _quoted(text: str) -> str:
    return f"\u201d{text}\u201d"


def _closest(key: str, value: str, known: list[FacetValue], label_of: LabelOf) -> tuple[str, str] | None:
    """(value, label) of the known value closest to ``value`` (by value or by label), when one is close enough."""
    names: dict[str, tuple[str, str]] = {}
    for option in known:
        label = option.label or label_of(key, option.value)
        names.setdefault(option.value.casefold(), (option.value, label))
        names.setdefault(label.casefold(), (option.value, label))
    match = difflib.get_close_matches(value.casefold(), list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None


def same_value(key: str, value: str, known: list[FacetValue], label_of: LabelOf) -> str | None:
    """The known value ``value`` names in another case or by its label ("PDF" for pdf, "Skola" for skola), else None."""
    folded = value.casefold()
    for option in known:
        if folded in (option.value.casefold(), (option.label or label_of(key, option.value)).casefold()):
            return option.value
    return None


def canonical_filters(filters: Mapping[str, Sequence[str]], overview: Mapping[str, list[FacetValue]],
                      label_of: LabelOf) -> dict[str, list[str]]:
    """``filters`` with each value the index does not have as typed, but in another case or by its label, as the
    index has it: "format=PDF" found nothing and was told 'Menade du ”PDF”?'."""
    out: dict[str, list[str]] = {}
    for key, values in filters.items():
        known = [v for v in overview.get(key, []) if v.count > 0]
        exact = {v.value for v in known}
        out[key] = [v if v in exact else (same_value(key, v, known, label_of) or v) for v in values]
    return out


def unknown_filters_notice(filters: Mapping[str, Sequence[str]], overview: Mapping[str, list[FacetValue]],
                           label_of: LabelOf, show_values: bool = False) -> str | None:
    """One Swedish sentence per chosen filter value that no document in the index has, with a did-you-mean
    (its label; with ``show_values`` also the value to type when that differs, as the CLI needs)."""
    sentences = []
    for key in FACET_KEYS:
        known = [v for v in overview.get(key, []) if v.count > 0]
        known_values = {v.value for v in known}
        for value in filters.get(key, ()):
            if value in known_values or same_value(key, value, known, label_of) is not None:
                continue
            if key == "year" and value.isdigit():  # a year is no misspelling of another year: say which years there are
                years = sorted(int(v) for v in known_values if v.isdigit())
                span = f" Dokumenten är från åren {years[0]}–{years[-1]}." if len(years) > 1 else (
                    f" Dokumenten är från {years[0]}." if years else "")
                sentences.append(f"Det finns inga dokument från år {value} i kunskapsbanken.{span}")
                continue
            sentence = f"{FACET_LABELS[key]} {_quoted(value)} finns inte i kunskapsbanken."
            closest = _closest(key, value, known, label_of)
            if closest:
                known_value, label = closest
                typed = f" ({key}={known_value})" if show_values and known_value != label else ""
                sentence += f" Menade du {_quoted(label)}{typed}?"
            sentences.append(sentence)
    return " ".join(sentences) or None
