"""A parsed search (``index.parsing``) as a bounded Whoosh query: typed words, compound parts, derived forms, synonyms."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from whoosh import query as wq

from index.expansion import QUERY_STOP_WORDS, derived_stems, missing_space, verb_forms
from index.morphology import fold
from index.parsing import _WORD_RE, Clause, ParsedQuery
from index.synonyms import SynonymTable

log = logging.getLogger(__name__)

# Field weights on top of the schema's field boosts (folded already has 0.5): folded ends up at 0.3.
FIELD_WEIGHTS: tuple[tuple[str, float], ...] = (("title", 1.0), ("headings", 1.0), ("body", 1.0), ("folded", 0.6))
SYNONYM_WEIGHT = 0.5  # per word of the synonym: a synonym of n words weighs SYNONYM_WEIGHT / n
PROXIMITY_WEIGHT = 0.5
PROXIMITY_SLOP = 3
MAX_PROXIMITY_PAIRS = 6
# Query-side decompounding: a typed compound also matches pages having all its parts (or adjacent
# pairs of them), well below the whole word so pages using the compound itself still come first.
DECOMPOUND_WEIGHT = 0.4
DECOMPOUND_PAIR_WEIGHT = 0.25
MAX_COMPOUND_PARTS = 4
# Query understanding (index.expansion): derived forms of a typed word, and a word typed without its space.
DERIVATION_WEIGHT = 0.5
DERIVATION_MAX_WEIGHT = 0.8  # below the typed word's 1.0: the exact form still wins
MISSING_SPACE_WEIGHT = 0.9
# Whoosh's CoordMatcher (Or(scale=...)) recomputes matching terms per document and cost +40-190 %
# per search at 10k documents; BM25's sum over clauses already ranks pages matching more words higher.
COORDINATION: float | None = None
NO_FOLDED_FIELDS = tuple((f, w) for f, w in FIELD_WEIGHTS if f != "folded")
FOLDED_FIELD = tuple((f, w) for f, w in FIELD_WEIGHTS if f == "folded")
FOLD_RARITY = 20  # a known word's folded twins must be this many times more frequent before they are searched too

# -- analysis ----------------------------------------------------------------

def analyze(schema: Any, fieldname: str, text: str) -> list[tuple[str, int]]:
    """(token text, position) pairs from the field's own analyzer in query mode."""
    fieldobj = schema[fieldname]
    analyzer = getattr(fieldobj, "analyzer", None)
    if analyzer is None:
        return [(text, 0)]
    try:
        return [(t.text, t.pos) for t in analyzer(text, mode="query", positions=True)]
    except Exception:  # a broken analyzer must not take the search box down
        log.exception("analyzer for %s failed on %r", fieldname, text)
        return []


def _supports_positions(schema: Any, fieldname: str) -> bool:
    fmt = getattr(schema[fieldname], "format", None)
    return bool(fmt is not None and fmt.supports("positions"))


def field_query(schema: Any, fieldname: str, words: Sequence[str], phrase: bool, boost: float) -> wq.Query | None:
    """A word or phrase in one field: Term, Phrase (ordered, positions) or And (no positions)."""
    if fieldname == "folded" and len(words) > 1 and "body" in schema and any(fold(w) != w for w in words):
        return _folded_bag(schema, words, boost)
    tokens = analyze(schema, fieldname, " ".join(words))
    if not tokens:
        return None
    texts = [t for t, _ in tokens]
    if len(set(texts)) == 1:
        return wq.Term(fieldname, texts[0], boost=boost)
    positions = [p for _, p in tokens]
    ordered = all(b > a for a, b in zip(positions, positions[1:], strict=False))
    if ordered and _supports_positions(schema, fieldname):
        slop = max(1, max(b - a for a, b in zip(positions, positions[1:], strict=False)))
        return wq.Phrase(fieldname, texts, slop=slop, boost=boost)
    # Same position (compound parts) or no positions: every token, any order.
    return wq.And([wq.Term(fieldname, t) for t in dict.fromkeys(texts)], boost=boost)


