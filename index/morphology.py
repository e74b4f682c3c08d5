"""Swedish word morphology for the analyzers: lexicon, Snowball stemming, folding, definite forms, decompounding.

Word lists and caches live here at module level, so the analyzer classes that Whoosh pickles into
every index TOC (``index.analysis``) hold no data. The C stemmer is wrapped in module-level
functions (one stemmer per thread; PyStemmer objects are not thread-safe).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from whoosh.lang.stopwords import stoplists

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
CURATED_PATH = DATA_DIR / "compounds.txt"
HUNSPELL_PATH = Path("/usr/share/hunspell/sv_SE.dic")
WORDLIST_PATH = Path("/usr/share/dict/swedish")


MIN_PART = 4  # shortest first or last part of a compound
SHORT_PARTS = frozenset({"hot", "rån", "sex", "köp", "hat", "nät", "liv", "hem", "hus", "lön", "tid", "lag"})
# Words that look like compounds of known words but are not (false friends).
NEVER_SPLIT = frozenset({"hotell", "hotelse", "från", "fråga", "frågor", "förslag", "försvar", "förslags", "förtryck"})
# Prefixes spelled like a word: "misshandel", "missbruk", "misstanke" are no compounds of the noun "miss"
# (a search for "misshandel" found pages with "missbruk" and "människohandel"). Nor are words led by a particle:
# "underlag" is no kind of "lag", "uppgift" no "gift", "omsorg" no "sorg", "återfall" no "fall".
NEVER_FIRST_PARTS = frozenset({"miss", "under", "över", "upp", "uppe", "till", "inne", "efter", "genom", "samman", "fram", "bort",
                               "utan", "mot", "med", "vid", "åter", "före"})
MAX_SPLIT_LEN = 40
DEFINITE_SUFFIXES = ("ets", "ens", "et", "en", "ns", "n")
GENITIVE_PLURALS = ("ers", "ars", "ors")  # genitive -s after an indefinite plural

STOP_WORDS = frozenset(stoplists["sv"])


@dataclass(frozen=True)
class Lexicon:
    """Known Swedish words: lemmas (first parts, base forms) and any form usable as a last part."""

    lemmas: frozenset[str]
    forms: frozenset[str]
    modifier_forms: frozenset[str]  # explicit first-part forms ("abdikations-")
    curated: frozenset[str]
    sources: tuple[str, ...]
    first_forms: frozenset[str] = frozenset()  # first-part forms hunspell-sv licenses ("samtyckes", "hand", "kvinno")


# hunspell-sv's affix flags for the form a word takes as the first part of a compound (sv_SE.aff):
# X: as it is (hand-); v/f: -s (yrkes-, förhands-); u/i: -es/-s (hyres-, ansikts-); y/h: -e (ränte-);
# x: -o (vecko-); w: -u (varu-). Each is (ending replaced, replacement), the first that applies.
_FIRST_FORM_FLAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "X": (("", ""),), "v": (("a", "s"), ("", "s")), "f": (("a", "s"), ("", "s")),
    "u": (("a", "es"), ("e", "s"), ("", "es")), "i": (("a", "es"), ("e", "s"), ("", "es")),
    "y": (("a", "e"), ("", "e")), "h": (("a", "e"), ("", "e")), "x": (("a", "o"), ("e", "o"), ("d", "t")),
    "w": (("a", "u"), ("um", "i")),
}


def first_part_forms(word: str, flags: str) -> list[str]:
    """The first-part forms of a compound that hunspell-sv's flags license for ``word`` ("samtycke"/v → "samtyckes")."""
    out = []
    for flag in flags:
        for old, new in _FIRST_FORM_FLAGS.get(flag, ()):
            if word.endswith(old):
                out.append(word[: len(word) - len(old)] + new)
                break
    return out


