"""Query understanding: question and function words dropped, derived forms, missing spaces, abbreviations defined in documents.

Everything here looks only at what was typed, the index's own vocabulary (document frequencies) and the
abbreviation definitions found in the indexed texts ("Brottsförebyggande rådet (Brå)"); nothing names a query.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Question words, auxiliaries and light verbs the stop list keeps: in a query with other words they weigh nothing.
QUERY_STOP_WORDS = frozenset({
    "hur", "vad", "varför", "vilka", "vilken", "vilket", "vem", "vems", "när", "var", "vart", "varifrån", "varav",
    "kan", "ska", "skall", "måste", "bör", "borde", "behöver", "behövs", "får", "fick", "finns", "fanns", "gör", "göra",
    "gjorde", "gjort", "görs", "blir", "bli", "blev", "går", "gäller", "kommer", "vill", "brukar", "sker", "händer",
    "man", "jag", "du", "vi", "ni", "sin", "sitt", "sina", "mycket", "många", "mer", "mest", "någon", "några", "något",
    "varje", "alla", "andra", "annan", "annat", "inte", "också", "även", "bara", "just", "sig", "egen", "eget", "egna",
    "ens", "dvs", "typ", "osv", "finnas", "ja", "nej", "hej", "tack", "snälla",
})

# -- derived forms ------------------------------------------------------------------------------------------
# Suffix alternations between Snowball stems of one word family ("misshandl" ↔ "misshandel", "placer" →
# "placering", "kontroller" → "kontroll", "prostituer" ↔ "prostitution", "förföljd" → "förfölj").
# A candidate is only used when the index knows it, and weighs less than what was typed.
DERIVATIONS: tuple[tuple[str, str], ...] = (
    ("", "ning"), ("", "ing"), ("", "else"), ("er", ""), ("", "er"), ("er", "tion"), ("tion", "er"),
    ("ning", ""), ("ing", ""), ("else", ""), ("d", ""), ("el", "l"),
)
MIN_DERIVATION_BASE = 5  # letters left of the changed suffix ("tid" + "ning" is not a family)
MAX_DERIVED = 3  # related stems per typed word, most frequent first
_CONSONANT_L = re.compile(r"[^aeiouyåäöé]l$")


def derived_stems(stem: str, doc_frequency: Any) -> list[str]:
    """Stems of the same word family that occur in the body field (most documents first, at most MAX_DERIVED)."""
    if not stem.isalpha():
        return []
    found: dict[str, int] = {}
    for old, new in DERIVATIONS:
        if not stem.endswith(old):
            continue
        base = stem[: len(stem) - len(old)] if old else stem
        if len(base) < MIN_DERIVATION_BASE:
            continue
        cand = base + new
        if cand == stem or len(cand) < MIN_DERIVATION_BASE or cand in found:
            continue
        df = int(doc_frequency("body", cand))
        if df:
            found[cand] = df
    if _CONSONANT_L.search(stem) and len(stem) >= MIN_DERIVATION_BASE + 1:  # verb stem "misshandl" → noun "misshandel"
        cand = stem[:-1] + "el"
        df = int(doc_frequency("body", cand))
        if df:
            found[cand] = df
    return [s for s, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_DERIVED]]


# -- verb forms Snowball cannot join ---------------------------------------------------------------------------
VERB_FORMS_PATH = Path(__file__).with_name("data") / "verb_forms.txt"


@lru_cache(maxsize=4)
def _verb_table(path: Path = VERB_FORMS_PATH) -> dict[str, tuple[str, ...]]:
    """Each unmarked form of ``path``'s verbs → its verb's unmarked forms (a marked form is another word: "band")."""
    table: dict[str, tuple[str, ...]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        log.warning("no verb forms (%s): strong verbs are searched as typed", exc)
        return table
    for line in lines:
        forms = line.split("#", 1)[0].split()
        searchable = tuple(f for f in forms if not f.startswith("*"))
        for f in searchable:
            table[f] = searchable
    return table


def verb_forms(word: str) -> list[str]:
    """The other forms of the verb ``word`` is a form of ("slår" → slå, slog, slagit, slogs), passives included
    ("slogs", "utsattes"; "utsätts", "döms" from utsätta, döma); [] for any other word."""
    low = word.lower()
    table = _verb_table()
    forms = table.get(low) or ()
    if not forms and low.endswith("s"):
        forms = table.get(low[:-1]) or table.get(low[:-1] + "a") or ()
    return [f for f in forms if f != low]


# -- missing spaces -----------------------------------------------------------------------------------------
MIN_SPLIT_WORD = 7  # shorter unknown words are left to spelling correction
MIN_SPLIT_PART = 3


def missing_space(word: str, stem_of: Any, doc_frequency: Any) -> tuple[str, str] | None:
    """Two words the index knows that ``word`` (unknown to the index) is written together from, or None.

    "psykisktvåld" → ("psykiskt", "våld"). The split whose rarer half is most frequent wins."""
    low = word.lower()
    if len(low) < MIN_SPLIT_WORD or not low.isalpha():
        return None
    best: tuple[int, int, str, str] | None = None
    for i in range(MIN_SPLIT_PART, len(low) - MIN_SPLIT_PART + 1):
        left, right = low[:i], low[i:]
        sl, sr = stem_of(left), stem_of(right)
        if not sl or not sr:
            continue
        df = min(int(doc_frequency("body", sl)), int(doc_frequency("body", sr)))
        if df and (best is None or (df, len(right)) > best[:2]):
            best = (df, len(right), left, right)
    return (best[2], best[3]) if best else None


# -- abbreviations defined in documents --------------------------------------------------------------------
DEFINITIONS_FILE = "definitions.json"  # [[abbreviation, long form, documents], …] of a generation
MIN_DEFINING_DOCS = 2  # a pairing seen in fewer documents is not trusted
_SHORT = r"[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{1,7}"
# "long form (ABBR)", "long form (2001:453, ABBR)", "long form, förkortad ABBR"
_DEFINITION = re.compile(
    r"\((?:[^()]{0,40}?\d{4}:\d+[^(),]{0,20},\s*)?(?P<short>" + _SHORT + r")\)"
    r"|,?\s+förkortad(?:e|t)?\s+(?P<short2>" + _SHORT + r")\b"
)
_BEFORE_CHARS = 160
_CLAUSE_END = re.compile(r"[()\n.;:!?]")
_WORD = re.compile(r"[\wÅÄÖåäö-]+")


def _is_short_form(short: str) -> bool:
    upper = sum(1 for c in short if c.isupper())
    return 2 <= len(short) <= 8 and short.isalpha() and (upper >= 2 or len(short) <= 4)


def long_form(short: str, before: str) -> str | None:
    """The words before a parenthesis that ``short`` abbreviates (Schwartz & Hearst), or None.

    Every letter of the abbreviation occurs in order in the long form, its first letter starting a word,
    and the long form has at most len(short) + 5 words."""
    words = _WORD.findall(before)
    if not words or not _is_short_form(short):
        return None
    s = short.lower()
    for n in range(1, min(len(words), len(s) + 5) + 1):
        cand_words = words[-n:]
        if cand_words[0][0].lower() != s[0]:
            continue
        cand = " ".join(cand_words)
        if _letters_in_order(s, cand.lower()) and cand.lower() != s:
            return re.sub(r"^(?:och|samt|eller|av|för|i|till|med)\s+", "", cand)
    return None


def _letters_in_order(short: str, long: str) -> bool:
    """Schwartz & Hearst: match the short form right to left, the first letter at a word start."""
    si, li = len(short) - 1, len(long) - 1
    while si >= 0:
        c = short[si]
        while li >= 0 and (long[li] != c or (si == 0 and li > 0 and long[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        si -= 1
        li -= 1
    return True


def find_definitions(text: str) -> Iterator[tuple[str, str]]:
    """(abbreviation, long form) pairs a text defines."""
    if "(" not in text and "förkortad" not in text:
        return
    for m in _DEFINITION.finditer(text):
        before = text[max(0, m.start() - _BEFORE_CHARS):m.start()]
        ends = list(_CLAUSE_END.finditer(before))
        if ends:
            before = before[ends[-1].end():]
        found = long_form(m.group("short") or m.group("short2"), before)
        if found:
            yield m.group("short") or m.group("short2"), found


def collect_definitions(texts: Iterable[str], min_docs: int = MIN_DEFINING_DOCS) -> dict[str, str]:
    """The long form most documents give each abbreviation (defined in at least ``min_docs`` documents)."""
    counter = DefinitionCounter()
    for text in texts:
        counter.add(text)
    return best_definitions(counter.counts, min_docs)


def best_definitions(counts: Counter[tuple[str, str]], min_docs: int = MIN_DEFINING_DOCS) -> dict[str, str]:
    best: dict[str, tuple[int, str]] = {}
    for (short, lf), n in counts.items():
        if n >= min_docs and (short not in best or (n, lf) > best[short]):
            best[short] = (n, lf)
    return {short: lf for short, (_n, lf) in sorted(best.items())}


class DefinitionCounter:
    """Abbreviation definitions counted over the documents of one index build (each pair once per document)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, text: str) -> None:
        self.counts.update({(short, lf.lower()) for short, lf in find_definitions(text)})

    def save(self, gen: Path, prev: Path | None, all_texts: Callable[[], Iterable[str]]) -> None:
        """Write the counts of ``gen``: this build's, plus ``prev``'s for an incremental build.

        An incremental build on a generation without counts reads every text once (``all_texts``). Texts
        replaced or removed by an incremental build stay counted until the next full build."""
        counts = Counter(self.counts)
        if prev is not None:
            old = _read_counts(prev)
            if old is None:
                counts = DefinitionCounter._from(all_texts())
            else:
                counts.update(old)
        rows = [[short, lf, n] for (short, lf), n in sorted(counts.items())]
        (gen / DEFINITIONS_FILE).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")

    @staticmethod
    def _from(texts: Iterable[str]) -> Counter[tuple[str, str]]:
        counter = DefinitionCounter()
        for text in texts:
            counter.add(text)
        return counter.counts


def _read_counts(gen: Path) -> Counter[tuple[str, str]] | None:
    try:
        rows = json.loads((gen / DEFINITIONS_FILE).read_text(encoding="utf-8"))
        return Counter({(str(short), str(lf)): int(n) for short, lf, n in rows})
    except (OSError, ValueError, TypeError):
        return None


def read_definitions(gen: Path, min_docs: int = MIN_DEFINING_DOCS) -> list[tuple[str, str]]:
    """(abbreviation, long form) synonym groups of a generation ([] for a generation built before definitions)."""
    counts = _read_counts(gen)
    return list(best_definitions(counts, min_docs).items()) if counts else []
