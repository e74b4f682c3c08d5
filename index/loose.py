"""Loose matches: a typed compound's parts alone and the thesaurus's general synonyms. They re-rank what the
query found and find pages only when nothing else does (``index.ranking``), so "barnahus" never counts every
page about "barn", nor "hjälp" every page saying "stöd"."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from index.expansion import missing_space
from index.morphology import fold
from index.parsing import ParsedQuery
from index.query import _first_stem, _stems_query, clause_query, compound_atoms, content_clauses, indexed
from index.thesaurus import related_stems, swapped_part_queries

THESAURUS_WEIGHT = 0.2  # a general synonym ("prata" → "samtala") of a typed word
PART_WEIGHT = 0.1  # each part of a typed compound alone ("avropsprocessen": a page with "avrop" only)


def part_query(schema: Any, parsed: ParsedQuery, reader: Any = None) -> wq.Query | None:
    """Each part of every typed compound on its own, at PART_WEIGHT, and with a part swapped for a thesaurus
    synonym (``index.thesaurus.swapped_part_queries``); exclusions apply; None without compounds.

    Kept apart from ``build_query``: a misspelt word that looks like a compound ("våldtäckt") would find every
    page with one of its parts, and the search would no longer try the spelling correction."""
    stems = [a for c in content_clauses(parsed) if not c.phrase and len(c.words) == 1
             for a in compound_atoms(c.words[0]) or _apart(schema, c.words[0], reader)]
    q = _stems_query(schema, list(dict.fromkeys(stems)), PART_WEIGHT) if stems else None
    if q is not None and reader is not None:  # a part replaced by a synonym: "nätkränkning" → internet AND kränkning
        swapped = [x for c in content_clauses(parsed) if not c.phrase and len(c.words) == 1
                   for x in swapped_part_queries(compound_atoms(c.words[0]), reader.doc_frequency)]
        q = wq.Or([q, *swapped]) if swapped else q
    negatives = [n for c in parsed.negative if (n := clause_query(schema, c.words, c.phrase)) is not None]
    if q is None or not negatives:
        return q
    return wq.AndNot(q, negatives[0] if len(negatives) == 1 else wq.Or(negatives))


def _apart(schema: Any, word: str, reader: Any) -> list[str]:
    """The stems of the two words a word is written together from ("sexuelltofredande": a page with "ofredande"
    alone was not found when no page says "sexuellt ofredande"); none without a reader or a split."""
    if reader is None or indexed(schema, reader, _first_stem(schema, word)):
        return []
    split = missing_space(word, lambda w: _first_stem(schema, w), reader.doc_frequency)
    return [s for w in split for s in [_first_stem(schema, w)] if s] if split else []


def loose_query(schema: Any, parsed: ParsedQuery, reader: Any) -> wq.Query | None:
    """The thesaurus's general synonyms of every typed word: a looser match than the curated synonyms, kept apart
    so that it re-ranks what the query finds rather than adding every page that says "hjälp" to "stöd"."""
    subs = [q for c in content_clauses(parsed) if not c.phrase and len(c.words) == 1
            for q in thesaurus_query(schema, reader, c.words[0])]
    if not subs:
        return None
    return subs[0] if len(subs) == 1 else wq.Or(subs)


def thesaurus_query(schema: Any, reader: Any, word: str) -> list[wq.Query]:
    """General synonyms of a typed word (``index.thesaurus``) that the index knows, at THESAURUS_WEIGHT."""
    stem = _first_stem(schema, word) if reader is not None and "body" in schema else ""
    related = related_stems(stem, reader.doc_frequency) if stem else []
    q = _stems_query(schema, related, THESAURUS_WEIGHT) if related else None
    return [] if q is None else [q]


def absent_compounds(schema: Any, parsed: ParsedQuery, reader: Any) -> list[tuple[str, tuple[str, str] | None]]:
    """Typed compounds that no indexed text has ("tillträdesförbud"), each with the two words it may be written
    together from ("skyddatboende": skyddat, boende), or None: what is found for them has only their parts, which
    the search says when those two words never stand side by side (an "utreseförbud" page was the first hit)."""
    out = []
    for c in content_clauses(parsed):
        if c.phrase or len(c.words) != 1 or not compound_atoms(c.words[0]):
            continue
        word = c.words[0]
        stem = _first_stem(schema, word)
        if not stem or indexed(schema, reader, stem):
            continue
        if "folded" in schema and reader.doc_frequency("folded", fold(stem)):  # "stodlinjen": the texts have it
            continue
        out.append((word, missing_space(word, lambda w: _first_stem(schema, w), reader.doc_frequency)))
    return out
