"""The search service: one reused Whoosh searcher per process, safe queries, ranking, facets, snippets, cache."""

from __future__ import annotations

import bisect
import copy
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq

from index.facets import BitView, FacetTable, bits_from_docnums
from index.highlight import snippet, term_pattern
from index.query import SynonymTable, analyze, build_query, clean_text, parse
from kb.searchmodel import FacetValue, Hit, SearchRequest, SearchResponse
from kb.settings import Settings
from kb.taxonomy import Taxonomy, load_taxonomy

__all__ = ["SearchService", "SearchRequest", "SearchResponse", "Hit", "FacetValue"]

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 1.0
RERANK_DEPTH = 200  # top hits whose score gets freshness/national/sub-area adjustments
FRESHNESS_WEIGHT = 0.10  # at most +10 % for this year's documents, fading to 0 over 10 years
NATIONAL_WEIGHT = 0.05  # +5 % for national agencies' guidance
DELOMRADE_WEIGHT = 0.5  # within a sub-area filter: score × (1 - w + w × sub-area score)
FEW_HITS = 3  # fewer hits than this triggers the fuzzy fallback
LOCAL_ORGANISATION_MARKERS = ("kommun", "region ", "regionen ", "landsting")

NOTICE_UNAVAILABLE = "Sökindexet är inte byggt ännu. Försök igen senare."
NOTICE_FUZZY = "Inga exakta träffar – visar träffar med liknande stavning."
NOTICE_ERROR = "Sökningen kunde inte genomföras. Försök med andra ord."


def _resolve_current(index_root: Path) -> Path | None:
    link = Path(index_root) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (Path(index_root) / target).resolve()
    return path if path.is_dir() else None


def _is_national(organisation: str) -> bool:
    low = organisation.lower()
    return bool(low) and not any(m in low for m in LOCAL_ORGANISATION_MARKERS)


def _freshness(published: date | None, today: date) -> float:
    if published is None:
        return 0.0
    years = max(0.0, (today - published).days / 365.25)
    return max(0.0, 1.0 - years / 10.0)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v)]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else None