def _read_curated(path: Path) -> set[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return words


@lru_cache(maxsize=4)
def load_lexicon(
    curated_path: Path = CURATED_PATH,
    hunspell_path: Path | None = HUNSPELL_PATH,
    wordlist_path: Path | None = WORDLIST_PATH,
) -> Lexicon:
    """Read the curated list plus whichever system word lists exist (a missing one logs a warning)."""
    curated = _read_curated(curated_path)
    lemmas: set[str] = set(curated)
    forms: set[str] = set(curated)
    modifier_forms: set[str] = set()
    first_forms: set[str] = set()
    sources = [str(curated_path)]
    have_lemmas = False
    if hunspell_path is not None and hunspell_path.is_file():
        with hunspell_path.open(encoding="utf-8", errors="replace") as fh:
            next(fh, None)  # first line is the entry count
            for line in fh:
                word, _, flags = line.strip().partition("/")
                if not word or "%" in flags or word != word.lower() or not word[0].isalpha():
                    continue
                if word.endswith("-"):
                    modifier_forms.add(word[:-1])
                elif "Z" in flags:  # ONLYINCOMPOUND: a linking form such as "kvinno", "hälso"
                    modifier_forms.add(word)
                elif "-" not in word and "." not in word:
                    lemmas.add(word)
                    first_forms.update(first_part_forms(word, flags))
        have_lemmas = True
        sources.append(str(hunspell_path))
    elif hunspell_path is not None:
        log.warning("Swedish lemma list %s is missing (apt-get install hunspell-sv); decompounding uses fewer words", hunspell_path)
    if wordlist_path is not None and wordlist_path.is_file():
        # Debian's wswedish list is ISO-8859-1.
        for line in wordlist_path.read_text(encoding="latin-1").splitlines():
            word = line.strip()
            if word and word == word.lower() and word.isalpha():
                forms.add(word)
                if not have_lemmas:
                    lemmas.add(word)
        sources.append(str(wordlist_path))
    elif wordlist_path is not None:
        log.warning("Swedish word list %s is missing (apt-get install wswedish); decompounding uses the shipped list", wordlist_path)
    forms |= lemmas
    return Lexicon(frozenset(lemmas), frozenset(forms), frozenset(modifier_forms), frozenset(curated), tuple(sources),
                   frozenset(first_forms | modifier_forms))


_installed: list[Lexicon] = []  # the default lexicon read from data/cache/ (index.wordcache), when it was


def install_lexicon(lex: Lexicon) -> None:
    """Make ``lex``, equal to ``load_lexicon()``'s but read from a cache file, the one ``lexicon()`` answers."""
    _installed[:] = [lex]


def lexicon() -> Lexicon:
    """The lexicon the analyzers use (loaded once per process)."""
    return _installed[0] if _installed else load_lexicon()


# -- stemming ---------------------------------------------------------------
_local = threading.local()


def _stemmer() -> Any:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer  # PyStemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("swedish")
    return stemmer


@lru_cache(maxsize=262144)
def stem_swedish(word: str) -> str:
    """Snowball Swedish stem of a lowercase word."""
    return str(_stemmer().stemWord(word))


_ts_lemmas: dict[int, frozenset[str]] = {}


def _keeps_s(word: str, lex: Lexicon) -> bool:
    """A base form ending in -s that Snowball cuts ("insats" → insat, "resurs" → resur, "analys" → analy) while its
    plural keeps it ("insatser" → insats): "insats" found 147 of the 877 pages on "insatser". Not when the word
    without the -s is a word too ("barns", "kurs": genitive or ambiguous)."""
    return (len(word) >= 4 and word.endswith("s") and word in lex.lemmas and word[:-1] not in lex.lemmas
            and stem_swedish(word) == word[:-1])


def _stem(word: str, head: str | None = None) -> str:
    """``stem_swedish`` with two Swedish -s endings put right. A base form ending in -s keeps it (``_keeps_s``; for a
    compound, its ``head`` decides: "arbetsplats" like "plats"). The passive supine's -s comes off: Snowball stems
    "hotats" to "hotat" (no page says that) but "hotat" and "hotad" to "hot", so "hotats", "misshandlats",
    "placerats" found nothing; only for a form the lexicon has without the -s and that is no word ending in -ts
    itself ("plats", "insats", "arbetsplats")."""
    lex = lexicon()
    if _keeps_s(head or word, lex):
        return word
    stem = stem_swedish(word)
    if len(word) <= 5 or not word.endswith("ts"):
        return stem
    if word in lex.lemmas or (word[:-1] not in lex.forms and word[:-1] not in lex.lemmas):
        return stem
    ts = _ts_lemmas.get(id(lex.lemmas))
    if ts is None:
        ts = _ts_lemmas[id(lex.lemmas)] = frozenset(w for w in lex.lemmas if w.endswith("ts") and len(w) >= 4)
    if any(word[-k:] in ts for k in range(4, len(word))):
        return stem
    shorter = stem_swedish(word[:-1])
    return shorter if shorter != stem and stem.startswith(shorter) else stem


_SWEDISH_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "è": "e", "ü": "u", "á": "a", "à": "a",
                               "æ": "ae", "ø": "o"})