def _folded_bag(schema: Any, words: Sequence[str], boost: float) -> wq.Query | None:
    """Several words in the folded field, where a word typed with å/ä/ö must match as written ("vald mot äldre":
    "vald" folded, "äldre" never as "aldr", the stem of "aldrig"). The folded field holds title, headings and
    body, so a word as written may be in any of them ("vald i nära relationer" and a title saying so)."""
    exact_fields = [f for f in ("title", "headings", "body") if f in schema]
    terms: dict[str, wq.Query] = {}
    for w in words:
        folded = [t for t, _ in analyze(schema, "folded", w)]
        exact = [t for t, _ in analyze(schema, "body", w)] if fold(w) != w else folded
        for f, t in zip(folded, exact, strict=False):  # as written in any field, scored once, like its folded term
            terms[f] = wq.Term("folded", f) if f == t else wq.Require(wq.Term("folded", f), wq.Or([wq.Term(x, t) for x in exact_fields]))
    found = list(terms.values())
    if not found:
        return None
    return found[0].with_boost(boost) if len(found) == 1 else wq.And(found, boost=boost)


def clause_query(schema: Any, words: Sequence[str], phrase: bool, weight: float = 1.0,
                 fields: Iterable[tuple[str, float]] = FIELD_WEIGHTS) -> wq.Query | None:
    """One clause over every searchable field (summed, folded weighted down)."""
    subs = []
    for fieldname, fw in fields:
        if fieldname not in schema:
            continue
        q = field_query(schema, fieldname, words, phrase, fw * weight)
        if q is not None:
            subs.append(q)
    if not subs:
        return None
    return subs[0] if len(subs) == 1 else wq.Or(subs)


# -- decompounding -----------------------------------------------------------

def compound_atoms(word: str) -> list[str]:
    """Stems of a typed compound's smallest parts in word order ([] when it is not a compound).

    ``index.analysis.compound_parts`` gives every part the index emits, sub-compounds included
    ("hedersvåldsutsatta" → hedersvåld, hed, våld, utsat, våldsutsat); parts containing another
    part are dropped, so the atoms are hed, våld, utsat. Words joined by - or / count as compounds
    ("vaccination/vaccinering", "hbtqi-personer"): the index has their pieces as parts too.
    """
    low = word.lower()
    if not re.sub(r"(?<=\w)[-/](?=\w)", "", low).isalpha() or len(low) < 6:
        return []
    try:
        from index.analysis import analyze, compound_parts

        if not low.isalpha():  # the pieces as typed, each one whole
            parts = [t for piece in re.split(r"[-/]", low) for t in analyze(piece, mode="query")[:1]]
            return list(dict.fromkeys(parts))[:MAX_COMPOUND_PARTS] if len(set(parts)) > 1 else []
        parts = [p for p in dict.fromkeys(compound_parts(low)) if p and len(p) >= 2]
    except Exception:  # decompounding is a bonus: never let it break the search box
        log.exception("decompounding %r failed", word)
        return []
    atoms = [p for p in parts if not any(o != p and o in p for o in parts)]
    atoms.sort(key=lambda p: (low.find(p) if p in low else len(low), p))
    return atoms[:MAX_COMPOUND_PARTS] if len(atoms) > 1 else []


