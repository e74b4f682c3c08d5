"""Autocomplete: whole words, title and heading phrases and taxonomy terms of the index, most useful first."""

from __future__ import annotations

import bisect
import itertools
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.expansion import QUERY_STOP_WORDS
from index.phrases import Completions, read_phrases
from index.query import analyze
from kb.searchmodel import FIELD_PREFIXES, MAX_SUGGESTIONS, QUERY_OPERATORS
from kb.taxonomy import Taxonomy

if TYPE_CHECKING:
    from index.generation import Generation

log = logging.getLogger(__name__)

# Never offered as the word a suggestion ends with: question and function words, and prepositions that searching
# keeps (they carry a little meaning in a query: "enligt lagen") but nobody wants completed.
NOT_SUGGESTED = QUERY_STOP_WORDS | {"via", "samt", "enligt", "bland", "utan", "under", "efter", "inom", "mellan"}

WORDLIST = Path("/usr/share/dict/swedish")
CANDIDATES_CHECKED = 300  # vocabulary words with the typed prefix looked up in the index, per needle
SUGGESTION_CACHE_SIZE = 2048  # prefixes whose completions are kept per generation (LRU)
LAST_WORD_WEIGHT = 0.5  # "barn i skyddat b…": completing only the last words counts for less than a whole phrase
MAX_LEADING_WORDS = 4  # typed words kept in front of a completed tail


class SortedWords:
    """A sorted, read-only word list in one string plus int32 offsets (~3 bytes a word instead of ~70).

    Supports ``len``, indexing and therefore ``bisect``; the autocomplete vocabulary is ~120k words.
    """

    def __init__(self, words: Iterable[str]) -> None:
        ordered = sorted(set(words))
        self._blob = "".join(ordered)
        self._ends = np.cumsum([len(w) for w in ordered], dtype=np.int64).astype(np.int32)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i: int) -> str:
        if i < 0:
            i += len(self._ends)
        if not 0 <= i < len(self._ends):
            raise IndexError(i)
        start = int(self._ends[i - 1]) if i else 0
        return self._blob[start:int(self._ends[i])]



def load_vocabulary(taxonomy: Taxonomy, wordlist: Path = WORDLIST) -> SortedWords:
    """Taxonomy labels, terms and synonyms plus the system's Swedish word list, lowercase."""
    words: set[str] = set()
    for group in taxonomy.synonym_groups():
        words.update(str(m).lower() for m in group)
    for cat in taxonomy.delomraden:
        words.add(cat.label.lower())
        words.update(t.lower() for t in cat.terms)
    try:
        with open(wordlist, encoding="latin-1") as fh:
            words.update(w.strip().lower() for w in fh if w.strip().isalpha())
    except OSError:
        log.warning("no Swedish word list for autocomplete")
    return SortedWords(words)


def taxonomy_terms(taxonomy: Taxonomy) -> list[str]:
    """Sub-area labels and terms and every synonym: the librarians' own words, offered first."""
    terms: list[str] = [m for group in taxonomy.synonym_groups() for m in group]
    for cat in taxonomy.delomraden:
        terms.append(cat.label)
        terms.extend(cat.terms)
    return list(dict.fromkeys(t for t in terms if t))


def completions_of(gen: Generation, terms: list[str]) -> Completions:
    """The generation's candidates (read once per generation; the caller holds ``gen.lock``)."""
    if gen.completions is None:
        reader = gen.searcher.reader()
        known = []
        for term in terms:
            tokens = analyze(gen.schema, "body", term)
            known.append((term, min((reader.doc_frequency("body", t) for t, _ in tokens), default=0)))
        gen.completions = Completions(read_phrases(gen.path, min_docs=1), known)  # as saved: titles and places from one
    return gen.completions


# A minus that starts a word, and quotes: kept where they were typed
_MARKS = re.compile(r'"|(?:(?<=\s)|^)-')


# The last word's piece after a slash or another box's field name ("kvinnojour/tj", "title:vå")
_LAST_PIECE = re.compile(r"(.*/|-?(?:" + "|".join(sorted(FIELD_PREFIXES)) + r"):)([^/:]*)$", re.IGNORECASE)


def _operator(token: str) -> bool:
    """OR, AND, NOT, ELLER, OCH as the parser reads them, and "or" in any case (no Swedish word)."""
    return token in QUERY_OPERATORS or token.lower() == "or"


