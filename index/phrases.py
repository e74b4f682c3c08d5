"""What autocomplete offers: whole words as written, title and heading phrases, places, taxonomy terms, with document
counts.

Counted while the index is built (each candidate once per document) and saved with the generation, so a
suggestion is a word or phrase people will find pages with ("skyddat boende", "hedersrelaterat våld och
förtryck"), never a stem fragment ("hede", "heds").
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from index.morphology import STOP_WORDS, fold
from kb.lan import Counties

PHRASES_FILE = "phrases.json"  # [[text, documents], …] of a generation
MIN_DOCS = 2  # a candidate in fewer documents is not offered
MAX_WORDS, MAX_PHRASES = 150_000, 60_000  # kept per generation, most frequent first
BODY_CHARS = 20_000  # characters of the body whose words are counted
PHRASE_WORDS = (2, 3, 4, 5)  # n-grams of titles and headings
MAX_TITLE_WORDS = 10  # whole titles this short are candidates too (even from one document)
RUN_ON_RATIO = 3  # a phrase whose one-word-shorter start is this many times more frequent is dropped
# A word, with the hyphen of a suspended first part ("hälso- och sjukvården"): kept in phrases, never offered alone
# ("hälso" found nothing, and "hälso och sjukvården" was offered without its hyphen).
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*-?")


def _words(text: str) -> list[str]:
    """The whole words of ``text`` (lower case), without suspended first parts."""
    return [w for w in _WORD.findall(text) if not w.endswith("-")]


def _phrases(line: str) -> set[str]:
    words = _WORD.findall(line.lower())
    out: set[str] = set()
    for n in PHRASE_WORDS:
        for i in range(len(words) - n + 1):
            gram = words[i:i + n]
            if gram[0] not in STOP_WORDS and gram[-1] not in STOP_WORDS and all(len(w) > 1 for w in gram):
                out.add(" ".join(gram))
    return out


def place_names(counties: Counties) -> list[str]:
    """County and region names ("Örebro län", "Region Örebro län"): what a body text names and no heading may."""
    return list(dict.fromkeys(n for c in counties.counties for n in (c.name, *c.regions)))


class PhraseCounter:
    """Document counts of whole words (title, headings, body), phrases (titles, headings) and the ``places`` the
    texts name ("örebro l" → örebro län) of one build."""

    def __init__(self, places: Iterable[str] = ()) -> None:
        self.words: Counter[str] = Counter()
        self.phrases: Counter[str] = Counter()
        self.titles: Counter[str] = Counter()
        names = sorted({p.lower() for p in places}, key=len, reverse=True)
        self._place_names = frozenset(names)  # offered from one document: a curated name is no noise
        self._places = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)") if names else None

    def add(self, title: str, headings: Sequence[str], body: str) -> None:
        lines = [title, *headings]
        self.words.update({w for w in _words(" ".join([*lines, body[:BODY_CHARS]]).lower())
                           if len(w) > 2 and w not in STOP_WORDS})
        self.phrases.update(set().union(*(_phrases(line) for line in lines)))
        if self._places is not None:
            self.phrases.update(set(self._places.findall(" ".join([*lines, body[:BODY_CHARS]]).lower())))
        words = _WORD.findall(title.lower())
        if 2 <= len(words) <= MAX_TITLE_WORDS:
            self.titles[" ".join(words)] += 1

    def save(self, gen: Path, prev: Path | None) -> None:
        """Write ``gen``'s counts: this build's, plus ``prev``'s for an incremental build (replaced texts stay
        counted until the next full build; an older generation without counts adds nothing)."""
        words, phrases = Counter(self.words), Counter(self.phrases) + self.titles
        if prev is not None:
            for text, n in read_phrases(prev, min_docs=1):
                (phrases if " " in text else words)[text] += n
        rows = [[t, n] for t, n in words.most_common(MAX_WORDS) if n >= MIN_DOCS]
        rows += [[t, n] for t, n in phrases.most_common(MAX_PHRASES)
                 if (n >= MIN_DOCS or t in self.titles or t in self._place_names) and not _runs_on(t, n, phrases)]
        (gen / PHRASES_FILE).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


def _runs_on(phrase: str, n: int, phrases: Counter[str]) -> bool:
    """A phrase that only runs on from a much more frequent one ("mäns våld mot kvinnor ska")."""
    head, _, _last = phrase.rpartition(" ")
    return " " in head and phrases.get(head, 0) >= RUN_ON_RATIO * n


def read_phrases(gen: Path, min_docs: int = MIN_DOCS) -> list[tuple[str, int]]:
    try:
        rows = json.loads((gen / PHRASES_FILE).read_text(encoding="utf-8"))
        return [(str(t), int(n)) for t, n in rows if int(n) >= min_docs]
    except (OSError, ValueError, TypeError):
        return []


class Completions:
    """Candidates sorted for prefix search, each with a usefulness score (documents; taxonomy terms and phrases up)."""

    TAXONOMY_BONUS = 3.0  # librarians' own terms first
    PHRASE_BONUS = 1.5  # a phrase says more than one of its words

    def __init__(self, counted: Iterable[tuple[str, int]], taxonomy_terms: Iterable[tuple[str, int]]) -> None:
        """``taxonomy_terms``: (term, documents with every word of it); terms no document has are left out."""
        scores: dict[str, float] = {}
        for text, n in counted:
            scores[text] = n * (self.PHRASE_BONUS if " " in text else 1.0)
        for term, docs in taxonomy_terms:
            low = " ".join(term.lower().split())
            if docs and len(low) > 2:
                scores[low] = max(scores.get(low, 0.0), float(docs)) * self.TAXONOMY_BONUS
        self.texts = sorted(scores)
        self.scores = np.array([scores[t] for t in self.texts], dtype=np.float64)
        self._folded: tuple[list[str], np.ndarray] | None = None  # built on the first prefix typed without å/ä/ö

    def __len__(self) -> int:
        return len(self.texts)

    def complete(self, prefix: str, limit: int, folded: bool = True) -> list[tuple[float, str]]:
        """The ``limit`` most useful candidates starting with ``prefix`` (and longer than it); with ``folded``, a prefix
        typed without å/ä/ö that starts none also completes to those it starts once folded ("valdsu" → våldsutsatta)."""
        lo = bisect.bisect_left(self.texts, prefix)
        hi = bisect.bisect_left(self.texts, prefix + "\uffff")
        rows = np.arange(lo, hi)
        if hi <= lo and folded and prefix.isascii():
            texts, order = self._folded_texts()
            flo = bisect.bisect_left(texts, prefix)
            rows = order[flo:bisect.bisect_left(texts, prefix + "\uffff", flo)]
        if not len(rows):
            return []
        scores = self.scores[rows]
        k = min(limit + 1, len(rows))
        top = np.argpartition(-scores, k - 1)[:k] if len(rows) > k else np.arange(len(rows))
        found = [(float(scores[i]), self.texts[int(rows[i])]) for i in top]
        return sorted(((s, t) for s, t in found if t != prefix), key=lambda st: (-st[0], len(st[1]), st[1]))[:limit]

    def _folded_texts(self) -> tuple[list[str], np.ndarray]:
        """The candidates with å/ä/ö etc., folded and sorted, with their rows in ``texts`` (the others need none)."""
        if self._folded is None:
            pairs = sorted((fold(t), i) for i, t in enumerate(self.texts) if not t.isascii())
            self._folded = ([f for f, _ in pairs], np.array([i for _, i in pairs], dtype=np.int32))
        return self._folded
