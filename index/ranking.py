"""Ranking: match a query over every document, group duplicates, apply filters, and order with boosts."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from index import semantic
from index.loose import absent_compounds, loose_query, part_query
from index.parsing import ParsedQuery, parse
from index.postings import Unsupported, bits_from_mask, mask_from_bits
from index.query import (
    PROXIMITY_SLOP,
    PROXIMITY_WEIGHT,
    analyze,
    build_query,
    clause_query,
    compound_atoms,
    content_clauses,
    expansion_stems,
    indexed,
    proximity_pairs,
)
from index.schema import parse_dscores
from index.spelling import accents_only, corrections_for
from kb.searchmodel import NOTICE_FUZZY, FacetValue, SearchRequest
from kb.taxonomy import Taxonomy
from kb.versions import asks_for_versions

if TYPE_CHECKING:
    from index.generation import Generation

log = logging.getLogger(__name__)

RERANK_DEPTH = 200  # top hits whose score gets freshness/national/sub-area adjustments
FRESHNESS_WEIGHT = 0.10  # at most +10 % for this year's documents, fading to 0 over 10 years
NATIONAL_WEIGHT = 0.05  # +5 % for national agencies' guidance
DELOMRADE_WEIGHT = 0.5  # within a sub-area filter: score × (1 - w + w × sub-area score)
SUPERSEDED_WEIGHT = 0.5  # a version a newer one replaces: score × w, unless the query names a year or identifier
FEW_HITS = 3  # fewer hits than this triggers the fuzzy fallback
LOCAL_ORGANISATION_MARKERS = ("kommun", "region ", "regionen ", "landsting")
NOTICE_PARTS_ONLY = "Ingen text i kunskapsbanken innehåller {words}. Träffarna innehåller delarna av ordet."
NOTICE_ONLY_COMMON_WORDS = ("”{q}” har bara vanliga småord som sökningen inte tar hänsyn till. "
                            "Skriv ett ämnesord, till exempel ”skyddat boende”.")


def is_national(organisation: str) -> bool:
    """True for a national agency (any organisation not marked as a municipality or region)."""
    low = organisation.lower()
    return bool(low) and not any(m in low for m in LOCAL_ORGANISATION_MARKERS)


def freshness(published: date | None, today: date) -> float:
    """1.0 for a document published today, fading linearly to 0 over ten years (0 when undated)."""
    if published is None:
        return 0.0
    years = max(0.0, (today - published).days / 365.25)
    return max(0.0, 1.0 - years / 10.0)



@dataclass
class Ranked:
    """What ranking found for one request, before the page of hits is read."""

    total: int
    docs: list[tuple[float, int]]  # (score, docnum) of every result in final order (page sliced later)
    suggestion: str | None
    notice: str | None
    stems: list[str]
    facets: dict[str, list[FacetValue]]



def match(gen: Generation, q: wq.Query | None) -> tuple[np.ndarray, np.ndarray]:
    """(matched mask, score) over every document: array evaluation, Whoosh's collector as a fallback."""
    if q is None:
        return np.zeros(gen.size, dtype=bool), np.zeros(gen.size, dtype=np.float64)
    try:
        return gen.postings.evaluate(q)
    except Unsupported as exc:
        log.debug("query %s scored by Whoosh (%s)", q, exc)
    mask = np.zeros(gen.size, dtype=bool)
    scores = np.zeros(gen.size, dtype=np.float64)
    for score, d in gen.searcher.search(q, limit=None).top_n:
        mask[d] = True
        scores[d] = score
    return mask, scores

def groups(gen: Generation, mask: np.ndarray, scores: np.ndarray) -> tuple[int, np.ndarray]:
    """Matched duplicate groups as a bitset of representatives, and each group's best score."""
    grouped = mask.copy()
    best = scores.copy()
    if len(gen.dup_ids):
        hit = mask[gen.dup_ids]
        if hit.any():
            grouped[gen.dup_reps[hit]] = True
            np.maximum.at(best, gen.dup_reps[hit], scores[gen.dup_ids[hit]])
    grouped &= gen.reps_mask
    return bits_from_mask(grouped), best