def decompound_queries(schema: Any, word: str, pairs: bool = True) -> list[wq.Query]:
    """For a compound: all its parts (AND) and, with ``pairs``, each adjacent pair of parts (AND), in every field,
    down-weighted."""
    atoms = compound_atoms(word)
    if not atoms:
        return []
    groups: list[tuple[tuple[str, ...], float]] = [(tuple(atoms), DECOMPOUND_WEIGHT)]
    if len(atoms) > 2 and pairs:
        groups += [((a, b), DECOMPOUND_PAIR_WEIGHT) for a, b in zip(atoms, atoms[1:], strict=False)]
    out: list[wq.Query] = []
    for group, weight in groups:
        for fieldname, fw in FIELD_WEIGHTS:
            if fieldname not in schema:
                continue
            stems = list(dict.fromkeys(fold(t) if fieldname == "folded" else t for t in group))
            if len(stems) > 1:
                out.append(wq.And([wq.Term(fieldname, t) for t in stems], boost=fw * weight))
    return out


JOINED_PIECES_WEIGHT = 0.9  # "2024-2027", "covid-19": the pieces side by side, however the page joins them ("2024–2027")


def joined_word_queries(schema: Any, word: str) -> list[wq.Query]:
    """A hyphenated word with digits also finds its pieces side by side: "2024-2027" typed with a keyboard's hyphen
    missed "Handlingsplan 2024–2027" (an en dash, where the tokenizer splits)."""
    pieces = [p for p in re.split(r"[-/]", word) if p]
    if len(pieces) < 2 or "/" in word or all(p.isalpha() for p in pieces):
        return []
    q = clause_query(schema, tuple(pieces), True, weight=JOINED_PIECES_WEIGHT)
    return [q] if q is not None else []


def content_clauses(parsed: ParsedQuery) -> list[Clause]:
    """Positive clauses without question and function words ("hur", "finns", "behövs"); all of them if nothing else is left."""
    clauses = parsed.positive
    content = [c for c in clauses if c.phrase or len(c.words) != 1 or c.words[0].lower() not in QUERY_STOP_WORDS]
    return content or clauses


def _first_stem(schema: Any, word: str) -> str:
    tokens = analyze(schema, "body", word)
    return tokens[0][0] if len(tokens) == 1 else ""


def indexed(schema: Any, reader: Any, stem: str) -> bool:
    """Does any indexed text have ``stem`` (in its body or title)?"""
    return any(reader.doc_frequency(f, stem) for f in ("body", "title") if f in schema)


def _stems_query(schema: Any, stems: Sequence[str], weight: float) -> wq.Query | None:
    """Already-analysed body stems in every searchable field (folded for the folded field)."""
    subs: list[wq.Query] = [wq.Term(f, fold(s) if f == "folded" else s, boost=fw * weight)
                            for f, fw in FIELD_WEIGHTS if f in schema for s in stems]
    return (subs[0] if len(subs) == 1 else wq.Or(subs)) if subs else None


def _expansions(schema: Any, reader: Any, word: str) -> tuple[str, tuple[str, str] | None, list[str]]:
    """(the typed word's stem, the two words it runs together if it is unknown and no compound, the stems of its
    derived and other verb forms the index knows); ("", None, []) without a reader."""
    if reader is None or "body" not in schema:
        return "", None, []
    stem = _first_stem(schema, word)
    if not stem:
        return "", None, []
    split = None
    df = reader.doc_frequency
    if not indexed(schema, reader, stem) and not compound_atoms(word):
        # unknown, and no compound either: perhaps two words typed without the space between them
        split = missing_space(word, lambda w: _first_stem(schema, w), df)
    return stem, split, list(dict.fromkeys(derived_stems(stem, df) + _verb_stems(schema, reader, word, stem)))


def word_expansions(schema: Any, reader: Any, word: str) -> list[wq.Query]:
    """Derived forms of a typed word that the index knows; for a word it does not know, the two words run together."""
    stem, split, derived = _expansions(schema, reader, word)
    out: list[wq.Query] = []
    q = clause_query(schema, split, True, weight=MISSING_SPACE_WEIGHT) if split else None
    if q is not None:
        out.append(q)
    typed_df = int(reader.doc_frequency("body", stem)) if stem else 0
    for d in derived:
        dq = _stems_query(schema, [d], derivation_weight(typed_df, int(reader.doc_frequency("body", d))))
        if dq is not None:
            out.append(dq)
    return out


