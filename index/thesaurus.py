"""General Swedish synonyms from the LibreOffice thesaurus (Debian ``mythes-sv``), matched on Snowball stems."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from whoosh import query as wq

from index.morphology import analyse_word

log = logging.getLogger(__name__)

THESAURUS_PATH = Path("/usr/share/mythes/th_sv_SE_v2.dat")
MAX_RELATED = 5  # synonyms per typed word, in the thesaurus's order, only those the index knows
SWAPPED_PART_WEIGHT = 0.2  # a two-part compound with one part replaced by a synonym, both words on a page
MAX_SWAPPED = 3  # synonyms per part
SWAPPED_FIELDS = ("title", "body")


@lru_cache(maxsize=4)
def load_thesaurus(path: Path) -> dict[str, tuple[str, ...]]:
    """Stem of a headword -> stems of its one-word synonyms, stemmed as the analyzer does ({} with a warning when missing).

    MyThes format (ISO-8859-1): a line "word|n" followed by n lines "(class)|synonym|synonym…"."""
    try:
        lines = path.read_text(encoding="latin-1").splitlines()[1:]
    except OSError:
        log.warning("Swedish thesaurus %s is missing (apt-get install mythes-sv); no general synonyms", path)
        return {}
    table: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        head, _, count = lines[i].partition("|")
        n = int(count) if count.isdigit() else 0
        words = [w for line in lines[i + 1:i + 1 + n] for w in line.split("|")[1:] if w.isalpha()]
        i += 1 + n
        if head.isalpha() and words:
            table.setdefault(analyse_word(head.lower())[0], []).extend(analyse_word(w.lower())[0] for w in words)
    return {k: tuple(dict.fromkeys(s for s in v if s != k)) for k, v in table.items()}


def related_stems(stem: str, doc_frequency: Callable[[str, str], int], path: Path | None = None) -> list[str]:
    """Stems of the thesaurus's synonyms of ``stem`` that occur in the body field (at most MAX_RELATED)."""
    table = load_thesaurus(path or THESAURUS_PATH)
    out: list[str] = []
    for s in table.get(stem, ()):
        if len(out) >= MAX_RELATED:
            break
        if doc_frequency("body", s):
            out.append(s)
    return out


def swapped_part_queries(atoms: list[str], doc_frequency: Callable[[str, str], int], path: Path | None = None) -> list[wq.Query]:
    """For a compound of two parts: the other part AND a synonym of one part, in title and body, at SWAPPED_PART_WEIGHT.

    "nätkränkningar" (nät + kränkning) also finds pages saying "kränkningar på internet"."""
    if len(atoms) != 2:
        return []
    out: list[wq.Query] = []
    for i, atom in enumerate(atoms):
        for syn in related_stems(atom, doc_frequency, path)[:MAX_SWAPPED]:
            out += [wq.And([wq.Term(f, atoms[1 - i]), wq.Term(f, syn)], boost=SWAPPED_PART_WEIGHT) for f in SWAPPED_FIELDS]
    return out
