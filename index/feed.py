"""Watched searches ("Bevaka sökningen"): documents that match the query well, newest by when kb first saw or last changed them.

A search page may list everything that shares one word with the query; a feed a person keeps may not. Every
content word of the query must match (all but one when there are four or more), where a word matches through
its derived forms and compound parts too, or through a synonym of it or of a run of words it is in ("hedersvåld"
for "hedersrelaterat våld"; "hedersvåld skolan" still needs "skolan"). Words typed as alternatives
("kvinnojour OR tjejjour", "kvinnojour/tjejjour") count as one word that either matches. Exclusions and facet
filters apply as in the search.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from index.parsing import Clause, ParsedQuery
from index.postings import mask_from_bits
from index.query import (
    SYNONYM_WEIGHT,
    analyze,
    clause_query,
    content_clauses,
    decompound_queries,
    indexed,
    synonym_query,
    typed_clause_query,
    word_expansions,
)
from index.ranking import groups, match

if TYPE_CHECKING:
    from index.generation import Generation
    from kb.searchmodel import SearchRequest

ALL_BUT_ONE_FROM = 4  # a query with this many content words needs all but one of them


def _word_query(gen: Generation, reader: Any, words: tuple[str, ...], phrase: bool) -> wq.Query | None:
    """One typed word (or phrase) with everything that stands for it: derived forms; for a compound no text has, all
    its parts (a compound the texts have is that word: "socialtjänstlagen" listed 51 pages, 43 of them on "socialtjänst"
    through two of its three parts)."""
    subs = [q for q in [typed_clause_query(gen.schema, reader, Clause(words, phrase))] if q is not None]
    if not phrase and len(words) == 1:
        stems = analyze(gen.schema, "body", words[0])
        if not (len(stems) == 1 and indexed(gen.schema, gen.postings, stems[0][0])):
            subs += decompound_queries(gen.schema, words[0], pairs=False)  # every part; not each adjacent pair
        subs += word_expansions(gen.schema, reader, words[0])
    return (subs[0] if len(subs) == 1 else wq.Or(subs)) if subs else None


def requirements(parsed: ParsedQuery) -> list[list[Clause]]:
    """The query's content clauses, alternatives ("a OR b", "a/b") grouped: a watched search needs one of each group."""
    content = content_clauses(parsed) if parsed.positive else []
    grouped: list[list[Clause]] = []
    for c in parsed.positive:
        if c.either and grouped:
            grouped[-1].append(c)
        else:
            grouped.append([c])
    return [kept for g in grouped if (kept := [c for c in g if c in content])]


def strict_match(gen: Generation, parsed: ParsedQuery) -> tuple[np.ndarray, np.ndarray]:
    """(matched, score) of the documents matching the query well (see the module docstring)."""
    reader = gen.searcher.reader()
    needed = requirements(parsed)
    score = np.zeros(gen.size, dtype=np.float64)
    if not needed:
        mask = gen.live_mask.copy()
    else:
        # per required group: which documents satisfy it, or None when no word of it searches anything
        # ("med", "om", "till" have no query and cannot be required)
        either: list[np.ndarray | None] = []
        for group in needed:
            found = [match(gen, q) for c in group if (q := _word_query(gen, reader, c.words, c.phrase)) is not None]
            either.append(_any(found, score) if found else None)
        # a synonym stands for the words it matched ("hedersvåld" for "hedersrelaterat" and "våld"), not the query;
        # the words of a multi-word synonym count as one ("mäns våld mot kvinnor Örebro" needs MVK and Örebro)
        group_of = {id(c): g for g, group in enumerate(needed) for c in group}
        word_group = [group_of.get(id(c)) for c in parsed.positive for _w in c.words]
        unit = list(range(len(needed)))  # union-find over groups: those one synonym run covers are one unit
        joined: dict[int, np.ndarray] = {}  # a run's synonym matches, by the first group it covers
        for run, others in gen.synonyms.runs(gen.schema, parsed, reader=gen.postings):
            m = _any([match(gen, synonym_query(gen.schema, tuple(member.split()), SYNONYM_WEIGHT)) for member in others],
                     score)
            covered = sorted({g for k in run if (g := word_group[k]) is not None})
            if len(covered) == 1:
                g = covered[0]
                either[g] = m if either[g] is None else either[g] | m
            elif covered:
                for g in covered[1:]:
                    unit[_root(unit, g)] = _root(unit, covered[0])
                joined[covered[0]] = joined.get(covered[0], np.zeros(gen.size, dtype=bool)) | m
        counted = _units(either, unit, joined)
        hits = np.zeros(gen.size, dtype=np.int32)
        for m in counted:
            hits += m
        need = len(counted) - 1 if len(counted) >= ALL_BUT_ONE_FROM else len(counted)
        mask = hits >= need if counted else np.zeros(gen.size, dtype=bool)  # only common words: as the search, nothing
    for c in parsed.negative:
        m, _ = match(gen, clause_query(gen.schema, c.words, c.phrase))
        mask &= ~m
    score[~mask] = 0.0
    return mask, score