def expansion_stems(schema: Any, reader: Any, word: str) -> list[str]:
    """The body stems a typed word also searches through ``word_expansions`` (for snippets to mark: "slår" → slagit)."""
    _stem, split, derived = _expansions(schema, reader, word)
    return derived + [t for w in split or () for t, _ in analyze(schema, "body", w)]


def _verb_stems(schema: Any, reader: Any, word: str, stem: str) -> list[str]:
    """Stems of the other forms of a verb Snowball does not join ("slår" → slå, slog, slagit) that the index knows.
    A stem shorter than what the verb's forms share is another word's ("våldta" read as våld + ta)."""
    forms = verb_forms(word)
    root = os.path.commonprefix([word.lower(), *forms])
    out = []
    for form in forms:
        s = _first_stem(schema, form)
        if s and s != stem and len(s) >= len(root) and indexed(schema, reader, s):
            out.append(s)
    return out


def derivation_weight(typed_df: int, derived_df: int) -> float:
    """A derived form's weight: DERIVATION_WEIGHT when the typed form is the usual one, up to DERIVATION_MAX_WEIGHT
    when the texts say it the derived way ("prostituerade": 1 document, "prostitution": 104)."""
    share = derived_df / max(1, derived_df + typed_df)
    return min(DERIVATION_MAX_WEIGHT, DERIVATION_WEIGHT + (1.0 - DERIVATION_WEIGHT) * share)


def proximity_pairs(schema: Any, parsed: ParsedQuery) -> list[tuple[str, str]]:
    """Adjacent typed words (body stems) whose nearness earns a bonus in the top-K rerank."""
    if "body" not in schema or not _supports_positions(schema, "body"):
        return []
    body_tokens = [t for c in content_clauses(parsed) if not c.phrase for w in c.words
                   for t, _ in analyze(schema, "body", w)[:1]]
    pairs = list(dict.fromkeys(zip(body_tokens, body_tokens[1:], strict=False)))[:MAX_PROXIMITY_PAIRS]
    return [(a, b) for a, b in pairs if a != b]


# -- the whole query ------------------------------------------------------

