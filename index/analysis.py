"""Swedish text analysis: tokenizer, stop words, Snowball stemming, definite-form reduction, decompounding, folding.

Pipeline (both analyzers)::

    RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter | StopFilter(Swedish) | SwedishFilter

``SwedishAnalyzer`` runs that pipeline in one loop and caches the result per distinct
token (bounded, per process); ``reference_analyzer()`` keeps the filter chain it must match.

``SwedishFilter`` does, per word:

* strips genitive/definite endings after a colon ("EU:s" → "eu", "VINR:s" → "vinr");
* reduces definite/genitive forms that Snowball leaves ("brottet" → "brott",
  "handeln" → "handel") when the base is a known lemma and the form itself is not;
* splits compounds against a word list ("hedersvåldsutsatta" → hedersvåld, heder,
  våld, utsatta) with Swedish linking morphemes (-s-, -e-, -a-, -u-, -o- for a
  dropped -a, a dropped final vowel), so the primary token is the reduced
  compound ("barnfridsbrottet" → stem of "barnfridsbrott");
* stems everything with Snowball Swedish (PyStemmer);
* at index time only (``token.mode == "index"``) emits the parts as extra tokens
  at the same position; queries keep the whole word, so a query for a compound
  stays precise while a query for a part finds the compounds;
* joins a dangling modifier with the head of the next compound
  ("hälso- och sjukvård" also indexes "hälsovård");
* for the ``folded`` field, folds å/ä/ö and accents (å→a, ä→a, ö→o, é→e).

Whoosh pickles the analyzers into every TOC file, so the classes here keep a
stable import path (``index.analysis.SwedishAnalyzer``, ``index.analysis.SwedishFilter``)
and hold no word lists: the per-word morphology (lexicon, stemming, folding, definite
forms, decompounding) is in ``index.morphology``, re-exported here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, CompositeAnalyzer, Filter, LowercaseFilter, RegexTokenizer, StopFilter, Token

from index.morphology import (
    CURATED_PATH,
    DATA_DIR,
    HUNSPELL_PATH,
    STOP_WORDS,
    WORDLIST_PATH,
    Lexicon,
    analyse_word,
    fold,
    lexicon,
    load_lexicon,
    modifier_lemma,
    reduce_definite,
    split_compound,
    stem_swedish,
)
from kb.textforms import nfc_text

__all__ = [
    "ANALYZER_VERSION", "CURATED_PATH", "DATA_DIR", "HUNSPELL_PATH", "STOP_WORDS", "TOKEN_PATTERN", "WORDLIST_PATH",
    "Lexicon", "SwedishAnalyzer", "SwedishFilter", "analyse_word", "analyze", "compound_parts", "fold", "folded_analyzer",
    "lexicon", "load_lexicon", "modifier_lemma", "reduce_definite", "reference_analyzer", "split_compound",
    "stem_swedish", "swedish_analyzer",
]

log = logging.getLogger(__name__)

# Bump whenever the tokens produced for some text change (forces a full rebuild).
ANALYZER_VERSION = "sv-7"  # sv-2: genitive plurals ("kvinnojourers") reduced to the plural; sv-3: linking -s- placed by hunspell-sv
# sv-4: "förtryck" and the miss- prefix words ("misshandel", "missbruk") are not split; sv-5: nor words led by a
# particle ("underlag", "uppgift", "återfall"); sv-6: nor with a linking -s- ("undersökning", "genomslag") or före-
# ("förebyggande", "föreläsning"); sv-7: decomposed letters and ligatures composed ("ko\u0308nsstympning", "ﬂickor"),
# the passive supine's -s stemmed off ("hotats" → hot, "misshandlats" → misshandl), a base form's -s kept ("insats",
# "resurs", "analys", "arbetsplats" meet their plurals)

# Words, digits, internal hyphens/slashes ("EU-kommissionen", "FGM/C"), a colon
# ending ("EU:s") and a dangling hyphen before och/eller/samt ("hälso- och").
# A letter's combining marks belong to its word: text in decomposed form (NFD, "o" + U+0308) is one token, composed by
# ``nfc_text`` in the analysis ("könsstympning", not "ko" + "nsstympning").
_LETTER = r"\w[\w\u0300-\u036f]*"
TOKEN_PATTERN = _LETTER + r"(?:[-/]" + _LETTER + r")*(?::\w+)?(?:-(?=\s+(?:och|eller|samt)\b))?"


class _Switches:
    """The two switches that are all an analyzer pickles into the index TOC (word lists and caches
    live at module level, so the TOC stays small and old indexes stay openable)."""

    def __init__(self, decompound: bool = True, fold: bool = False) -> None:
        self.decompound = decompound
        self.fold = fold

    def __getstate__(self) -> dict[str, Any]:
        return {"decompound": self.decompound, "fold": self.fold}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.decompound = bool(state.get("decompound", True))
        self.fold = bool(state.get("fold", False))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.decompound, self.fold))


class SwedishFilter(_Switches, Filter):  # type: ignore[misc]  # Whoosh is untyped
    """Stems Swedish words, reduces definite compounds and (at index time) adds compound parts."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        pending: str | None = None  # dangling first part waiting for a compound ("hälso-")
        pending_ttl = 0
        for t in tokens:
            if t.stopped:
                yield t
                continue
            index_mode = self.decompound and getattr(t, "mode", "") == "index"
            text: str = t.text
            if text.endswith("-"):
                surface = text.rstrip("-")
                mod = modifier_lemma(surface) if surface.isalpha() else None
                primary, parts, _head = analyse_word(mod[0] if mod else surface)
                pending, pending_ttl = surface, 3
            else:
                primary, parts, head = analyse_word(text)
                extra: str | None = None
                if pending is not None:
                    if head is not None and index_mode and "-" not in text:
                        extra = analyse_word(pending + head)[0]
                        pending = None
                    else:
                        pending_ttl -= 1
                        if pending_ttl <= 0:
                            pending = None
                if extra is not None:
                    parts = parts + (extra,)
            t.text = fold(primary) if self.fold else primary
            yield t
            if index_mode and parts:
                seen = {t.text}
                for part in parts:
                    out = fold(part) if self.fold else part
                    if out not in seen:
                        seen.add(out)
                        t.text = out
                        yield t


