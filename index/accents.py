"""Accents a query left out: "aldre" is searched as "äldre" when the lexicon says that is the only word it can be."""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path

from index.affixes import is_form
from index.morphology import HUNSPELL_PATH, fold, lexicon, split_compound

ACCENTED = {"a": "åä", "o": "ö"}  # the letters with å/ä/ö, by the letter typed for them
_ACCENTS = {k: k + v for k, v in ACCENTED.items()}
MIN_CAPITALS_RESTORED = 6  # a word in capitals this long is no abbreviation
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
    # capitals: an abbreviation ("MAL", "HAR") stays; a longer word in capitals ("VALDSUTOVARE") is a word
    if len(low) < 2 or (word.isupper() and len(word) < MIN_CAPITALS_RESTORED) or low != fold(low) or not low.isalpha():
        return word
    slots = [i for i, c in enumerate(low) if c in _ACCENTS]
    lex = lexicon()
    if not slots or len(slots) > MAX_ACCENT_SLOTS or low in lex.forms or low in lex.lemmas or is_form(low):
        return word  # "mottagningarna" was searched as "mottagningärna": a form hunspell-sv makes is a word too
    # A known word with an -s (passive, genitive) is real too: "har utsatts för" is not "utsätts"; likewise a past
    # passive ("utsatt" → "utsattes")
    if low[:-1] in lex.forms and low.endswith("s") or low[:-2] in lex.forms and low.endswith(("des", "tes")):
        return word
    if word[:1].isupper() and low in _proper_names():  # "Lars", "Anders", "Oskar" are no "lärs", "änders", "öskar"
        return word
    found = []
    compounds: list[tuple[int, int, int, str]] = []  # (penalty, parts, letters changed, spelling)
    for combo in itertools.product(*(_ACCENTS[low[i]] for i in slots)):
        chars = list(low)
        for i, c in zip(slots, combo, strict=True):
            chars[i] = c
        cand = "".join(chars)
        if cand == low:
            continue
        if cand in lex.forms or cand in lex.lemmas:
            found.append(cand)
        elif not found and (split := split_compound(cand)) is not None:
            compounds.append((split[3], len(split[0]), sum(a != b for a, b in zip(cand, low, strict=True)), cand))
    if not found:
        found = _best_compound(low, compounds)
    if len(found) != 1:
        return word
    return found[0].upper() if word.isupper() else found[0].capitalize() if word[:1].isupper() else found[0]


def _best_compound(low: str, compounds: list[tuple[int, int, int, str]]) -> list[str]:
    """A compound the lexicon does not list as a whole: the accented spelling that splits into known words best
    ("hedersfortrycket" → hedersförtrycket, "sakerhetsplanering" → säkerhetsplanering, "garningsperson" →
    gärningsperson: each found less than, or nothing of, what the accented word finds) — fewest parts, then fewest
    letters changed; none when the word as typed splits as well ("barnahus") or two spellings tie."""
    if not compounds:
        return []
    compounds.sort()
    best = compounds[0]
    if best[0] != 0 or (len(compounds) > 1 and compounds[1][:3] == best[:3]):
        return []
    own = split_compound(low)  # as typed, a compound of as few known words ("barnahus"): it means what it says
    if own is not None and own[3] == 0 and len(own[0]) <= best[1]:
        return []
    return [best[3]]