def _accentless_fields(schema: Any, reader: Any, words: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """Field weights for a clause, deciding what the å/ä/ö-folded field may add (no false friends).

    Words the index does not know (one unknown word of a quoted phrase is enough): folded is trusted fully
    ("vald i nara" → "våld i nära"; for a phrase as a bag of words, folded has no positions), unless typed with
    å/ä/ö and their accentless spelling is a word of its own ("Brå" must not find "bra"). Known words typed
    with å/ä/ö get nothing from it ("äldre" must not find "aldrig"); typed without, folded helps only if they
    are far rarer than their folded twins ("mal" beside thousands of "mål"), else not at all."""
    if reader is None or "folded" not in schema:
        return FIELD_WEIGHTS
    text = " ".join(words)
    exact = folded = twin = 0
    unknown = False  # some word of the clause is unknown: a phrase "vald i nara relationer" as much as one word
    for stem, _ in analyze(schema, "body", text):
        df = max(reader.doc_frequency("body", stem), reader.doc_frequency("title", stem) if "title" in schema else 0)
        exact = max(exact, df)
        folded = max(folded, reader.doc_frequency("folded", fold(stem)))
        if not df:
            unknown = True
            if fold(stem) != stem:  # typed with å/ä/ö: is its accentless spelling a word of its own ("Brå" → "bra")?
                twin = max(twin, reader.doc_frequency("body", fold(stem)))
    if unknown:
        if twin:
            return NO_FOLDED_FIELDS
        return tuple((f, 2.0 if f == "folded" else w) for f, w in FIELD_WEIGHTS)
    if fold(text) == text and exact * FOLD_RARITY < folded - exact:
        return FIELD_WEIGHTS
    return NO_FOLDED_FIELDS


def synonym_query(schema: Any, words: Sequence[str], weight: float) -> wq.Query | None:
    """A synonym or long form as the taxonomy or a text spells it; more than one word is a phrase. The folded field
    (no positions) only scores pages that match exactly: "Barns behov i centrum" must not find every page that has
    barn, behov and centrum somewhere."""
    phrase = len(words) > 1
    q = clause_query(schema, words, phrase, weight=weight, fields=NO_FOLDED_FIELDS)
    folded = clause_query(schema, words, phrase, weight=weight, fields=FOLDED_FIELD)
    return q if q is None or folded is None else wq.Or([q, wq.Require(folded, q)])


def typed_clause_query(schema: Any, reader: Any, c: Clause) -> wq.Query | None:
    """A typed clause in every field; the folded field only where ``_accentless_fields`` allows it."""
    fields = _accentless_fields(schema, reader, c.words)
    q = clause_query(schema, c.words, c.phrase, fields=fields)
    if q is not None and fields is NO_FOLDED_FIELDS:
        # the folded field still scores the pages that match exactly, never its false friends
        folded = clause_query(schema, c.words, c.phrase, fields=FOLDED_FIELD)
        q = q if folded is None else wq.Or([q, wq.Require(folded, q)])
    return q


def build_query(schema: Any, parsed: ParsedQuery, synonyms: SynonymTable | None = None,
                extra_terms: Sequence[str] = (), reader: Any = None, proximity: bool = True,
                decompound: bool = True) -> wq.Query | None:
    """Disjunction of clauses: typed words, compound parts, synonyms, proximity; exclusions as AndNot.

    Returns None when nothing searchable is left (e.g. only stop words); ``Every`` when only
    exclusions were typed. ``extra_terms`` are spelling corrections added by the fuzzy fallback.
    ``proximity=False`` leaves the proximity phrases out (the search service adds them in its
    top-K rerank instead of checking positions for every match).
    """
    subs: list[wq.Query] = []
    for c in content_clauses(parsed):
        q = typed_clause_query(schema, reader, c)
        if q is not None:
            subs.append(q)
        if decompound and not c.phrase and len(c.words) == 1:
            joined = joined_word_queries(schema, c.words[0])
            subs.extend(joined or decompound_queries(schema, c.words[0]))
            subs.extend(word_expansions(schema, reader, c.words[0]))
    for word in extra_terms:
        q = clause_query(schema, (word,), False, weight=0.8)
        if q is not None:
            subs.append(q)
    if synonyms is not None:
        for member in synonyms.expansions(schema, parsed, reader=reader):
            words = tuple(_WORD_RE.findall(member))
            # a phrase scores the sum of its words: a long form ("Inspektionen för vård och omsorg" for "IVO")
            # is one thing, so it counts the mean of its words, not three or four times a typed word
            n = len(analyze(schema, "body", member)) if "body" in schema else 1
            q = synonym_query(schema, words, SYNONYM_WEIGHT / max(1, n))
            if q is not None:
                subs.append(q)
    # Proximity: adjacent typed words near each other in the body earn a bonus.
    if proximity:
        for a, b in proximity_pairs(schema, parsed):
            subs.append(wq.Phrase("body", [a, b], slop=PROXIMITY_SLOP, boost=PROXIMITY_WEIGHT))
    negatives = [q for c in parsed.negative if (q := clause_query(schema, c.words, c.phrase)) is not None]
    positive: wq.Query
    if not subs:
        if parsed.positive:
            return None  # only stop words or nothing the analyzer keeps
        positive = wq.Every()
    elif len(subs) == 1:
        positive = subs[0]
    else:
        positive = wq.Or(subs, scale=COORDINATION) if COORDINATION else wq.Or(subs)
    if negatives:
        return wq.AndNot(positive, negatives[0] if len(negatives) == 1 else wq.Or(negatives))
    return positive