def _any(found: list[tuple[np.ndarray, np.ndarray]], score: np.ndarray) -> np.ndarray:
    """The documents any of ``found`` (mask, score) matches; their scores are added to ``score``."""
    for _m, s in found:
        score += s
    hit: np.ndarray = np.logical_or.reduce([m for m, _s in found])
    return hit


def _root(unit: list[int], g: int) -> int:
    while unit[g] != g:
        g = unit[g]
    return g


def _units(either: list[np.ndarray | None], unit: list[int], joined: dict[int, np.ndarray]) -> list[np.ndarray]:
    """What satisfies each required unit: every group of it by its words, or a synonym of the run that joined them."""
    words: dict[int, np.ndarray] = {}
    for g, m in enumerate(either):
        if m is not None:
            r = _root(unit, g)
            words[r] = words[r] & m if r in words else m
    synonyms: dict[int, np.ndarray] = {}
    for g, m in joined.items():
        r = _root(unit, g)
        synonyms[r] = synonyms[r] | m if r in synonyms else m
    return [np.logical_or.reduce([d[r] for d in (words, synonyms) if r in d]) for r in dict.fromkeys([*words, *synonyms])]


def feed_docs(gen: Generation, parsed: ParsedQuery, request: SearchRequest, limit: int) -> list[tuple[float, int]]:
    """(score, docnum) of the newest ``limit`` documents a watched search lists (one per duplicate group)."""
    mask, score = strict_match(gen, parsed)
    matched, best = groups(gen, mask, score)
    final = gen.table.apply(matched, gen.table.allowed(request.filters))
    cand = np.nonzero(mask_from_bits(final, gen.size))[0]
    if not len(cand):
        return []
    order = np.lexsort((cand, -best[cand], -gen.changed_ord[cand]))
    top = cand[order]
    # day ordinals first; documents of the last day shown are ordered by their exact times below
    cut = gen.changed_ord[top[min(limit, len(top)) - 1]]
    chosen = [int(d) for d in top if gen.changed_ord[d] >= cut]
    times = {d: entry_times(gen, d) for d in chosen}
    chosen.sort(key=lambda d: (times[d][1], float(best[d])), reverse=True)
    return [(float(best[d]), d) for d in chosen[:limit]]


def entry_times(gen: Generation, docnum: int) -> tuple[str, str]:
    """(first seen, last changed) of a document as ISO times; last changed is first seen for an older index."""
    stored = gen.searcher.stored_fields(docnum)
    first, last = _iso(stored.get("first_seen")), _iso(stored.get("last_changed"))
    return first, max(first, last or first)


def _iso(value: object) -> str:
    """A stored time (naive UTC, as the index keeps it) as an ISO string with its offset; "" when absent."""
    if not isinstance(value, datetime):
        return ""
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
