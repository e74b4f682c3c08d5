"""General Swedish synonyms from the LibreOffice thesaurus (Debian ``mythes-sv``), matched on Snowball stems."""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh import query as wq

from index import wordcache
from index.morphology import analyse_word

log = logging.getLogger(__name__)

THESAURUS_PATH = Path("/usr/share/mythes/th_sv_SE_v2.dat")
MAX_RELATED = 5  # synonyms per typed word, in the thesaurus's order, only those the index knows
SWAPPED_PART_WEIGHT = 0.2  # a two-part compound with one part replaced by a synonym, both words on a page
MAX_SWAPPED = 3  # synonyms per part
SWAPPED_FIELDS = ("title", "body")
CACHE_FORMAT = 1  # bump when the table's cache layout changes

Table = dict[str, tuple[str, ...]]
_tables: dict[Path, Table] = {}  # per process, per source file: parsed (or read from the cache) once
_tables_lock = threading.Lock()


def load_thesaurus(path: Path, cache_dir: Path | None = None) -> Table:
    """Stem of a headword -> stems of its one-word synonyms, stemmed as the analyzer does ({} with a warning when missing).

    Once per process and source file. With ``cache_dir`` (the data directory's ``cache/``) the stemmed table is read
    from a cache file there (~10 ms instead of ~1 s of stemming), written on first use and rebuilt whenever the
    thesaurus, the word lists or the analyzer's code change; without one, or when the folder is not writable, the
    file is parsed as before."""
    table = _tables.get(path)
    if table is None:
        with _tables_lock:
            table = _tables.get(path)
            if table is None:
                table = _tables[path] = read_thesaurus(path, cache_dir)
    return table


def read_thesaurus(path: Path, cache_dir: Path | None = None) -> Table:
    """``load_thesaurus`` without the per-process memo: the cache file when it is current, else the parsed source."""
    try:
        key = cache_key(path)
    except OSError:
        return parse_thesaurus(path)  # missing: parse_thesaurus says so and answers {}
    cache = cache_file(path, cache_dir) if cache_dir is not None else None
    if cache is not None:
        cached = _read_cache(cache, key)
        if cached is not None:
            return cached
    table = parse_thesaurus(path)
    if cache is not None:
        _write_cache(cache, key, table)
    return table


def parse_thesaurus(path: Path) -> Table:
    """Parse and stem the source file.

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


# -- the cache file ---------------------------------------------------------------------------------------------------
def cache_key(path: Path) -> dict[str, Any]:
    """Everything the stemmed table depends on: the source file, the analyzer's word lists and code
    (``index.wordcache.word_lists_key``, this module's included) and the stemmer. OSError when the source is missing."""
    st = path.stat()
    import Stemmer  # PyStemmer, the analyzer's stemmer
    import whoosh  # its Swedish stop words are the analyzer's

    return {**wordcache.word_lists_key(__file__), "thesaurus": CACHE_FORMAT, "source": [str(path), st.st_size, st.st_mtime_ns],
            "stemmer": str(Stemmer.version()), "whoosh": whoosh.versionstring()}


def cache_file(path: Path, cache_dir: Path) -> Path:
    """The cache file of one source file (one per source, overwritten when it is rebuilt)."""
    return cache_dir / f"thesaurus-{hashlib.sha256(str(path).encode()).hexdigest()[:16]}.tsv"


def _read_cache(cache: Path, key: dict[str, Any]) -> Table | None:
    """The cached table when current (``index.wordcache.read_lines``): one line per headword, "stem<TAB>synonym stem<TAB>…"
    (splitting lines is four times faster than parsing the same table as JSON)."""
    lines = wordcache.read_lines(cache, key)
    if lines is None:
        return None
    table: Table = {}
    collecting = gc.isenabled()
    gc.disable()  # 12k new tuples would set off full collections of a heap that holds the lexicon: 60 ms instead of 15
    try:
        for line in lines:
            words = line.split("\t")
            table[words[0]] = tuple(words[1:])
    finally:
        if collecting:
            gc.enable()
    return table


def _write_cache(cache: Path, key: dict[str, Any], table: Table) -> None:
    """Written atomically (``index.wordcache.write_lines``); not at all when a stem holds a tab, which the layout cannot carry."""
    if not any("\t" in w for k, v in table.items() for w in (k, *v)):
        wordcache.write_lines(cache, key, ["\t".join((k, *v)) for k, v in table.items()])


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