def rank(gen: Generation, parsed: ParsedQuery, request: SearchRequest, taxonomy: Taxonomy) -> Ranked:
    """Every result of ``request`` in final order, with facet counts, spelling suggestion and notices.

    Exact matches first; when they are fewer than FEW_HITS and a word looks misspelt, the corrected query
    is used instead if it finds more."""
    table = gen.table
    schema = gen.schema
    notices = [parsed.notice] if parsed.notice else []
    reader = gen.postings  # the searcher's reader, document frequencies cached
    corrections, suggestion = corrections_for(gen, parsed) if parsed.positive else ({}, None)
    if suggestion is not None and accents_only(parsed.text, suggestion):
        # "valdsforebyggande", "garningsperson": the index's word with its å/ä/ö, searched as that word (compound
        # parts, synonyms and all), as restore_accents does for the lexicon's; "Menade du" still shows it
        parsed, corrections = replace(parse(suggestion), notice=parsed.notice), {}
    q = build_query(schema, parsed, gen.synonyms, reader=reader, proximity=False)
    synonyms = gen.synonyms.expansions(schema, parsed, reader=reader)
    if q is None and parsed.positive:  # "och det är", "hur": nothing the analyzer keeps, so no spelling hint either
        notices.append(NOTICE_ONLY_COMMON_WORDS.format(q=parsed.text))
    mask, scores = match(gen, q)
    allowed = table.allowed(request.filters)
    fuzzy = _fuzzy(gen, parsed, mask, scores, allowed, corrections) if corrections else None
    if fuzzy is not None:
        matched, best, final = fuzzy
        notices.append(NOTICE_FUZZY)
    else:
        # Loose matches — a compound's parts alone, general synonyms from the thesaurus — re-rank what the query
        # found ("barnahus" is no page about "barn", "hot" none about "fara"); they find pages only when nothing
        # else does. Only once no spelling correction replaced the query.
        none = not mask.any()
        for lq in (part_query(schema, parsed, reader), loose_query(schema, parsed, reader)):
            if lq is not None:
                l_mask, l_scores = match(gen, lq)
                mask, scores = (mask | l_mask, scores + l_scores) if none else (mask, scores + l_scores * mask)
        matched, best = groups(gen, mask, scores)
        final = table.apply(matched, allowed)
        # only when the parts are all that was searched: not for a word corrected, nor a query a synonym widened
        plain = final and not corrections and not synonyms
        # nor for a word whose derived or other verb forms were found ("polisanmälde": polisanmält, polisanmälan)
        absent = [w for w, apart in (absent_compounds(schema, parsed, reader) if plain else [])
                  if (apart is None or not match(gen, clause_query(schema, apart, True))[0].any())
                  and not expansion_stems(schema, reader, w)]
        if absent:
            notices.append(NOTICE_PARTS_ONLY.format(words=" eller ".join(f"”{w}”" for w in absent)))
    facets = table.counts(matched, request.filters, allowed, taxonomy)
    need = request.page * request.per_page
    browse = q is None or isinstance(q, wq.Every)
    docs = top_results(gen, best, mask_from_bits(final, gen.size), request, browse, need,
                       [] if browse else proximity_pairs(schema, parsed))
    stems = [t for w in list(parsed.words) + list(corrections.values()) + synonyms
             for t, _ in analyze(schema, "body", w)] if "body" in schema else []
    stems += [t for c in content_clauses(parsed) if not c.phrase and len(c.words) == 1
              for t in _also_marked(schema, reader, c.words[0])]
    return Ranked(total=final.bit_count(), docs=docs, suggestion=suggestion,
                   notice=" ".join(notices) or None, stems=stems, facets=facets)

def _also_marked(schema: wq.Schema, reader: Any, word: str) -> list[str]:
    """Stems a snippet marks for a typed word besides its own: derived and verb forms, two words typed together, and a
    compound's parts when no text has it ("slår" → slagit, "psykisktvåld", "skyddatboende" → skyddat, boende)."""
    own = analyze(schema, "body", word)
    parts = compound_atoms(word) if own and not indexed(schema, reader, own[0][0]) else []
    return expansion_stems(schema, reader, word) + parts


def _fuzzy(gen: Generation, parsed: ParsedQuery, mask: np.ndarray, scores: np.ndarray, allowed: dict[str, int],
           corrections: dict[str, str]) -> tuple[int, np.ndarray, int] | None:
    """(matched, best, final) of the corrected query, when the typed one finds fewer than FEW_HITS and it finds more."""
    matched, _best = groups(gen, mask, scores)
    count = gen.table.apply(matched, allowed).bit_count()
    if count >= FEW_HITS:
        return None
    fuzzy_q = build_query(gen.schema, parsed, gen.synonyms, extra_terms=list(corrections.values()),
                          reader=gen.postings, proximity=False)
    f_mask, f_scores = match(gen, fuzzy_q)
    fuzzy_matched, fuzzy_best = groups(gen, f_mask, f_scores)
    fuzzy_final = gen.table.apply(fuzzy_matched, allowed)
    return (fuzzy_matched, fuzzy_best, fuzzy_final) if fuzzy_final.bit_count() > count else None