class _Generation:
    """One opened index generation: searcher, facet table, synonyms, spelling vocabulary."""

    def __init__(self, path: Path, taxonomy: Taxonomy) -> None:
        self.path = path
        self.ix = windex.open_dir(str(path))
        self.searcher = self.ix.searcher()
        self.schema = self.ix.schema
        try:
            self.meta = json.loads((path / "generation.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.meta = {}
        self.name = str(self.meta.get("generation") or path.name)
        started = time.perf_counter()
        self.table = FacetTable.build(self.searcher.reader())
        self.synonyms = SynonymTable.build(taxonomy.synonym_groups(), self.schema)
        self.doc_count = self.table.reps.bit_count()
        self.overview: dict[str, list[FacetValue]] | None = None
        log.info("opened index %s (%d documents) in %.0f ms", self.name, self.doc_count,
                 (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        try:
            self.searcher.close()
        finally:
            self.ix.close()


@dataclass
class _Ranked:
    total: int
    docs: list[tuple[float, int]]  # (score, docnum) of every result in final order (page sliced later)
    suggestion: str | None
    notice: str | None
    stems: list[str]
    facets: dict[str, list[FacetValue]]


class SearchService:
    """Thread-safe search over the published index; reopens only when ``current`` points elsewhere."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy | None = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy or load_taxonomy()
        self._lock = threading.RLock()  # Whoosh readers share file handles: one search at a time
        self._cache: OrderedDict[tuple[Any, ...], SearchResponse] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._gen: _Generation | None = None
        self._target: Path | None = None
        self._checked = 0.0
        self._vocab: list[str] | None = None
        self._closed = False
        self._check(force=True)

    # -- generation handling ----------------------------------------------
    def _check(self, force: bool = False) -> _Generation | None:
        now = time.monotonic()
        if not force and now - self._checked < RELOAD_CHECK_SECONDS:
            return self._gen
        with self._lock:
            if not force and now - self._checked < RELOAD_CHECK_SECONDS:
                return self._gen
            self._checked = now
            target = _resolve_current(self.settings.index_root)
            if target == self._target and (self._gen is not None or target is None):
                return self._gen
            old = self._gen
            new: _Generation | None = None
            if target is not None:
                try:
                    new = _Generation(target, self.taxonomy)
                except Exception:
                    log.exception("cannot open index generation %s; keeping the previous one", target)
                    return old
            self._gen, self._target = new, target
            if old is not None:
                old.close()
            with self._cache_lock:
                self._cache.clear()
            return new

    @property
    def available(self) -> bool:
        return self._check() is not None

    @property
    def generation(self) -> str:
        gen = self._check()
        return gen.name if gen else ""

    @property
    def doc_count(self) -> int:
        gen = self._check()
        return gen.doc_count if gen else 0

    def close(self) -> None:
        with self._lock:
            if self._gen is not None:
                self._gen.close()
            self._gen = None
            self._target = None
            self._closed = True
            self._checked = float("inf")

    # -- search -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        """Run a search; never raises on user input (errors become an empty response with a notice)."""
        gen = self._check()
        if gen is None:
            return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page, per_page=request.per_page,
                                  results=[], facets={}, sort=request.sort, notice=NOTICE_UNAVAILABLE)
        key = (gen.name, request.q, tuple(sorted((k, tuple(v)) for k, v in request.filters.items())),
               request.page, request.per_page, request.sort)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return copy.deepcopy(cached)
        try:
            with self._lock:
                gen = self._gen
                if gen is None:
                    return self.search(request)
                response = self._search(gen, request)
        except Exception:
            log.exception("search failed for %r", request)
            return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page, per_page=request.per_page,
                                  results=[], facets={}, sort=request.sort, notice=NOTICE_ERROR,
                                  generation=gen.name)
        if self.settings.cache_size > 0:
            with self._cache_lock:
                self._cache[key] = copy.deepcopy(response)
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)
        return response

    def _search(self, gen: _Generation, request: SearchRequest) -> SearchResponse:
        parsed = parse(request.q)
        ranked = self._rank(gen, parsed, request)
        start = (request.page - 1) * request.per_page
        shown = ranked.docs[start:start + request.per_page]
        pattern = term_pattern(ranked.stems)
        results = [self._hit(gen, docnum, score, pattern) for score, docnum in shown]
        return SearchResponse(
            query=parsed.text, total=ranked.total, page=request.page, per_page=request.per_page, results=results,
            facets=ranked.facets, suggestion=ranked.suggestion, generation=gen.name, sort=request.sort,
            notice=ranked.notice,
        )

    def _matches(self, gen: _Generation, q: wq.Query | None) -> list[tuple[float, int]]:
        if q is None:
            return []
        if isinstance(q, wq.Every):
            return [(0.0, d) for d in gen.searcher.reader().all_doc_ids()]
        results = gen.searcher.search(q, limit=None)
        return list(results.top_n)

    def _rank(self, gen: _Generation, parsed: Any, request: SearchRequest) -> _Ranked:
        table = gen.table
        schema = gen.schema
        notices = [parsed.notice] if parsed.notice else []
        q = build_query(schema, parsed, gen.synonyms, reader=gen.searcher.reader())
        matches = self._matches(gen, q)
        allowed = table.allowed(request.filters)
        rep = table.rep
        matched = bits_from_docnums((rep[d] for _, d in matches), table.size) & table.reps
        final = table.apply(matched, allowed)
        corrections, suggestion = self._spelling(gen, parsed) if parsed.positive else ({}, None)
        if corrections and final.bit_count() < FEW_HITS:
            fuzzy_q = build_query(schema, parsed, gen.synonyms, extra_terms=list(corrections.values()),
                                  reader=gen.searcher.reader())
            fuzzy = self._matches(gen, fuzzy_q)
            fuzzy_matched = bits_from_docnums((rep[d] for _, d in fuzzy), table.size) & table.reps
            fuzzy_final = table.apply(fuzzy_matched, allowed)
            if fuzzy_final.bit_count() > final.bit_count():
                matches, matched, final = fuzzy, fuzzy_matched, fuzzy_final
                notices.append(NOTICE_FUZZY)
        facets = table.counts(matched, request.filters, allowed, self.taxonomy)
        view = BitView(final)
        docs = self._order(gen, matches, view, request, q is None or isinstance(q, wq.Every))
        stems = [t for w in list(parsed.words) + list(corrections.values()) + gen.synonyms.expansions(schema, parsed)
                 for t, _ in analyze(schema, "body", w)] if "body" in schema else []
        return _Ranked(total=final.bit_count(), docs=docs, suggestion=suggestion,
                       notice=" ".join(notices) or None, stems=stems, facets=facets)

    def _order(self, gen: _Generation, matches: list[tuple[float, int]], view: BitView,
               request: SearchRequest, browse: bool) -> list[tuple[float, int]]:
        """Collapse duplicate groups, apply filters, then rank by adjusted score or by date."""
        table = gen.table
        seen: set[int] = set()
        docs: list[tuple[float, int]] = []
        for score, d in matches:
            r = table.rep[d]
            if r in seen or r not in view:
                continue
            seen.add(r)
            docs.append((score, r))  # the group's canonical copy stands for all of it
        if request.sort == "nyast":
            # Undated last; within a date, the better match first.
            docs.sort(key=lambda sd: (table.published[sd[1]] is None,
                                      -(table.published[sd[1]] or date.min).toordinal(), -sd[0]))
            return docs
        if browse:
            docs.sort(key=lambda sd: (-(table.first_seen[sd[1]] or date.min).toordinal(), sd[1]))
            return docs
        today = date.today()
        head = docs[:RERANK_DEPTH]
        delomraden = request.filters.get("delomrade", [])
        adjusted: list[tuple[float, int]] = []
        for score, d in head:
            factor = 1.0 + FRESHNESS_WEIGHT * _freshness(table.published[d], today)
            if _is_national(table.organisation[d]):
                factor += NATIONAL_WEIGHT
            if delomraden:
                scores = gen.searcher.stored_fields(d).get("delomrade_scores") or {}
                best = max((float(scores.get(s, 0.0)) for s in delomraden), default=0.0)
                factor *= 1.0 - DELOMRADE_WEIGHT + DELOMRADE_WEIGHT * min(1.0, max(0.0, best))
            adjusted.append((score * factor, d))
        adjusted.sort(key=lambda sd: (-sd[0], sd[1]))
        return adjusted + docs[RERANK_DEPTH:]

    # -- spelling -------------------------------------------------------------
    def _spelling(self, gen: _Generation, parsed: Any) -> tuple[dict[str, str], str | None]:
        """Corrections for words the index does not know, from its own body/title vocabulary."""
        reader = gen.searcher.reader()
        schema = gen.schema
        if "body" not in schema:
            return {}, None
        corrections: dict[str, str] = {}
        for word in parsed.words:
            if len(word) < 5 or not word.isalpha() or word.isupper():
                continue
            tokens = analyze(schema, "body", word)
            if not tokens:
                continue
            stem = tokens[0][0]
            if reader.doc_frequency("body", stem) or ("title" in schema and reader.doc_frequency("title", stem)):
                continue
            maxdist = 1 if len(word) < 7 else 2
            best: tuple[int, int, str] | None = None
            for dist in range(1, maxdist + 1):
                for cand in reader.terms_within("body", stem, dist, prefix=1):
                    df = reader.doc_frequency("body", cand)
                    if df and (best is None or (-df, cand) < (best[1], best[2])):
                        best = (dist, -df, cand)
                if best is not None:
                    break
            if best is None:
                continue
            cand = best[2]
            low = word.lower()
            surface = cand + low[len(stem):] if low.startswith(stem) else cand
            corrections[word] = surface
        if not corrections:
            return {}, None
        text = " ".join(corrections.get(w, w) for w in parsed.text.split())
        if text == parsed.text:
            text = " ".join(corrections.get(w, w) for w in parsed.words)
        return corrections, text

    # -- hits -----------------------------------------------------------------
    def _hit(self, gen: _Generation, docnum: int, score: float, pattern: Any) -> Hit:
        stored = gen.searcher.stored_fields(docnum)
        duplicates = _as_list(stored.get("duplicates"))
        url = str(stored.get("url", ""))
        for other in gen.table.members.get(gen.table.rep[docnum], []):
            if other != docnum:
                other_url = str(gen.searcher.stored_fields(other).get("url", ""))
                if other_url and other_url != url and other_url not in duplicates:
                    duplicates.append(other_url)
        page_count = stored.get("page_count")
        return Hit(
            url=url,
            title=str(stored.get("title") or url),
            snippet=snippet(str(stored.get("body") or ""), pattern, str(stored.get("description") or "")),
            organisation=str(stored.get("organisation") or ""),
            source=str(stored.get("source") or ""),
            delomraden=_as_list(stored.get("delomrade")),
            doc_type=str(stored.get("doc_type") or ""),
            published=_iso(stored.get("published")),
            score=float(score),
            format=str(stored.get("format") or "html"),
            malgrupp=_as_list(stored.get("malgrupp")),
            size=int(stored.get("size") or 0),
            page_count=int(page_count) if page_count else None,
            explanation=str(stored.get("explanation") or ""),
            delomrade_scores={str(k): float(v) for k, v in (stored.get("delomrade_scores") or {}).items()},
            duplicates=duplicates,
        )

    # -- start page -------------------------------------------------------------
    def recent(self, limit: int = 10) -> list[Hit]:
        """Newest documents by first_seen (one per duplicate group)."""
        gen = self._check()
        if gen is None:
            return []
        limit = max(1, min(int(limit), 100))
        with self._lock:
            table = gen.table
            reps = [d for d in gen.searcher.reader().all_doc_ids() if table.rep[d] == d]
            reps.sort(key=lambda d: (-(table.first_seen[d] or date.min).toordinal(), d))
            return [self._hit(gen, d, 0.0, None) for d in reps[:limit]]

    def facet_overview(self) -> dict[str, list[FacetValue]]:
        """Facet counts over every document (start page entry points)."""
        gen = self._check()
        if gen is None:
            return {}
        with self._lock:
            if gen.overview is None:
                gen.overview = gen.table.counts(gen.table.reps, {}, {}, self.taxonomy)
            return copy.deepcopy(gen.overview)

    # -- autocomplete -------------------------------------------------------------
    def _wordlist(self) -> list[str]:
        if self._vocab is None:
            words: set[str] = set()
            for group in self.taxonomy.synonym_groups():
                words.update(str(m).lower() for m in group)
            for cat in self.taxonomy.delomraden:
                words.add(cat.label.lower())
                words.update(t.lower() for t in cat.terms)
            try:
                with open("/usr/share/dict/swedish", encoding="latin-1") as fh:
                    words.update(w.strip().lower() for w in fh if w.strip().isalpha())
            except OSError:
                log.warning("no Swedish word list for autocomplete")
            self._vocab = sorted(words)
        return self._vocab

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of the last word (or a taxonomy phrase) that occur in the index, most documents first."""
        text, _ = clean_text(prefix, 100)
        text = text.lower()
        limit = max(1, min(int(limit), 20))
        if len(text.replace(" ", "")) < 2:
            return []
        gen = self._check()
        if gen is None or "body" not in gen.schema:
            return []
        head, _, last = text.rpartition(" ")
        vocab = self._wordlist()
        scored: list[tuple[int, str]] = []
        with self._lock:
            reader = gen.searcher.reader()
            for needle, lead in ((text, ""), (last, head + " " if head else "")):
                if len(needle) < 2:
                    continue
                i = bisect.bisect_left(vocab, needle)
                checked = 0
                while i < len(vocab) and vocab[i].startswith(needle) and checked < 300:
                    cand = vocab[i]
                    i += 1
                    checked += 1
                    tokens = analyze(gen.schema, "body", cand)
                    if not tokens:
                        continue
                    df = min(reader.doc_frequency("body", t) for t, _ in tokens)
                    if df:
                        scored.append((df, lead + cand))
        out: list[str] = []
        for _, s in sorted(scored, key=lambda x: (-x[0], len(x[1]), x[1])):
            if s not in out and s != text:
                out.append(s)
            if len(out) >= limit:
                break
        return out
