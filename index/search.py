"""The search service: one reused Whoosh searcher per process, safe queries, ranking, facets, snippets, cache."""

from __future__ import annotations

import bisect
import copy
import ctypes
import itertools
import json
import logging
import mmap
import os
import re
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

from index.facets import FacetTable
from index.highlight import snippet, term_pattern
from index.query import (
    PROXIMITY_SLOP,
    PROXIMITY_WEIGHT,
    SynonymTable,
    analyze,
    build_query,
    clean_text,
    parse,
    proximity_pairs,
)
from kb.searchmodel import NOTICE_ERROR, FacetValue, Hit, SearchRequest, SearchResponse
from kb.settings import Settings
from kb.taxonomy import Taxonomy, load_taxonomy

__all__ = ["FacetValue", "Hit", "SearchRequest", "SearchResponse", "SearchService"]

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 1.0
RERANK_DEPTH = 200  # top hits whose score gets freshness/national/sub-area adjustments
FRESHNESS_WEIGHT = 0.10  # at most +10 % for this year's documents, fading to 0 over 10 years
NATIONAL_WEIGHT = 0.05  # +5 % for national agencies' guidance
DELOMRADE_WEIGHT = 0.5  # within a sub-area filter: score × (1 - w + w × sub-area score)
FEW_HITS = 3  # fewer hits than this triggers the fuzzy fallback
LOCAL_ORGANISATION_MARKERS = ("kommun", "region ", "regionen ", "landsting")
RECENT_MAX = 100  # recent() answers at most this many; the order is computed once per generation
SURFACE_DOCS = 20  # documents read to find how a corrected word is really written
SURFACE_CHARS = 200_000  # characters of each such document's text looked at
TERM_CACHE_BYTES = 64 << 20  # per generation: term postings (int32 doc, float64 score: 12 bytes each) kept, LRU
INDEX_MMAP = False  # read index files through file handles (page cache, not RSS); True maps them, see open_index
_BYTE_TO_LENGTH = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)
_LENGTH_BYTE_ONE = length_to_byte(1)

MALLOC_ARENAS = 2  # glibc malloc arenas per process once a SearchService exists (0: leave the default)
_M_ARENA_MAX = -8  # glibc's mallopt parameter number