def top_results(gen: Generation, scores: np.ndarray, final: np.ndarray, request: SearchRequest, browse: bool,
           need: int, pairs: list[tuple[str, str]]) -> list[tuple[float, int]]:
    """The first ``need`` results (representatives only): by adjusted score, by date, or newest first."""
    cand = np.nonzero(final)[0]
    if not len(cand):
        return []
    s = scores[cand]
    if request.sort == "nyast":
        # Undated last; within a date, the better match first.
        order = np.lexsort((cand, -s, -gen.published_ord[cand], ~gen.has_published[cand]))[:need]
        return [(float(scores[d]), int(d)) for d in cand[order]]
    if browse:
        order = np.lexsort((cand, -gen.first_seen_ord[cand]))[:need]
        return [(float(scores[d]), int(d)) for d in cand[order]]
    k = max(RERANK_DEPTH, need)
    if len(cand) > k:
        part = np.argpartition(-s, k - 1)[:k]
        cand, s = cand[part], s[part]
    top = cand[np.lexsort((cand, -s))]
    head = [int(d) for d in top[:RERANK_DEPTH]]
    bonus = proximity_bonus(gen, head, pairs)
    table = gen.table
    today = date.today()
    delomraden = request.filters.get("delomrade", [])
    demote = not asks_for_versions(request.q)  # "SOSFS 2014:4", "handbok 2019": the old version is what is asked for
    adjusted: list[tuple[float, int]] = []
    for d in head:
        factor = 1.0 + FRESHNESS_WEIGHT * freshness(table.published_date(d), today)
        if gen.national[d]:
            factor += NATIONAL_WEIGHT
        if demote and gen.superseded[d]:
            factor *= SUPERSEDED_WEIGHT
        if delomraden:
            sub = sub_area_scores(gen, d)
            best = max((float(sub.get(slug, 0.0)) for slug in delomraden), default=0.0)
            factor *= 1.0 - DELOMRADE_WEIGHT + DELOMRADE_WEIGHT * min(1.0, max(0.0, best))
        adjusted.append(((float(scores[d]) + bonus.get(d, 0.0)) * factor, d))
    adjusted.sort(key=lambda sd: (-sd[0], sd[1]))
    if gen.vectors is not None and semantic.is_question(request.q):
        vector = semantic.query_vector(semantic.question_text(request.q))
        if vector is not None:
            adjusted = semantic.rerank(gen.vectors, vector, adjusted)
    return adjusted + [(float(scores[d]), int(d)) for d in top[RERANK_DEPTH:need]]

def sub_area_scores(gen: Generation, d: int) -> dict[str, float]:
    """A document's sub-area scores: from the dscores column, else from its stored fields."""
    if gen.dscores is not None:
        return parse_dscores(gen.dscores[d])
    stored = gen.searcher.stored_fields(d).get("delomrade_scores") or {}
    return {str(k): float(v) for k, v in stored.items()}

def proximity_bonus(gen: Generation, head: list[int], pairs: list[tuple[str, str]]) -> dict[int, float]:
    """Whoosh's proximity-phrase score (words 1..slop apart, in order) for the top hits only."""
    bonus: dict[int, float] = {}
    if not pairs or not head:
        return bonus
    postings = gen.postings
    head_arr = np.asarray(sorted(head), dtype=np.int64)
    for a, b in pairs:
        da, sa = postings.term("body", a)
        db, sb = postings.term("body", b)
        both = head_arr[np.isin(head_arr, da) & np.isin(head_arr, db)]
        if not len(both):
            continue
        docs = [int(d) for d in both]
        pa = postings.positions("body", a, docs)
        pb = postings.positions("body", b, docs)
        for d in docs:
            if d in pa and d in pb and near(pa[d], pb[d], PROXIMITY_SLOP):
                score = sa[np.searchsorted(da, d)] + sb[np.searchsorted(db, d)]
                bonus[d] = bonus.get(d, 0.0) + PROXIMITY_WEIGHT * float(score)
    return bonus


def near(first: list[int], second: list[int], slop: int) -> bool:
    """Whoosh's ordered SpanNear: some position of the second word 1..slop after one of the first."""
    later = sorted(second)
    for p in first:
        i = bisect.bisect_right(later, p)
        if i < len(later) and later[i] - p <= slop:
            return True
    return False

