"""The search service: a thin ``SearchBackend`` over the published generation (pages, start page, suggest).

No response cache here: the web app keeps the one cache of a worker (``web.caching``); the CLI searches once."""

from __future__ import annotations

import copy
import dataclasses
import logging
from typing import TYPE_CHECKING

import numpy as np

from index import semantic, thesaurus
from index.affixes import load_forms_cached
from index.feed import entry_times, feed_docs
from index.generation import Generation
from index.highlight import term_pattern
from index.hits import make_hit
from index.parsing import clean_text, parse
from index.query import analyze
from index.ranking import rank
from index.reloader import GenerationHolder
from index.spelling import corrections_for
from index.storage import limit_malloc_arenas
from index.suggest import SortedWords, cached_suggestions, load_vocabulary, taxonomy_terms
from index.thesaurus import load_thesaurus
from index.wordcache import load_lexicon_cached
from kb.backend import SearchBackend, canonical_filters
from kb.searchmodel import (
    MAX_SUGGEST_CHARS,
    MAX_SUGGESTIONS,
    NOTICE_ERROR,
    NOTICE_FUZZY,
    NOTICE_UNAVAILABLE,
    FacetValue,
    FeedItem,
    Hit,
    SearchRequest,
    SearchResponse,
    ascii_syntax,
)
from kb.settings import Settings
from kb.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from kb.backend import BackendFactory

__all__ = ["NOTICE_ERROR", "NOTICE_FUZZY", "NOTICE_UNAVAILABLE", "SearchService", "open_backend"]

log = logging.getLogger(__name__)

MAX_FEED_ENTRIES = 100  # entries one feed() lists at most
RECENT_MAX = 100  # recent() answers at most this many; the order is computed once per generation