def with_syntax(text: str, complete: Callable[[str], list[str]]) -> list[str]:
    """``complete`` applied to ``text`` without its search syntax, which each suggestion keeps as typed.

    - Quotes and minus signs go back where they were; an open quote is closed ('"skyddat b' → '"skyddat boende"').
    - Nothing is completed after a closed phrase or an operator ('"skyddat boende"' offered '"skyddat boende"n',
      'kvinnojour OR' "kvinnojour orosanmälan"); after a slash or field name only the piece that follows is.
    - No completion spans an operator or an excluded word before the last: the words after them are completed
      ('kvinnojour OR tj' → 'kvinnojour OR tjejjour', not a phrase "kvinnojour or tjejjour"); the operator keeps its
      capitals, which make it one.
    - An excluded last word is completed as one word, or as an excluded phrase: '-skydd' → '-skyddat',
      '-"skyddat boende"' (not '-skyddat boende', which excludes only "skyddat"); a phrase after an operator or a field
      name is quoted ('våld OR "hedersrelaterat våld och förtryck"')."""
    if text.count("'") % 2 and ((at := text.rfind("'")) == 0 or text[at - 1] == " "):
        text = text[:at] + '"' + text[at + 1:]  # "'skyddat b": a single quote opens a phrase too
    tokens = text.split(" ")
    if _operator(tokens[-1]) or (text.endswith('"') and text.count('"') % 2 == 0):
        return []
    last = tokens[-1]
    piece = _LAST_PIECE.match(last) if '"' not in last else None
    if piece is not None:  # "kvinnojour/tj", "title:vå": the piece after the slash or field name, on its own
        lead, tail = text[: len(text) - len(piece.group(2))], piece.group(2)
        found = with_syntax(tail, complete) if len(tail) >= 2 else []
        # one word after a slash ("-hot/våld i nära relationer" would exclude "våld" and search the rest); a phrase
        # after a field name quoted ("-title:skyddat boende" excluded "skyddat" and needed "boende")
        return [lead + (s if " " not in s or s.startswith('"') else f'"{s}"') for s in found
                if " " not in s or not lead.endswith("/")]
    excluded_word = last.startswith("-") and '"' not in last
    quotes = list(itertools.accumulate(t.count('"') for t in tokens))  # quotes up to and including each token
    cut = len(tokens) - 2 if excluded_word else max(
        (i for i, t in enumerate(tokens[:-1])
         if _operator(t) or (t.startswith("-") and '"' not in t) or ('"' in t and quotes[i] % 2 == 0)), default=-1)
    kept, rest = "".join(t + " " for t in tokens[:cut + 1]), " ".join(tokens[cut + 1:])
    # a phrase after an operator is quoted: "våld OR hedersrelaterat våld och förtryck" would need only "hedersrelaterat"
    quote = cut >= 0 and _operator(tokens[cut])
    marks = [(m.start() - k, m.group(0)) for k, m in enumerate(_MARKS.finditer(rest))]  # positions without them
    bare = _MARKS.sub("", rest).lower()
    out = []
    for s in complete(bare):
        if excluded_word:
            s = "-" + s if " " not in s else '-"' + s + '"'
        elif quote and not marks and " " in s:
            s = '"' + s + '"'
        else:
            for at, mark in reversed(marks):
                s = s[:at] + mark + s[at:]
            s = s + '"' if text.count('"') % 2 else s
        out.append(kept + s)
    return out


def cached_suggestions(gen: Generation, text: str, vocab: Callable[[], SortedWords], terms: list[str]) -> list[str]:
    """Completions of ``text`` (cleaned, lowercase), remembered per generation; the caller holds no lock.

    Words, phrases and titles counted at build time (``index.phrases``); a generation built before them
    completes from the word list (``vocab``) as before."""
    with gen.lock:
        cached = gen.suggestions.get(text)
        if cached is not None:
            gen.suggestions.move_to_end(text)
            return cached
        completions = completions_of(gen, terms)
        found = with_syntax(text, lambda bare: phrase_suggestions(completions, bare) if len(completions)
                            else suggestions(gen, bare, vocab()))
        gen.suggestions[text] = found
        if len(gen.suggestions) > SUGGESTION_CACHE_SIZE:
            gen.suggestions.popitem(last=False)
        return found


def phrase_suggestions(completions: Completions, text: str) -> list[str]:
    """The whole text completed as a phrase, then its last words completed after the others, most useful first."""
    words = text.split(" ")
    scored: list[tuple[float, str]] = []
    for k in range(min(len(words), MAX_LEADING_WORDS + 1)):
        needle, lead = " ".join(words[k:]), " ".join(words[:k])
        if k and scored:  # the whole text completes as a phrase the texts have: no made-up ones ("skyddat bort")
            break
        if len(needle) >= 2:
            weight = LAST_WORD_WEIGHT if k else 1.0
            # typed without å/ä/ö only where a word may be unfinished or is long: "man " and "kan" are no "män", "kän…"
            whole = needle.split(" ")[-2] if needle.endswith(" ") else needle if " " not in needle else ""
            scored += [(score * weight, f"{lead} {cand}" if lead else cand)
                       for score, cand in completions.complete(needle, MAX_SUGGESTIONS, folded=len(whole) > 3 or not whole)]
    out: list[str] = []
    for _, s in sorted(scored, key=lambda x: (-x[0], len(x[1]), x[1])):
        if s not in out and s != text and s.rpartition(" ")[2] not in NOT_SUGGESTED:  # "vi" → not "vill", "via"
            out.append(s)
    return out[:MAX_SUGGESTIONS]


def suggestions(gen: Generation, text: str, vocab: SortedWords) -> list[str]:
    """Completions from the word list that occur in the index (generations without counted phrases)."""
    head, _, last = text.rpartition(" ")
    scored: list[tuple[int, str]] = []
    reader = gen.searcher.reader()
    for needle, lead in ((text, ""), (last, head + " " if head else "")):
        if len(needle) < 2:
            continue
        i = bisect.bisect_left(vocab, needle)
        checked = 0
        while i < len(vocab) and vocab[i].startswith(needle) and checked < CANDIDATES_CHECKED:
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
        if len(out) >= MAX_SUGGESTIONS:
            break
    return out
