"""Term postings as numpy vectors: Whoosh's BM25F scores per term, cached per generation, and a query evaluator."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

DF_CACHE_SIZE = 100_000  # (field, term) document frequencies kept per generation
TERM_CACHE_BYTES = 64 << 20  # per generation: term postings (int32 doc, float64 score: 12 bytes each) kept, LRU
_BYTE_TO_LENGTH = np.array([byte_to_length(b) or 1 for b in range(256)], dtype=np.float64)
_LENGTH_BYTE_ONE = length_to_byte(1)


def mask_from_bits(bits: int, size: int) -> np.ndarray:
    """A boolean array of ``size`` documents from a bitset (bit d = document d)."""
    raw = bits.to_bytes((size >> 3) + 1, "little")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little")[:size].astype(bool)



def bits_from_mask(mask: np.ndarray) -> int:
    """The bitset of a boolean document array (inverse of ``mask_from_bits``)."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


class Unsupported(Exception):
    """A query node the array evaluator does not handle (the Whoosh collector is used instead)."""


class Postings:
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
        self._df: dict[tuple[str, str], int] = {}

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """The reader's document frequency, cached per generation (query expansion asks for the same words again)."""
        key = (fieldname, text)
        df = self._df.get(key)
        if df is None:
            if len(self._df) >= DF_CACHE_SIZE:
                self._df.clear()
            df = self._df[key] = int(self.reader.doc_frequency(fieldname, text))
        return df

    def lengths(self, fieldname: str, docs: np.ndarray) -> np.ndarray:
        """Field lengths of the given documents, decoded from Whoosh's one-byte length column."""
        lengths: np.ndarray = _BYTE_TO_LENGTH[self._length_bytes(fieldname)[docs]]
        return lengths

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
            raise Unsupported(fieldname)
        docs, w = self._read(fieldname, text)
        fieldobj = self.schema[fieldname]
        if len(docs) and fieldobj.scorable and self.bm25:
            idf = self.searcher.idf(fieldname, text)
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            B = self._field_B.get(fieldname, self.B)
            dl = self.lengths(fieldname, docs)
            scores = idf * ((w * (self.K1 + 1)) / (w + self.K1 * ((1 - B) + B * dl / avgfl)))
        elif len(docs) and not self.bm25:
            raise Unsupported("weighting")
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

    def _terms_or(self, q: wq.Or) -> tuple[np.ndarray, np.ndarray]:
        """An Or of terms (a word in every field, a word's derived forms): each term's postings added in place.

        The same sums in the same order as the general case, without two dense arrays per term."""
        mask = np.zeros(self.size, dtype=bool)
        out = np.zeros(self.size, dtype=np.float64)
        for sub in q.subqueries:
            docs, scores = self.term(sub.fieldname, sub.text)
            mask[docs] = True
            out[docs] += scores * sub.boost
        if len(q.subqueries) > 1 and q.boost != 1.0:
            out *= q.boost
        return mask, out

    def _compound(self, q: wq.Or | wq.And) -> tuple[np.ndarray, np.ndarray]:
        """Or: union and sum; And: intersection and sum (Whoosh's semantics)."""
        n = self.size
        if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
            raise Unsupported("coordination")
        subs = q.subqueries
        if not subs:
            return np.zeros(n, dtype=bool), np.zeros(n, dtype=np.float64)
        if type(q) is wq.Or and all(type(s) is wq.Term for s in subs):
            return self._terms_or(q)
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
        if isinstance(q, wq.Require):  # both must match; only the first is scored
            mask, out = self.evaluate(q.a)
            req, _ = self.evaluate(q.b)
            mask &= req
            out[~mask] = 0.0
            return mask, out
        if isinstance(q, wq.AndNot):
            mask, out = self.evaluate(q.a)
            neg, _ = self.evaluate(q.b)
            mask &= ~neg
            out[~mask] = 0.0
            return mask, out
        if isinstance(q, (wq.Or, wq.And)) and type(q) in (wq.Or, wq.And):
            return self._compound(q)
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
        raise Unsupported(type(q).__name__)