class SearchService(GenerationHolder):
    """Thread-safe search over the published index; reopens only when ``current`` points elsewhere."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy | None = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy or load_taxonomy()
        limit_malloc_arenas()  # before the server's thread pool starts allocating
        semantic.for_serving()  # one engine thread: a build or another worker beside it cannot stall a question
        load_lexicon_cached(settings.data_dir / "cache")  # the analyzers' word lists, from data/cache/ (~0.05 s, not ~0.35 s)
        load_forms_cached(settings.data_dir / "cache")  # hunspell-sv's inflected forms for spelling (~0.01 s, not ~2 s)
        super().__init__(settings.index_root, self.taxonomy, settings.semantic)
        self._vocab: SortedWords | None = None
        self._terms = taxonomy_terms(self.taxonomy)
        self.reload()
        # once per process, not in a user's first search; stemmed once into data/cache/ (~1 s), then read (~10 ms)
        load_thesaurus(thesaurus.THESAURUS_PATH, settings.data_dir / "cache")

    # -- search -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        """Run a search; never raises on user input (errors become an empty response with a notice). Not cached."""
        with self._using() as gen:
            if gen is None:
                return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page,
                                      per_page=request.per_page, results=[], facets={}, sort=request.sort,
                                      notice=NOTICE_UNAVAILABLE)
            try:
                with gen.lock:
                    response = self._search(gen, request)
            except Exception:
                log.exception("search failed for %r", request)
                return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page,
                                      per_page=request.per_page, results=[], facets={}, sort=request.sort,
                                      notice=NOTICE_ERROR, generation=gen.name)
        return response

    def _canonical(self, gen: Generation, request: SearchRequest) -> SearchRequest:
        """``request`` with its filter values as the index has them ("format=PDF", "malgrupp=Skola", a county's name)."""
        if not request.filters:
            return request
        filters = canonical_filters(request.filters, self._overview(gen), self.taxonomy.label)
        return request if filters == request.filters else dataclasses.replace(request, filters=filters)

    def _search(self, gen: Generation, request: SearchRequest) -> SearchResponse:
        request = self._canonical(gen, request)
        parsed = parse(request.q)
        ranked = rank(gen, parsed, request, self.taxonomy)
        start = (request.page - 1) * request.per_page
        shown = ranked.docs[start:start + request.per_page]
        pattern = term_pattern(ranked.stems)
        results = [make_hit(gen, docnum, score, pattern) for score, docnum in shown]
        return SearchResponse(
            query=parsed.text, total=ranked.total, page=request.page, per_page=request.per_page, results=results,
            facets=ranked.facets, suggestion=ranked.suggestion, generation=gen.name, sort=request.sort,
            notice=ranked.notice,
        )

    # -- watched searches -------------------------------------------------------
    def feed(self, request: SearchRequest, limit: int = 30) -> list[FeedItem]:
        """Documents matching the query well, newest by when kb first saw or last changed them (``index.feed``)."""
        limit = max(1, min(int(limit), MAX_FEED_ENTRIES))
        with self._using() as gen:
            if gen is None:
                return []
            try:
                with gen.lock:
                    parsed = parse(request.q)
                    docs = feed_docs(gen, parsed, self._canonical(gen, request), limit)
                    suggestion = corrections_for(gen, parsed)[1] if not docs and parsed.positive else None
                    if suggestion:  # as the search shows hits for "skyddat bonde", its feed lists "skyddat boende"
                        parsed = parse(suggestion)
                        docs = feed_docs(gen, parsed, self._canonical(gen, request), limit)
                    pattern = term_pattern([t for w in parsed.words for t, _ in analyze(gen.schema, "body", w)])
                    return [FeedItem(make_hit(gen, d, score, pattern), *entry_times(gen, d)) for score, d in docs]
            except Exception:
                log.exception("feed failed for %r", request)
                return []

    # -- start page -------------------------------------------------------------
    def recent(self, limit: int = 10) -> list[Hit]:
        """Newest documents by first_seen (one per duplicate group); computed once per generation."""
        limit = max(1, min(int(limit), RECENT_MAX))
        with self._using() as gen:
            if gen is None:
                return []
            with gen.lock:
                hits = gen.recent_hits.get(limit)
                if hits is None:
                    if gen.recent_order is None:
                        cand = np.nonzero(gen.reps_mask)[0]
                        order = np.lexsort((cand, -gen.first_seen_ord[cand]))[:RECENT_MAX]
                        gen.recent_order = [int(d) for d in cand[order]]
                    hits = gen.recent_hits[limit] = [make_hit(gen, d, 0.0, None) for d in gen.recent_order[:limit]]
                return copy.deepcopy(hits)

    def facet_overview(self) -> dict[str, list[FacetValue]]:
        """Facet counts over every document (start page entry points); computed once per generation."""
        with self._using() as gen:
            if gen is None:
                return {}
            with gen.lock:
                return copy.deepcopy(self._overview(gen))

    def _overview(self, gen: Generation) -> dict[str, list[FacetValue]]:
        """Facet counts over every document of ``gen``, counted once (the caller holds ``gen.lock``)."""
        if gen.overview is None:
            gen.overview = gen.table.counts(gen.table.reps, {}, {}, self.taxonomy)
        return gen.overview

    # -- autocomplete -------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of the last word (or a taxonomy phrase) that occur in the index, most documents first."""
        text, _ = clean_text(prefix, MAX_SUGGEST_CHARS)
        text = ascii_syntax(text)  # ”skyddat b: as the search reads it; lower case but for operators (with_syntax)
        if text and isinstance(prefix, str) and prefix[-1:].isspace():
            text += " "  # the last word is whole: "hur anmäler man " continues as a phrase, never "… mannen"
        limit = max(1, min(int(limit), MAX_SUGGESTIONS))
        if len(text.replace(" ", "")) < 2:
            return []
        with self._using() as gen:
            if gen is None or "body" not in gen.schema:
                return []
            return cached_suggestions(gen, text, self._word_list, self._terms)[:limit]

    def _word_list(self) -> SortedWords:
        """The word list for generations built before phrases were counted (loaded once per service)."""
        if self._vocab is None:
            self._vocab = load_vocabulary(self.taxonomy)
        return self._vocab


def open_backend(settings: Settings) -> SearchBackend:
    """The search backend for ``settings`` (a ``kb.backend.BackendFactory``: the CLI hands it to the web app)."""
    return SearchService(settings)


if TYPE_CHECKING:
    _factory: BackendFactory = open_backend  # mypy checks SearchService against the SearchBackend protocol
    _backend: type[SearchBackend] = SearchService