_FOLD_EXTRA = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Fold å/ä/ö and other accents to ASCII letters (å→a, ä→a, ö→o, é→e)."""
    quick = text.translate(_SWEDISH_FOLD)  # Swedish letters by table, ~30× faster than the decomposition
    if quick.isascii():
        return quick
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- morphology ---------------------------------------------------------------
def reduce_definite(word: str, lex: Lexicon | None = None) -> str:
    """Strip a definite/genitive ending Snowball leaves ("brottet" → "brott") when the base is a lemma.

    A genitive plural loses its -s ("kvinnojourers" → "kvinnojourer"), unless the word is itself a lemma."""
    lex = lex or lexicon()
    if word in lex.lemmas or len(word) < 5:
        return word
    if len(word) >= 6 and word.endswith(GENITIVE_PLURALS):  # "kvinnojourers" → "kvinnojourer" (Snowball keeps the -er)
        return word[:-1]
    for suffix in DEFINITE_SUFFIXES:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= 3 and base in lex.lemmas:
                return base
    # "arbetet" → "arbete", "arbetets" → "arbete"
    for suffix in ("ts", "t"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if base.endswith("e") and base in lex.lemmas:
                return base
    return word


def _part_ok(part: str) -> bool:
    return len(part) >= MIN_PART or part in SHORT_PARTS


def modifier_lemma(surface: str, lex: Lexicon | None = None) -> tuple[str, int] | None:
    """(lemma, penalty) behind a first part with its linking morpheme ("kvinno" → "kvinna", "tvångs" → "tvång").

    Penalty 0: the surface is a lemma or carries a linking morpheme; 1: a final vowel was dropped.
    """
    lex = lex or lexicon()
    candidates: list[tuple[str, int]] = [(surface, 0)]
    if surface.endswith("s"):
        candidates.append((surface[:-1], 0))
    if surface.endswith(("o", "u", "e")):
        candidates.append((surface[:-1] + "a", 0))  # kvinno→kvinna, gatu→gata
    if surface.endswith(("e", "a", "u", "o")):
        candidates.append((surface[:-1], 0))
    if _part_ok(surface):
        candidates += [(surface + "a", 1), (surface + "e", 1)]  # dropped vowel: flick→flicka, pojk→pojke
    for cand, penalty in candidates:
        if _part_ok(cand) and (cand in lex.lemmas or cand in lex.curated):
            return cand, penalty
    if surface in lex.modifier_forms and _part_ok(surface):
        return surface, 0
    return None


BAD_HEADS = frozenset(
    {"het", "heten", "heter", "hetens", "ing", "ingen", "ning", "ningen", "else", "elsen", "skap", "skapet",
     "dom", "domen", "lig", "liga", "ligt", "ande", "ende", "are", "aren", "arna", "inne", "isk", "iska",
     "era", "erna", "orna", "tion", "tionen", "ell", "ella", "ellt"}
) | STOP_WORDS


def _head_known(head: str, lex: Lexicon) -> bool:
    if not _part_ok(head) or head in BAD_HEADS or head in lex.modifier_forms and head not in lex.forms:
        return False
    if head in lex.forms or head in lex.curated:
        return True
    return reduce_definite(head, lex) != head


@lru_cache(maxsize=131072)
def _head_known_default(head: str) -> bool:
    """``_head_known`` against the default lexicon; heads recur across many words ("-arbete", "-ningen")."""
    return _head_known(head, lexicon())


@lru_cache(maxsize=131072)
def _modifier_default(surface: str) -> tuple[str, int] | None:
    """``modifier_lemma`` against the default lexicon, cached (first parts recur too)."""
    return modifier_lemma(surface, lexicon())


@lru_cache(maxsize=131072)
def _reduce_definite_default(word: str) -> str:
    return reduce_definite(word, lexicon())


@lru_cache(maxsize=1)
def _never_split_stems() -> frozenset[str]:
    return frozenset(stem_swedish(w) for w in NEVER_SPLIT)


Split = tuple[tuple[str, ...], str, str, int]  # (parts, first-part surface, head surface, penalty)


def _particle(left: str) -> bool:
    """A first part that is a particle, also with a linking -s- ("unders|ökning" is no kind of "ökning", "genoms|lag")."""
    if left in NEVER_FIRST_PARTS:
        return True
    mod = _modifier_default(left)
    return mod is not None and mod[0] in NEVER_FIRST_PARTS


def _linking_s_misplaced(left: str, head: str, lex: Lexicon) -> int:
    """1 when hunspell-sv says the -s- between ``left`` and ``head`` belongs to the other side.

    "samtycke|slag" vs "samtyckes|lag", "diskriminering|slagen" vs "diskriminerings|lagen": samtycke and
    diskriminering take -s- as first parts; "hand|slag" stays, hand- takes none."""
    forms = lex.first_forms
    if head.startswith("s") and not left.endswith("s") and left not in forms and left + "s" in forms:
        return int(_head_known_default(head[1:]))
    if left.endswith("s") and left not in forms and left[:-1] in forms and not left[:-1].endswith("s"):
        return int(_head_known_default("s" + head))
    return 0


@lru_cache(maxsize=262144)
def split_compound(word: str, depth: int = 0) -> Split | None:
    """Split a compound into (parts incl. sub-compounds, first-part surface, head surface), or None.

    Every binary split whose last part is a known word (or itself a compound) and
    whose first part is a lemma after removing a linking morpheme (or itself a
    compound) is a candidate; the best has no dropped vowel, a curated part, then
    the longest last part. Both sides are split further, and the first part is
    also joined with the first part of the last ("heders"+"våld" from
    "hedersvåldsutsatta").
    """
    lex = lexicon()
    n = len(word)
    if n < 6 or n > MAX_SPLIT_LEN or not word.isalpha() or depth > 3:
        return None
    if word in NEVER_SPLIT or stem_swedish(_reduce_definite_default(word)) in _never_split_stems():
        return None
    best: tuple[tuple[int, int, int, int, int], Split] | None = None
    for i in range(3, n - 2):
        left, head = word[:i], word[i:]
        if _particle(left):
            continue
        head_sub: Split | None = None
        if not _head_known_default(head):
            if len(head) < 6 or depth >= 2:
                continue
            head_sub = split_compound(head, depth + 1)
            if head_sub is None:
                continue
        mod = _modifier_default(left)
        if mod is not None:
            left_lemma, penalty = mod
            left_parts: tuple[str, ...] = (left_lemma,)
            sub = split_compound(left_lemma, depth + 1) if len(left_lemma) >= 6 else None
            if sub is not None:
                left_parts += sub[0]
        else:
            stripped = left[:-1] if left.endswith("s") else left
            sub = split_compound(stripped, depth + 1) if len(stripped) >= 6 else None
            if sub is None:
                continue
            left_lemma, penalty = _reduce_definite_default(stripped), 1
            left_parts = (left_lemma,) + sub[0]
        recursive_head = head_sub is not None
        if head_sub is None and len(head) >= 6 and depth < 2:
            head_sub = split_compound(head, depth + 1)
            if head_sub is not None and head_sub[3] > 0:
                head_sub = None  # "tjänsten" is not "tjän"+"sten"
        head_parts: tuple[str, ...] = (_reduce_definite_default(head),)
        if head_sub is not None:
            head_parts += head_sub[0] + (left + head_sub[1],)
        curated = 0 if any(p in lex.curated for p in left_parts + head_parts) else 1
        key = (penalty, _linking_s_misplaced(left, head, lex), int(recursive_head), curated, -len(head))
        if best is None or key < best[0]:
            parts = tuple(dict.fromkeys(left_parts + head_parts))
            best = (key, (parts, left, head, penalty))
    return best[1] if best else None


@lru_cache(maxsize=262144)
def analyse_word(word: str) -> tuple[str, tuple[str, ...], str | None]:
    """(primary stem, stems of the parts, head surface or None) for one lowercase word."""
    if ":" in word:
        base, _, tail = word.partition(":")
        if tail.isalpha() and len(tail) <= 4:
            word = base
    if "-" in word or "/" in word:
        pieces = re.split(r"([-/])", word)
        primary_pieces: list[str] = []
        parts: list[str] = []
        head: str | None = None
        for piece in pieces:
            if piece in ("-", "/") or not piece:
                primary_pieces.append(piece)
                continue
            p_primary, p_parts, p_head = analyse_word(piece)
            primary_pieces.append(p_primary)
            parts.append(p_primary)
            parts.extend(p_parts)
            head = p_head or piece
        primary = "".join(primary_pieces)
        return primary, tuple(p for p in dict.fromkeys(parts) if p != primary and len(p) >= 2), head
    split = split_compound(word)
    if split is None:
        return _stem(_reduce_definite_default(word)), (), None
    parts_lemmas, left, head, _penalty = split
    reduced_head = _reduce_definite_default(head)
    primary = _stem(left + reduced_head, reduced_head)
    stems = tuple(s for s in dict.fromkeys(_stem(p) for p in parts_lemmas) if s != primary)
    return primary, stems, head
