"""Spelling: corrections for words the index does not know, from its own vocabulary ("Menade du …")."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from whoosh import query as wq

from index.accents import ACCENTED
from index.affixes import is_form
from index.expansion import verb_forms
from index.morphology import STOP_WORDS, fold, lexicon
from index.parsing import _WORD_RE as QUERY_WORD_RE
from index.parsing import ParsedQuery, typed_in_capitals
from index.query import analyze, indexed

if TYPE_CHECKING:
    from index.generation import Generation

SURFACE_DOCS = 20  # documents read to find how a corrected word is really written
SURFACE_CHARS = 200_000  # characters of each such document's text looked at
CAPITALS_CORRECTED_FROM = 8  # a word in capitals this long is no abbreviation: "KÖNSTYMPNING" (caps lock) is a typo
CONTEXT_SLOP = 3  # a correction's neighbour may stand this many positions away (stop words are not indexed)
SPELLING_CACHE_WORDS = 10_000  # unknown words remembered per generation before the cache starts over
_WORD_RE = re.compile(r"[^\W\d_]+")


def corrections_for(gen: Generation, parsed: ParsedQuery) -> tuple[dict[str, str], str | None]:
    """Corrections for words the index does not know, from its own body/title vocabulary.

    Returns (typed word -> term added to the fuzzy query, "Menade du" text). The suggestion only ever
    shows words the indexed texts really contain."""
    reader = gen.searcher.reader()
    schema = gen.schema
    if "body" not in schema:
        return {}, None
    corrections: dict[str, str] = {}
    shown = {typed: word for typed, word in parsed.restored if _known(gen, reader, word)}  # searched so; shown too
    words = parsed.words
    caps_lock = typed_in_capitals(parsed.text)  # "SKYDDAT BONDE"
    for i, word in enumerate(words):
        if (len(word) < 5 or not word.isalpha() or (word.isupper() and len(word) < CAPITALS_CORRECTED_FROM and not caps_lock)
                or word.lower() in gen.synonyms.words or verb_forms(word)):
            continue  # an abbreviation, a word of the taxonomy's synonyms ("intimate partner violence" → "intima") or
            # a form of a listed verb ("köpte sex" was offered "köp sex") is no typo
        if word not in gen.spelling:  # the same unknown word costs the automaton walk once per generation
            if len(gen.spelling) > SPELLING_CACHE_WORDS:
                gen.spelling.clear()
                gen.surfaces.clear()
            gen.spelling[word] = _correct(gen, reader, word)
        term, surface = gen.spelling[word]
        if term and not _plausible(gen, word, surface or term, _neighbours(words, i)):
            continue
        if term:
            corrections[word] = term
        if surface:
            shown[word] = surface.upper() if caps_lock else surface
    if not shown:
        return corrections, None
    # a restored stop word beside them too: "pa nätet" is shown as "på nätet", not half of it
    shown.update((typed, word) for typed, word in parsed.restored if not analyze(schema, "body", word))
    # word by word as the query was parsed, so quotes, -exclusions and punctuation stay ('"vald i nara"' → '"vald i nära"')
    return corrections, QUERY_WORD_RE.sub(lambda m: shown.get(m.group(0), m.group(0)), parsed.text)

def accents_only(typed: str, suggested: str) -> bool:
    """Does ``suggested`` differ from ``typed`` only in å/ä/ö and other accents ("valdsforebyggande" →
    "våldsförebyggande")?"""
    a, b = QUERY_WORD_RE.findall(typed), QUERY_WORD_RE.findall(suggested)
    return len(a) == len(b) and a != b and all(fold(x.lower()) == fold(y.lower()) for x, y in zip(a, b, strict=True))


def _neighbours(words: list[str], i: int) -> list[str]:
    """The nearest word on each side of ``words[i]`` that is no stop word ("våld och förtyck": "våld")."""
    before = [w for w in words[:i] if w.lower() not in STOP_WORDS][-1:]
    after = [w for w in words[i + 1:] if w.lower() not in STOP_WORDS][:1]
    return before + after


def _plausible(gen: Generation, typed: str, term: str, neighbours: list[str]) -> bool:
    """May ``term`` replace ``typed``? Always for a word Swedish does not have ("valdsutsatta"); for a real Swedish word
    ("killar", "förföljd", "länge") only when the correction stands right beside a neighbouring query word somewhere in
    the texts ("skyddat bonde" → "skyddat boende"; "våld och förtyck" → "våld och förtryck", within CONTEXT_SLOP
    words): a real word is no typo of another without context saying so. ``term`` is the correction as written."""
    lex = lexicon()
    low = typed.lower()
    if low not in lex.forms and low not in lex.lemmas:
        # a form only hunspell-sv's affix rules make is rare: one letter from an indexed word it is a typo ("förtyck",
        # "krängningar"), further it is a word of its own ("misshandlare" is no "misshandel", "stalkad" no "starka")
        if not is_form(low) or _edit_distance(low, term.lower()) <= 1:
            return True
    schema = gen.schema
    fixed = analyze(schema, "body", term)
    if not fixed:
        return False
    for n in neighbours:
        near = analyze(schema, "body", n)
        if near and any(gen.searcher.search(wq.Phrase("body", pair, slop=CONTEXT_SLOP), limit=1).scored_length()
                        for pair in ([near[0][0], fixed[0][0]], [fixed[0][0], near[0][0]])):
            return True
    return False


def _known(gen: Generation, reader: Any, word: str) -> bool:
    """Does the index have the word (its stem, in body or title)?"""
    tokens = analyze(gen.schema, "body", word)
    return bool(tokens) and indexed(gen.schema, reader, tokens[0][0])


def _correct(gen: Generation, reader: Any, word: str) -> tuple[str, str]:
    """(query term, surface form) for an unknown word; ("", "") when it is known or nothing is close."""
    schema = gen.schema
    tokens = analyze(schema, "body", word)
    if not tokens:
        return "", ""
    stem = tokens[0][0]
    if indexed(schema, reader, stem):
        return "", ""
    maxdist = 1 if len(word) < 7 else 2
    best: tuple[int, int, str] | None = None
    # the first letter is kept (the automaton's prefix), except an a/o typed for å/ä/ö ("orebro" → örebro)
    starts = [stem] + [c + stem[1:] for c in ACCENTED.get(stem[0], "")]
    for dist in range(1, maxdist + 1):
        for start in starts:
            extra = 1 if start is not stem else 0  # the changed first letter counts as an edit
            for cand in reader.terms_within("body", start, dist - extra, prefix=1):
                df = reader.doc_frequency("body", cand)
                if df and (best is None or (-df, cand) < (best[1], best[2])):
                    best = (dist, -df, cand)
        if best is not None:
            break
    if best is None:
        return "", ""
    cand = best[2]
    low = word.lower()
    surface = _surface(gen, reader, cand, low)
    # Without a surface form, the typed ending on the corrected stem still analyses to that stem (query only).
    term = surface or (cand + low[len(stem):] if low.startswith(stem) else cand)
    return term, surface

def _surface(gen: Generation, reader: Any, stem: str, typed: str) -> str:
    """How the indexed texts write a word whose stem is ``stem``: the written form closest to ``typed``."""
    forms = gen.surfaces.get(stem)
    if forms is None:
        forms = gen.surfaces[stem] = Counter()
        analysed: dict[str, str] = {}
        head = stem[:2]
        docs = list(itertools.islice(reader.postings("body", stem).all_ids(), SURFACE_DOCS))
        for d in docs:
            stored = gen.searcher.stored_fields(d)
            text = f"{stored.get('title') or ''} {str(stored.get('body') or '')[:SURFACE_CHARS]}"
            for w in _WORD_RE.findall(text.lower()):
                if not w.startswith(head) or len(w) < len(stem) - 2:
                    continue
                first = analysed.get(w)
                if first is None:
                    tokens = analyze(gen.schema, "body", w)
                    first = analysed[w] = tokens[0][0] if tokens else ""
                if first == stem:
                    forms[w] += 1
    if not forms:
        return ""
    return min(forms, key=lambda w: (_edit_distance(w, typed), -forms[w], w))


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