NOTICE_UNAVAILABLE = "Sökindexet är inte byggt ännu. Försök igen senare."
NOTICE_FUZZY = "Inga exakta träffar – visar träffar med liknande stavning."


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; True when applied.

    By default glibc gives each thread that allocates its own arena (up to 8 per core), and each keeps
    the freed per-query numpy arrays (~1 MiB each at 100k documents) for reuse: with 50 concurrent
    clients on a 40-thread pool a worker held ~110 MiB more than one serving them in turn. Two arenas
    keep that to ~15 MiB; searches hold the generation lock anyway, so threads hardly contend for them.
    Process-wide and idempotent; a no-op where there is no glibc (or ``arenas`` is 0).
    """
    if arenas <= 0:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, int(arenas)))


def _resolve_current(index_root: Path) -> Path | None:
    link = Path(index_root) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (Path(index_root) / target).resolve()
    return path if path.is_dir() else None


def _is_national(organisation: str) -> bool:
    low = organisation.lower()
    return bool(low) and not any(m in low for m in LOCAL_ORGANISATION_MARKERS)


def _freshness(published: date | None, today: date) -> float:
    if published is None:
        return 0.0
    years = max(0.0, (today - published).days / 365.25)
    return max(0.0, 1.0 - years / 10.0)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v)]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else None


class _MappedFile(StructFile):
    """A read-only Whoosh file over a slice of an mmap, without copying it.

    Whoosh's own mmap path wraps every sub-file of a compound segment in ``BytesIO(memoryview)``, which
    copies the whole segment (postings, columns, term index: ~350 MiB at 100k documents) into each
    worker's private memory. Here reads slice the mapping: the pages stay shared, reclaimable page cache.
    """

    def __init__(self, buf: memoryview, name: str | None = None, mapping: mmap.mmap | None = None) -> None:
        super().__init__(self, name=name)  # StructFile's read/seek/tell delegate to self.file: this object
        self._buf = buf
        self._pos = 0
        self._mapping = mapping  # set on the top-level file only: it closes the mapping
        self.is_real = False

    # -- the file protocol StructFile and pickle use --------------------------------
    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        start = self._pos
        end = len(self._buf) if n is None or n < 0 else min(len(self._buf), start + n)
        self._pos = max(start, end)
        return self._buf[start:end].tobytes()

    def readline(self, limit: int | None = -1) -> bytes:  # type: ignore[override]
        end = len(self._buf) if limit is None or limit < 0 else min(len(self._buf), self._pos + limit)
        stop = self._pos
        while stop < end:
            chunk = self._buf[stop:min(end, stop + 4096)].tobytes()
            nl = chunk.find(b"\n")
            if nl >= 0:
                stop += nl + 1
                break
            stop += len(chunk)
        out = self._buf[self._pos:stop].tobytes()
        self._pos = stop
        return out

    def seek(self, offset: int, whence: int = 0) -> int:  # type: ignore[override]
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += len(self._buf)
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:  # type: ignore[override]
        return self._pos

    def write(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        raise OSError("the index is opened read-only")

    def flush(self) -> None:
        return None

    # -- StructFile's random access, straight from the mapping ---------------------
    def get(self, position: int, length: int) -> bytes:
        return self._buf[position:position + length].tobytes()

    def subset(self, offset: int, length: int, name: str | None = None) -> _MappedFile:
        return _MappedFile(self._buf[offset:offset + length], name=name or self._name)

    def close(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        buf, self._buf = self._buf, memoryview(b"")
        buf.release()
        if self._mapping is not None:
            try:
                self._mapping.close()
            except BufferError:  # sub-files still open (a reader not yet collected): unmapped with them
                pass
            self._mapping = None


class _ServingStorage(FileStorage):
    """Whoosh storage for serving: files are mapped read-only and read without private copies."""

    def __init__(self, path: str) -> None:
        # supports_mmap=False makes CompoundStorage call our file's subset() instead of copying sub-files.
        super().__init__(path, supports_mmap=False, readonly=True)

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        with open(self._fpath(name), "rb") as fh:
            try:
                mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file cannot be mapped
                return StructFile(open(self._fpath(name), "rb"), name=name, **kwargs)
        return _MappedFile(memoryview(mapped), name=name, mapping=mapped)


def open_index(path: Path, use_mmap: bool = True) -> Any:
    """Open a published generation for searching: shared mmap without private copies, or plain reads."""
    if use_mmap:
        return _ServingStorage(str(path)).open_index()
    return FileStorage(str(path), supports_mmap=False, readonly=True).open_index()


class _Unsupported(Exception):
    """A query node the array evaluator does not handle (the Whoosh collector is used instead)."""


class _Postings:
    """Per-generation LRU of every term's (docnums, BM25F scores), computed exactly as Whoosh scores them.

    Scoring all matches through Whoosh's collector costs Python calls per posting per query; here a
    term is read block-wise once and its scores are vectors, so a query is a few numpy operations.
    """

    def __init__(self, searcher: Any, live: np.ndarray, max_bytes: int = TERM_CACHE_BYTES) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.size = self.reader.doc_count_all()
        self.live = live
        self.max_bytes = max_bytes
        weighting = searcher.weighting
        self.B = float(getattr(weighting, "B", 0.75))
        self.K1 = float(getattr(weighting, "K1", 1.2))
        self._field_B: dict[str, float] = dict(getattr(weighting, "_field_B", {}))
        self.bm25 = isinstance(weighting, BM25F)
        self._lengths: dict[str, np.ndarray] = {}  # field -> Whoosh's length byte per document (uint8)
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0
        self._phrases: OrderedDict[tuple[str, tuple[str, ...], int], np.ndarray] = OrderedDict()

    def lengths(self, fieldname: str, docs: np.ndarray) -> np.ndarray:
        """Field lengths of the given documents, decoded from Whoosh's one-byte length column."""
        return _BYTE_TO_LENGTH[self._length_bytes(fieldname)[docs]]

    def _length_bytes(self, fieldname: str) -> np.ndarray:
        arr = self._lengths.get(fieldname)
        if arr is None:
            arr = np.full(self.size, _LENGTH_BYTE_ONE, dtype=np.uint8)
            for leaf, offset in self.reader.leaf_readers():
                n = leaf.doc_count_all()
                col = None
                perdoc = getattr(leaf, "_perdoc", None)
                if perdoc is not None and hasattr(perdoc, "_cached_reader"):
                    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

                    col = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if col is not None and getattr(col, "_typecode", None) == "B" and hasattr(col, "_dbfile"):
                    count = min(n, int(getattr(col, "_count", n)))  # trailing documents may have no entry
                    raw = col._dbfile.get(col._basepos, count)
                    arr[offset:offset + count] = np.frombuffer(raw, dtype=np.uint8)
                else:
                    arr[offset:offset + n] = [length_to_byte(leaf.doc_field_length(d, fieldname, 1) or 1)
                                              for d in range(n)]
            self._lengths[fieldname] = arr
        return arr

    def _read(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids: list[int] = []
        weights: list[float] = []
        for leaf, offset in self.reader.leaf_readers():
            if (fieldname, text) not in leaf:
                continue
            m = leaf.postings(fieldname, text)
            if isinstance(m, FilterMatcher):
                m = m.child  # deleted documents are masked out below
            start = len(ids)
            if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
                while m.is_active():  # Whoosh 3 codec: whole blocks at a time
                    m._read_ids()
                    m._read_weights()
                    ids.extend(m._ids)
                    weights.extend(m._weights)
                    m._next_block()
            else:
                while m.is_active():
                    ids.append(m.id())
                    weights.append(m.weight())
                    m.next()
            if offset:
                ids[start:] = [d + offset for d in ids[start:]]
        docs = np.asarray(ids, dtype=np.int32)
        w = np.asarray(weights, dtype=np.float64)
        if len(docs):
            keep = self.live[docs]
            if not keep.all():
                docs, w = docs[keep], w[keep]
        return docs, w

    def term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) of one term; empty arrays when the index does not know it."""
        key = (fieldname, text)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        if fieldname not in self.schema:
            raise _Unsupported(fieldname)
        docs, w = self._read(fieldname, text)
        fieldobj = self.schema[fieldname]
        if len(docs) and fieldobj.scorable and self.bm25:
            idf = self.searcher.idf(fieldname, text)
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            B = self._field_B.get(fieldname, self.B)
            dl = self.lengths(fieldname, docs)
            scores = idf * ((w * (self.K1 + 1)) / (w + self.K1 * ((1 - B) + B * dl / avgfl)))
        elif len(docs) and not self.bm25:
            raise _Unsupported("weighting")
        else:
            scores = w  # unscorable fields: Whoosh's WeightScorer
        entry = (docs, scores)
        self._cache[key] = entry
        self._held += docs.nbytes + scores.nbytes
        while self._held > self.max_bytes and len(self._cache) > 1:
            _, (old, old_scores) = self._cache.popitem(last=False)
            self._held -= old.nbytes + old_scores.nbytes
        return entry

    def phrase_docs(self, q: wq.Phrase) -> np.ndarray:
        """Documents where the phrase occurs (Whoosh checks positions), cached per generation."""
        key = (q.fieldname, tuple(q.words), int(q.slop))
        hit = self._phrases.get(key)
        if hit is None:
            plain = wq.Phrase(q.fieldname, list(q.words), slop=q.slop)
            hit = np.fromiter(self.searcher.docs_for_query(plain), dtype=np.int32)
            self._phrases[key] = hit
            if len(self._phrases) > 512:
                self._phrases.popitem(last=False)
        else:
            self._phrases.move_to_end(key)
        return hit

    def positions(self, fieldname: str, text: str, docs: list[int]) -> dict[int, list[int]]:
        """Positions of a term in the given (few) documents, skipping through its postings."""
        out: dict[int, list[int]] = {}
        if (fieldname, text) not in self.reader:
            return out
        m = self.reader.postings(fieldname, text)
        for d in sorted(docs):
            if not m.is_active():
                break
            m.skip_to(d)
            if m.is_active() and m.id() == d:
                out[d] = list(m.value_as("positions"))
        return out

    def evaluate(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """(matched mask, score per document) with Whoosh's semantics: Or/And sum, AndNot keeps the left."""
        n = self.size
        if isinstance(q, wq.Term):
            docs, scores = self.term(q.fieldname, q.text)
            mask = np.zeros(n, dtype=bool)
            mask[docs] = True
            out = np.zeros(n, dtype=np.float64)
            out[docs] = scores * q.boost
            return mask, out
        if isinstance(q, wq.Every):
            return self.live.copy(), np.zeros(n, dtype=np.float64)
        if isinstance(q, wq.AndNot):
            mask, out = self.evaluate(q.a)
            neg, _ = self.evaluate(q.b)
            mask &= ~neg
            out[~mask] = 0.0
            return mask, out
        if isinstance(q, (wq.Or, wq.And)) and type(q) in (wq.Or, wq.And):
            if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
                raise _Unsupported("coordination")
            subs = q.subqueries
            if not subs:
                return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float64)
            mask, out = self.evaluate(subs[0])
            for sub in subs[1:]:
                m2, s2 = self.evaluate(sub)
                if isinstance(q, wq.And):
                    mask &= m2
                else:
                    mask |= m2
                out += s2
            if isinstance(q, wq.And):
                out[~mask] = 0.0
            if len(subs) > 1 and q.boost != 1.0:  # Whoosh ignores the boost of a one-child compound
                out *= q.boost
            return mask, out
        if isinstance(q, wq.Phrase):
            found = self.phrase_docs(q)
            mask = np.zeros(n, dtype=bool)
            mask[found] = True
            out = np.zeros(n, dtype=np.float64)
            if len(found):
                for word in q.words:  # Whoosh scores a phrase as the sum of its terms
                    docs, scores = self.term(q.fieldname, word)
                    dense = np.zeros(n, dtype=np.float64)
                    dense[docs] = scores
                    out[found] += dense[found]
                out *= q.boost
            return mask, out
        raise _Unsupported(type(q).__name__)


