"""Accents a query left out: "aldre" is searched as "äldre" when the lexicon says that is the only word it can be."""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path

from index.morphology import HUNSPELL_PATH, fold, lexicon

_ACCENTS = {"a": "aåä", "o": "oö"}
MAX_ACCENT_SLOTS = 6  # a word with more a/o than this is not restored (3^6 candidates at most)


@lru_cache(maxsize=1)
def _proper_names(path: Path = HUNSPELL_PATH) -> frozenset[str]:
    """Names hunspell-sv lists with a capital ("Lars", "Anders"), lowercased; empty without the list."""
    if not path.is_file():
        return frozenset()
    with path.open(encoding="utf-8", errors="replace") as fh:
        words = (line.partition("/")[0].strip() for line in fh)
        return frozenset(w.lower() for w in words if w[:1].isupper() and w[1:].islower() and w.isalpha())


@lru_cache(maxsize=4096)
def restore_accents(word: str) -> str:
    """The word a query typed without å/ä/ö means, when that is certain: "aldre" → "äldre", "atgarder" → "åtgärder".

    Only a word the lexicon does not know whose one accented spelling it does know is restored; a real word ("vald",
    "har", "mal") and an ambiguous one stay as typed (``index.query._accentless_fields`` decides what folding may add
    to those). Stemming would otherwise take "aldre" to the stem of "aldrig"."""
    low = word.lower()
    if len(low) < 2 or word.isupper() or low != fold(low) or not low.isalpha():
        return word
    slots = [i for i, c in enumerate(low) if c in _ACCENTS]
    lex = lexicon()
    if not slots or len(slots) > MAX_ACCENT_SLOTS or low in lex.forms or low in lex.lemmas:
        return word
    # A known word with an -s (passive, genitive) is real too: "har utsatts för" is not "utsätts"; likewise a past
    # passive ("utsatt" → "utsattes")
    if low[:-1] in lex.forms and low.endswith("s") or low[:-2] in lex.forms and low.endswith(("des", "tes")):
        return word
    if word[:1].isupper() and low in _proper_names():  # "Lars", "Anders", "Oskar" are no "lärs", "änders", "öskar"
        return word
    found = []
    for combo in itertools.product(*(_ACCENTS[low[i]] for i in slots)):
        chars = list(low)
        for i, c in zip(slots, combo, strict=True):
            chars[i] = c
        cand = "".join(chars)
        if cand != low and (cand in lex.forms or cand in lex.lemmas):
            found.append(cand)
    if len(found) != 1:
        return word
    return found[0].capitalize() if word[:1].isupper() else found[0]