class ComposeFilter(Filter):  # type: ignore[misc]  # Whoosh is untyped
    """Each token in one Unicode form: composed letters, ligatures spelled out (``kb.textforms.nfc_text``)."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        for t in tokens:
            t.text = nfc_text(t.text)
            yield t


def _analyzer(fold_text: bool, decompound: bool) -> CompositeAnalyzer:
    """The reference chain (tokenizer | lowercase | stop | SwedishFilter); ``SwedishAnalyzer`` is its fast twin."""
    stoplist = STOP_WORDS | {fold(w) for w in STOP_WORDS} if fold_text else STOP_WORDS
    chain = (
        RegexTokenizer(TOKEN_PATTERN)
        | ComposeFilter()
        | LowercaseFilter()
        | StopFilter(stoplist=stoplist, minsize=2, maxsize=60)
        | SwedishFilter(decompound=decompound, fold=fold_text)
    )
    assert isinstance(chain, CompositeAnalyzer)
    return chain


# -- the fast analyzer --------------------------------------------------------
MIN_TOKEN, MAX_TOKEN = 2, 60
WORD_CACHE_SIZE = 200_000  # per process and flavour; cleared when full (the vocabulary is Zipfian)

# Per raw token text: None for a stop word, else (lowercase text, output texts, head, dangling surface).
# Output texts: the primary token first, then the compound parts (folded when the flavour folds, deduplicated).
_Entry = tuple[str, tuple[str, ...], "str | None", "str | None"]
_word_caches: dict[bool, dict[str, _Entry | None]] = {False: {}, True: {}}
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_FOLDED_STOP_WORDS = STOP_WORDS | {fold(w) for w in STOP_WORDS}


def _entry(raw: str, fold_text: bool) -> _Entry | None:
    """What the reference chain does to one token, independent of its neighbours."""
    text = nfc_text(raw).lower()
    stops = _FOLDED_STOP_WORDS if fold_text else STOP_WORDS
    if len(text) < MIN_TOKEN or len(text) > MAX_TOKEN or text in stops:
        return None
    dangling: str | None = None
    if text.endswith("-"):
        surface = text.rstrip("-")
        mod = modifier_lemma(surface) if surface.isalpha() else None
        primary, parts, head = analyse_word(mod[0] if mod else surface)
        head, dangling = None, surface
    else:
        primary, parts, head = analyse_word(text)
    out = [fold(primary) if fold_text else primary]
    for part in parts:
        folded = fold(part) if fold_text else part
        if folded not in out:
            out.append(folded)
    return text, tuple(out), head, dangling


def _stopped(t: Token, raw: str, pos: int | None) -> Token:
    """``t`` as a kept stop word (only when the caller asked not to remove them)."""
    t.text = nfc_text(raw).lower()
    t.stopped = True
    if pos is not None:
        t.pos = pos
    return t


def _join_pending(
    pending: str, ttl: int, text: str, head: str | None, index_mode: bool, fold_text: bool
) -> tuple[str | None, str | None, int]:
    """(extra token, pending, ttl) after a word that follows a dangling first part ("hälso- och sjukvård").

    The first compound within three words gets the joined form (first part + its head) as an extra token."""
    if head is not None and index_mode and "-" not in text:
        extra = analyse_word(pending + head)[0]
        return (fold(extra) if fold_text else extra), None, ttl
    ttl -= 1
    return None, (None if ttl <= 0 else pending), ttl


class SwedishAnalyzer(_Switches, Analyzer):  # type: ignore[misc]  # Whoosh is untyped
    """Tokenizer, lowercase, stop words and ``SwedishFilter`` in one pass, with per-word results cached.

    Produces exactly the tokens (texts, positions, chars, stopped flags) of the reference chain
    ``_analyzer()``; the per-word work (stemming, definite forms, decompounding, folding) is done once
    per distinct word and process. Only the two switches are pickled into the index TOC.
    """

    def __repr__(self) -> str:
        return f"SwedishAnalyzer(decompound={self.decompound}, fold={self.fold})"

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        if not tokenize:
            return iter(_analyzer(self.fold, self.decompound)(
                value, positions=positions, chars=chars, keeporiginal=keeporiginal, removestops=removestops,
                start_pos=start_pos, start_char=start_char, tokenize=False, mode=mode, **kwargs,
            ))
        return self._tokens(value, positions, chars, keeporiginal, removestops, start_pos, start_char, mode, **kwargs)

    def _tokens(
        self, value: str, positions: bool, chars: bool, keeporiginal: bool, removestops: bool, start_pos: int,
        start_char: int, mode: str, **kwargs: Any,
    ) -> Iterator[Token]:
        """The single pass: rare cases (kept stop words, a dangling first part) are handled out of line."""
        fold_text = self.fold
        cache = _word_caches[fold_text]
        index_mode = self.decompound and mode == "index"
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos: int | None = None  # renumbered position of the last kept token (stop words removed)
        pending: str | None = None  # dangling first part waiting for a compound ("hälso-")
        pending_ttl = 0
        for i, match in enumerate(_TOKEN_RE.finditer(value)):
            raw = match.group(0)
            try:
                entry = cache[raw]
            except KeyError:
                if len(cache) >= WORD_CACHE_SIZE:
                    cache.clear()
                entry = cache[raw] = _entry(raw, fold_text)
            t.boost = 1.0
            if keeporiginal:
                t.original = raw
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            if entry is None:
                if not removestops:
                    yield _stopped(t, raw, start_pos + i if positions else None)
                continue
            t.stopped = False
            if positions:
                pos = start_pos + i if pos is None else pos + 1
                t.pos = pos
            text, outs, head, dangling = entry
            extra: str | None = None
            if dangling is not None:
                pending, pending_ttl = dangling, 3
            elif pending is not None:
                extra, pending, pending_ttl = _join_pending(pending, pending_ttl, text, head, index_mode, fold_text)
            t.text = outs[0]
            yield t
            if index_mode:
                for part in outs[1:]:
                    t.text = part
                    yield t
                if extra is not None and extra not in outs:
                    t.text = extra
                    yield t


def swedish_analyzer(decompound: bool = True) -> SwedishAnalyzer:
    """The analyzer of title, headings and body."""
    return SwedishAnalyzer(decompound=decompound, fold=False)


def folded_analyzer(decompound: bool = True) -> SwedishAnalyzer:
    """Like ``swedish_analyzer`` but folds å/ä/ö and accents, for queries typed without them."""
    return SwedishAnalyzer(decompound=decompound, fold=True)


def reference_analyzer(folded: bool = False, decompound: bool = True) -> CompositeAnalyzer:
    """The slow, filter-chain form of the analyzers (kept to check ``SwedishAnalyzer`` against)."""
    return _analyzer(folded, decompound)


@lru_cache(maxsize=65536)
def compound_parts(word: str) -> tuple[str, ...]:
    """Stems the index-time analyzer emits for one word besides its own stem (compound parts; () if none).

    "hedersvåldsutsatta" → stems of hedersvåld, heder, våld, utsatta. Cached; for query-side decompounding.
    """
    tokens = [t.text for t in swedish_analyzer()(word, mode="index")]
    return tuple(tokens[1:]) if len(tokens) > 1 else ()


def analyze(text: str, *, folded: bool = False, mode: str = "index") -> list[str]:
    """Token texts for ``text`` (for tests, debugging and the search engineer's query checks)."""
    analyzer = folded_analyzer() if folded else swedish_analyzer()
    return [t.text for t in analyzer(text, mode=mode)]