class _Generation:
    """One opened index generation: searcher, facet table, synonyms, spelling vocabulary."""

    def __init__(self, path: Path, taxonomy: Taxonomy) -> None:
        self.path = path
        self.ix = open_index(path, INDEX_MMAP)
        self.searcher = self.ix.searcher()
        self.schema = self.ix.schema
        try:
            self.meta = json.loads((path / "generation.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.meta = {}
        self.name = str(self.meta.get("generation") or path.name)
        started = time.perf_counter()
        self.table = table = FacetTable.build(self.searcher.reader())
        self.synonyms = SynonymTable.build(taxonomy.synonym_groups(), self.schema)
        self.doc_count = table.reps.bit_count()
        size = self.size = table.size
        self.live_mask = _mask_from_bits(table.live, size)
        self.reps_mask = _mask_from_bits(table.reps, size)
        self.dup_ids = np.nonzero(table.rep != np.arange(size, dtype=np.int32))[0]
        self.dup_reps = table.rep[self.dup_ids].astype(np.intp)
        self.has_published = table.published > 0
        self.published_ord = table.published  # day ordinals, 0 when undated
        self.first_seen_ord = table.first_seen
        national = np.array([_is_national(name) for name in table.organisation_names], dtype=bool)
        self.national = national[table.organisation_code]
        self.postings = _Postings(self.searcher, self.live_mask)
        self.spelling: dict[str, tuple[str, str]] = {}  # typed word -> (query term, shown word); "" for none
        reader = self.searcher.reader()
        self.dscores = (reader.column_reader("dscores") if "dscores" in self.schema and reader.has_column("dscores")
                        else None)
        self.overview: dict[str, list[FacetValue]] | None = None
        self.recent_order: list[int] | None = None  # newest representatives first (at most RECENT_MAX)
        self.recent_hits: dict[int, list[Hit]] = {}
        self.surfaces: dict[str, Counter[str]] = {}  # stem -> how the index's texts write it
        self.suggestions: OrderedDict[str, list[str]] = OrderedDict()
        # Whoosh readers share file handles: one caller at a time uses this generation's searcher and caches.
        self.lock = threading.RLock()
        self._state = threading.Lock()
        self._refs = 0
        self._retired = False
        self.closed = False
        log.info("opened index %s (%d documents) in %.0f ms", self.name, self.doc_count,
                 (time.perf_counter() - started) * 1000)

    def acquire(self) -> bool:
        """Take a reference; False once the generation is retired (the caller then takes the new one)."""
        with self._state:
            if self._retired:
                return False
            self._refs += 1
            return True

    def release(self) -> None:
        """Drop a reference; the last user of a retired generation closes it."""
        with self._state:
            self._refs -= 1
            last = self._retired and self._refs == 0 and not self.closed
            if last:
                self.closed = True
        if last:
            self._close()

    def retire(self) -> None:
        """No new users from now on; closed at once when idle, else by its last user's release()."""
        with self._state:
            self._retired = True
            idle = self._refs == 0 and not self.closed
            if idle:
                self.closed = True
        if idle:
            self._close()

    def _close(self) -> None:
        log.debug("closing index generation %s", self.name)
        try:
            self.searcher.close()
        finally:
            self.ix.close()


def _mask_from_bits(bits: int, size: int) -> np.ndarray:
    raw = bits.to_bytes((size >> 3) + 1, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:size].astype(bool)


def _bits_from_mask(mask: np.ndarray) -> int:
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def _parse_dscores(value: Any) -> dict[str, float]:
    """The ``dscores`` column value "slug=0.83;slug2=0.40" as a mapping."""
    out: dict[str, float] = {}
    for item in str(value or "").split(";"):
        slug, _, num = item.partition("=")
        try:
            out[slug.strip()] = float(num)
        except ValueError:
            continue
    return out


_WORD_RE = re.compile(r"[^\W\d_]+")


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _near(first: list[int], second: list[int], slop: int) -> bool:
    """Whoosh's ordered SpanNear: some position of the second word 1..slop after one of the first."""
    later = sorted(second)
    for p in first:
        i = bisect.bisect_right(later, p)
        if i < len(later) and later[i] - p <= slop:
            return True
    return False


class _SortedWords:
    """A sorted, read-only word list in one string plus int32 offsets (~3 bytes a word instead of ~70).

    Supports ``len``, indexing and therefore ``bisect``; the autocomplete vocabulary is ~120k words.
    """

    def __init__(self, words: Any) -> None:
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


@dataclass
class _Ranked:
    total: int
    docs: list[tuple[float, int]]  # (score, docnum) of every result in final order (page sliced later)
    suggestion: str | None
    notice: str | None
    stems: list[str]
    facets: dict[str, list[FacetValue]]


class SearchService:
    """Thread-safe search over the published index; reopens only when ``current`` points elsewhere."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy | None = None) -> None:
        self.settings = settings
        self.taxonomy = taxonomy or load_taxonomy()
        limit_malloc_arenas()  # before the server's thread pool starts allocating
        # Held only while looking for and opening a new generation; searches never take it.
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple[Any, ...], SearchResponse] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._gen: _Generation | None = None
        self._target: Path | None = None
        self._failed: Path | None = None  # a generation that could not be opened (not retried)
        self._checked = 0.0
        self._vocab: _SortedWords | None = None
        self._closed = False
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self.reload()

    # -- generation handling ----------------------------------------------
    def reload(self) -> bool:
        """Look for a newly published generation now (waiting for a reload in progress); True when swapped."""
        return self._maybe_reload(force=True)

    def _maybe_reload(self, force: bool = False) -> bool:
        """Swap in the generation ``current`` points at, at most once per RELOAD_CHECK_SECONDS.

        Unforced calls never wait: when another thread is already reloading they keep the current generation.
        The old generation is retired, not closed: callers still using it finish first."""
        if not force and time.monotonic() - self._checked < RELOAD_CHECK_SECONDS:
            return False
        if not self._lock.acquire(blocking=force):
            return False
        old: _Generation | None = None
        try:
            if self._closed or (not force and time.monotonic() - self._checked < RELOAD_CHECK_SECONDS):
                return False
            self._checked = time.monotonic()
            target = _resolve_current(self.settings.index_root)
            if target == self._target and (self._gen is not None or target is None):
                return False
            if target is not None and target == self._failed:
                return False  # generations are immutable: a directory that failed to open stays broken
            new: _Generation | None = None
            if target is not None:
                try:
                    new = _Generation(target, self.taxonomy)
                except Exception:
                    log.exception("cannot open index generation %s; keeping the previous one", target)
                    self._failed = target
                    return False
            old = self._gen
            self._gen, self._target = new, target  # before retiring old: a refused acquire() finds the new one
            with self._cache_lock:
                self._cache.clear()
        finally:
            self._lock.release()
        if old is not None:
            old.retire()
        return True

    def _acquire(self) -> _Generation | None:
        while True:
            gen = self._gen
            if gen is None or gen.acquire():
                return gen
            # retired between the read and acquire(): self._gen already holds its successor

    @contextmanager
    def _using(self) -> Iterator[_Generation | None]:
        """The current generation, referenced for the duration of the block (never closed under the caller)."""
        if self._watcher is None:  # with a watcher, requests never spend time opening an index
            self._maybe_reload()
        gen = self._acquire()
        try:
            yield gen
        finally:
            if gen is not None:
                gen.release()

    def start_watching(self, interval: float | None = None) -> None:
        """Check for new generations in a background thread, so no request has to open an index (idempotent)."""
        with self._lock:
            if self._watcher is not None or self._closed:
                return
            self._watcher = threading.Thread(target=_watch, args=(weakref.ref(self), self._stop, interval),
                                             name="kb-index-watcher", daemon=True)
            self._watcher.start()

    # Lock-free snapshots: safe to read on an event loop.
    @property
    def available(self) -> bool:
        return self._gen is not None

    @property
    def generation(self) -> str:
        gen = self._gen
        return gen.name if gen else ""

    @property
    def doc_count(self) -> int:
        gen = self._gen
        return gen.doc_count if gen else 0

    @property
    def built_at(self) -> str:
        """``built_at`` from the generation's generation.json ("" when unknown)."""
        gen = self._gen
        return str(gen.meta.get("built_at") or "") if gen else ""

    def close(self) -> None:
        self._stop.set()
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(timeout=10)
        with self._lock:
            gen = self._gen
            self._gen = None
            self._target = None
            self._closed = True
            self._checked = float("inf")
        if gen is not None:
            gen.retire()

    # -- search -------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResponse:
        """Run a search; never raises on user input (errors become an empty response with a notice)."""
        with self._using() as gen:
            if gen is None:
                return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page,
                                      per_page=request.per_page, results=[], facets={}, sort=request.sort,
                                      notice=NOTICE_UNAVAILABLE)
            key = (gen.name, request.q, tuple(sorted((k, tuple(v)) for k, v in request.filters.items())),
                   request.page, request.per_page, request.sort)
            with self._cache_lock:
                cached = self._cache.get(key)
                if cached is not None:
                    self._cache.move_to_end(key)
                    return copy.deepcopy(cached)
            try:
                with gen.lock:
                    response = self._search(gen, request)
            except Exception:
                log.exception("search failed for %r", request)
                return SearchResponse(query=clean_text(request.q)[0], total=0, page=request.page,
                                      per_page=request.per_page, results=[], facets={}, sort=request.sort,
                                      notice=NOTICE_ERROR, generation=gen.name)
        if self.settings.cache_size > 0:
            with self._cache_lock:
                self._cache[key] = copy.deepcopy(response)
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)
        return response

    def _search(self, gen: _Generation, request: SearchRequest) -> SearchResponse:
        parsed = parse(request.q)
        ranked = self._rank(gen, parsed, request)
        start = (request.page - 1) * request.per_page
        shown = ranked.docs[start:start + request.per_page]
        pattern = term_pattern(ranked.stems)
        results = [self._hit(gen, docnum, score, pattern) for score, docnum in shown]
        return SearchResponse(
            query=parsed.text, total=ranked.total, page=request.page, per_page=request.per_page, results=results,
            facets=ranked.facets, suggestion=ranked.suggestion, generation=gen.name, sort=request.sort,
            notice=ranked.notice,
        )

    def _match(self, gen: _Generation, q: wq.Query | None) -> tuple[np.ndarray, np.ndarray]:
        """(matched mask, score) over every document: array evaluation, Whoosh's collector as a fallback."""
        if q is None:
            return np.zeros(gen.size, dtype=bool), np.zeros(gen.size, dtype=np.float64)
        try:
            return gen.postings.evaluate(q)
        except _Unsupported as exc:
            log.debug("query %s scored by Whoosh (%s)", q, exc)
        mask = np.zeros(gen.size, dtype=bool)
        scores = np.zeros(gen.size, dtype=np.float64)
        for score, d in gen.searcher.search(q, limit=None).top_n:
            mask[d] = True
            scores[d] = score
        return mask, scores

    @staticmethod
    def _groups(gen: _Generation, mask: np.ndarray, scores: np.ndarray) -> tuple[int, np.ndarray]:
        """Matched duplicate groups as a bitset of representatives, and each group's best score."""
        grouped = mask.copy()
        best = scores.copy()
        if len(gen.dup_ids):
            hit = mask[gen.dup_ids]
            if hit.any():
                grouped[gen.dup_reps[hit]] = True
                np.maximum.at(best, gen.dup_reps[hit], scores[gen.dup_ids[hit]])
        grouped &= gen.reps_mask
        return _bits_from_mask(grouped), best

    def _rank(self, gen: _Generation, parsed: Any, request: SearchRequest) -> _Ranked:
        table = gen.table
        schema = gen.schema
        notices = [parsed.notice] if parsed.notice else []
        reader = gen.searcher.reader()
        q = build_query(schema, parsed, gen.synonyms, reader=reader, proximity=False)
        mask, scores = self._match(gen, q)
        allowed = table.allowed(request.filters)
        matched, best = self._groups(gen, mask, scores)
        final = table.apply(matched, allowed)
        corrections, suggestion = self._spelling(gen, parsed) if parsed.positive else ({}, None)
        if corrections and final.bit_count() < FEW_HITS:
            fuzzy_q = build_query(schema, parsed, gen.synonyms, extra_terms=list(corrections.values()), reader=reader,
                                  proximity=False)
            f_mask, f_scores = self._match(gen, fuzzy_q)
            fuzzy_matched, fuzzy_best = self._groups(gen, f_mask, f_scores)
            fuzzy_final = table.apply(fuzzy_matched, allowed)
            if fuzzy_final.bit_count() > final.bit_count():
                matched, best, final = fuzzy_matched, fuzzy_best, fuzzy_final
                notices.append(NOTICE_FUZZY)
        facets = table.counts(matched, request.filters, allowed, self.taxonomy)
        need = request.page * request.per_page
        browse = q is None or isinstance(q, wq.Every)
        docs = self._order(gen, best, _mask_from_bits(final, gen.size), request, browse, need,
                           [] if browse else proximity_pairs(schema, parsed))
        stems = [t for w in list(parsed.words) + list(corrections.values()) + gen.synonyms.expansions(schema, parsed)
                 for t, _ in analyze(schema, "body", w)] if "body" in schema else []
        return _Ranked(total=final.bit_count(), docs=docs, suggestion=suggestion,
                       notice=" ".join(notices) or None, stems=stems, facets=facets)

    def _order(self, gen: _Generation, scores: np.ndarray, final: np.ndarray, request: SearchRequest, browse: bool,
               need: int, pairs: list[tuple[str, str]]) -> list[tuple[float, int]]:
        """The first ``need`` results (representatives only): by adjusted score, by date, or newest first."""
        cand = np.nonzero(final)[0]
        if not len(cand):
            return []
        s = scores[cand]
        if request.sort == "nyast":
            # Undated last; within a date, the better match first.
            order = np.lexsort((cand, -s, -gen.published_ord[cand], ~gen.has_published[cand]))[:need]
            return [(float(scores[d]), int(d)) for d in cand[order]]
        if browse:
            order = np.lexsort((cand, -gen.first_seen_ord[cand]))[:need]
            return [(float(scores[d]), int(d)) for d in cand[order]]
        k = max(RERANK_DEPTH, need)
        if len(cand) > k:
            part = np.argpartition(-s, k - 1)[:k]
            cand, s = cand[part], s[part]
        top = cand[np.lexsort((cand, -s))]
        head = [int(d) for d in top[:RERANK_DEPTH]]
        bonus = self._proximity(gen, head, pairs)
        table = gen.table
        today = date.today()
        delomraden = request.filters.get("delomrade", [])
        adjusted: list[tuple[float, int]] = []
        for d in head:
            factor = 1.0 + FRESHNESS_WEIGHT * _freshness(table.published_date(d), today)
            if gen.national[d]:
                factor += NATIONAL_WEIGHT
            if delomraden:
                sub = self._sub_area_scores(gen, d)
                best = max((float(sub.get(slug, 0.0)) for slug in delomraden), default=0.0)
                factor *= 1.0 - DELOMRADE_WEIGHT + DELOMRADE_WEIGHT * min(1.0, max(0.0, best))
            adjusted.append(((float(scores[d]) + bonus.get(d, 0.0)) * factor, d))
        adjusted.sort(key=lambda sd: (-sd[0], sd[1]))
        return adjusted + [(float(scores[d]), int(d)) for d in top[RERANK_DEPTH:need]]

    @staticmethod
    def _sub_area_scores(gen: _Generation, d: int) -> dict[str, float]:
        if gen.dscores is not None:
            return _parse_dscores(gen.dscores[d])
        stored = gen.searcher.stored_fields(d).get("delomrade_scores") or {}
        return {str(k): float(v) for k, v in stored.items()}

    @staticmethod
    def _proximity(gen: _Generation, head: list[int], pairs: list[tuple[str, str]]) -> dict[int, float]:
        """Whoosh's proximity-phrase score (words 1..slop apart, in order) for the top hits only."""
        bonus: dict[int, float] = {}
        if not pairs or not head:
            return bonus
        postings = gen.postings
        head_arr = np.asarray(sorted(head), dtype=np.int64)
        for a, b in pairs:
            da, sa = postings.term("body", a)
            db, sb = postings.term("body", b)
            both = head_arr[np.isin(head_arr, da) & np.isin(head_arr, db)]
            if not len(both):
                continue
            docs = [int(d) for d in both]
            pa = postings.positions("body", a, docs)
            pb = postings.positions("body", b, docs)
            for d in docs:
                if d in pa and d in pb and _near(pa[d], pb[d], PROXIMITY_SLOP):
                    score = sa[np.searchsorted(da, d)] + sb[np.searchsorted(db, d)]
                    bonus[d] = bonus.get(d, 0.0) + PROXIMITY_WEIGHT * float(score)
        return bonus

    # -- spelling -------------------------------------------------------------
    def _spelling(self, gen: _Generation, parsed: Any) -> tuple[dict[str, str], str | None]:
        """Corrections for words the index does not know, from its own body/title vocabulary.

        Returns (typed word -> term added to the fuzzy query, "Menade du" text). The suggestion only ever
        shows words the indexed texts really contain."""
        reader = gen.searcher.reader()
        schema = gen.schema
        if "body" not in schema:
            return {}, None
        corrections: dict[str, str] = {}
        shown: dict[str, str] = {}
        for word in parsed.words:
            if len(word) < 5 or not word.isalpha() or word.isupper():
                continue
            if word not in gen.spelling:  # the same unknown word costs the automaton walk once per generation
                if len(gen.spelling) > 10_000:
                    gen.spelling.clear()
                    gen.surfaces.clear()
                gen.spelling[word] = self._correct(gen, reader, word)
            term, surface = gen.spelling[word]
            if term:
                corrections[word] = term
            if surface:
                shown[word] = surface
        if not shown:
            return corrections, None
        text = " ".join(shown.get(w, w) for w in parsed.text.split())
        if text == parsed.text:
            text = " ".join(shown.get(w, w) for w in parsed.words)
        return corrections, text

    def _correct(self, gen: _Generation, reader: Any, word: str) -> tuple[str, str]:
        """(query term, surface form) for an unknown word; ("", "") when it is known or nothing is close."""
        schema = gen.schema
        tokens = analyze(schema, "body", word)
        if not tokens:
            return "", ""
        stem = tokens[0][0]
        if reader.doc_frequency("body", stem) or ("title" in schema and reader.doc_frequency("title", stem)):
            return "", ""
        maxdist = 1 if len(word) < 7 else 2
        best: tuple[int, int, str] | None = None
        for dist in range(1, maxdist + 1):
            for cand in reader.terms_within("body", stem, dist, prefix=1):
                df = reader.doc_frequency("body", cand)
                if df and (best is None or (-df, cand) < (best[1], best[2])):
                    best = (dist, -df, cand)
            if best is not None:
                break
        if best is None:
            return "", ""
        cand = best[2]
        low = word.lower()
        surface = self._surface(gen, reader, cand, low)
        # Without a surface form, the typed ending on the corrected stem still analyses to that stem (query only).
        term = surface or (cand + low[len(stem):] if low.startswith(stem) else cand)
        return term, surface

    @staticmethod
    def _surface(gen: _Generation, reader: Any, stem: str, typed: str) -> str:
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

    # -- hits -----------------------------------------------------------------
    def _hit(self, gen: _Generation, docnum: int, score: float, pattern: Any) -> Hit:
        stored = gen.searcher.stored_fields(docnum)
        duplicates = _as_list(stored.get("duplicates"))
        url = str(stored.get("url", ""))
        for other in gen.table.members.get(int(gen.table.rep[docnum]), []):
            if other != docnum:
                other_url = str(gen.searcher.stored_fields(other).get("url", ""))
                if other_url and other_url != url and other_url not in duplicates:
                    duplicates.append(other_url)
        page_count = stored.get("page_count")
        return Hit(
            url=url,
            title=str(stored.get("title") or url),
            snippet=snippet(str(stored.get("body") or ""), pattern, str(stored.get("description") or "")),
            organisation=str(stored.get("organisation") or ""),
            source=str(stored.get("source") or ""),
            delomraden=_as_list(stored.get("delomrade")),
            doc_type=str(stored.get("doc_type") or ""),
            published=_iso(stored.get("published")),
            score=float(score),
            format=str(stored.get("format") or "html"),
            malgrupp=_as_list(stored.get("malgrupp")),
            size=int(stored.get("size") or 0),
            page_count=int(page_count) if page_count else None,
            explanation=str(stored.get("explanation") or ""),
            delomrade_scores={str(k): float(v) for k, v in (stored.get("delomrade_scores") or {}).items()},
            duplicates=duplicates,
        )

    # -- start page -------------------------------------------------------------
    def recent(self, limit: int = 10) -> list[Hit]:
        """Newest documents by first_seen (one per duplicate group); computed once per generation."""
        limit = max(1, min(int(limit), RECENT_MAX))
        with self._using() as gen:
            if gen is None:
                return []
            with gen.lock:
                hits = gen.recent_hits.get(limit)
                if hits is None:
                    if gen.recent_order is None:
                        cand = np.nonzero(gen.reps_mask)[0]
                        order = np.lexsort((cand, -gen.first_seen_ord[cand]))[:RECENT_MAX]
                        gen.recent_order = [int(d) for d in cand[order]]
                    hits = gen.recent_hits[limit] = [self._hit(gen, d, 0.0, None) for d in gen.recent_order[:limit]]
                return copy.deepcopy(hits)

    def facet_overview(self) -> dict[str, list[FacetValue]]:
        """Facet counts over every document (start page entry points); computed once per generation."""
        with self._using() as gen:
            if gen is None:
                return {}
            with gen.lock:
                if gen.overview is None:
                    gen.overview = gen.table.counts(gen.table.reps, {}, {}, self.taxonomy)
                return copy.deepcopy(gen.overview)

    # -- autocomplete -------------------------------------------------------------
    def _wordlist(self) -> _SortedWords:
        if self._vocab is None:
            words: set[str] = set()
            for group in self.taxonomy.synonym_groups():
                words.update(str(m).lower() for m in group)
            for cat in self.taxonomy.delomraden:
                words.add(cat.label.lower())
                words.update(t.lower() for t in cat.terms)
            try:
                with open("/usr/share/dict/swedish", encoding="latin-1") as fh:
                    words.update(w.strip().lower() for w in fh if w.strip().isalpha())
            except OSError:
                log.warning("no Swedish word list for autocomplete")
            self._vocab = _SortedWords(words)
        return self._vocab

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions of the last word (or a taxonomy phrase) that occur in the index, most documents first."""
        text, _ = clean_text(prefix, 100)
        text = text.lower()
        limit = max(1, min(int(limit), 20))
        if len(text.replace(" ", "")) < 2:
            return []
        with self._using() as gen:
            if gen is None or "body" not in gen.schema:
                return []
            vocab = self._wordlist()  # built once per service, outside the generation's lock
            with gen.lock:
                cached = gen.suggestions.get(text)
                if cached is not None:
                    gen.suggestions.move_to_end(text)
                    return cached[:limit]
                found = self._suggest(gen, text, vocab)
                gen.suggestions[text] = found
                if len(gen.suggestions) > 2048:
                    gen.suggestions.popitem(last=False)
                return found[:limit]

    @staticmethod
    def _suggest(gen: _Generation, text: str, vocab: _SortedWords) -> list[str]:
        head, _, last = text.rpartition(" ")
        scored: list[tuple[int, str]] = []
        reader = gen.searcher.reader()
        for needle, lead in ((text, ""), (last, head + " " if head else "")):
            if len(needle) < 2:
                continue
            i = bisect.bisect_left(vocab, needle)
            checked = 0
            while i < len(vocab) and vocab[i].startswith(needle) and checked < 300:
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
            if len(out) >= 20:
                break
        return out


def _watch(ref: weakref.ref[SearchService], stop: threading.Event, interval: float | None) -> None:
    """The background reloader: holds the service only weakly, stops with close() or when it is gone."""
    while not stop.wait(RELOAD_CHECK_SECONDS if interval is None else interval):
        service = ref()
        if service is None:
            return
        try:
            service._maybe_reload()
        except Exception:  # keep watching: the next publish may be fine
            log.exception("checking for a new index generation failed")
        del service
