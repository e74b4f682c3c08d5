"""Facet counting and filtering with per-generation bitsets (Python ints), disjunctive across facets."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from kb.searchmodel import FACET_KEYS, FacetValue
from kb.taxonomy import Taxonomy

log = logging.getLogger(__name__)


def bits_from_docnums(docnums: Iterable[int], size: int) -> int:
    """A bitset (int, bit d = document d) from document numbers."""
    buf = bytearray((size >> 3) + 1)
    for d in docnums:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def docnums_from_bits(bits: int) -> list[int]:
    """Document numbers set in a bitset, ascending."""
    out: list[int] = []
    raw = bits.to_bytes((bits.bit_length() >> 3) + 1, "little")
    for i, byte in enumerate(raw):
        if byte:
            base = i << 3
            for j in range(8):
                if byte >> j & 1:
                    out.append(base + j)
    return out


class BitView:
    """Cheap membership tests on a bitset (one conversion instead of a shift per test)."""

    def __init__(self, bits: int) -> None:
        self._raw = bits.to_bytes((bits.bit_length() >> 3) + 1, "little")

    def __contains__(self, d: int) -> bool:
        i = d >> 3
        return i < len(self._raw) and bool(self._raw[i] >> (d & 7) & 1)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


@dataclass
class FacetTable:
    """Everything per generation that ranking and facets need, without touching stored fields.

    ``rep[d]`` is the representative document of d's duplicate group (d itself when alone); all
    bitsets hold representatives only, so counts and totals count each group once. Per-document
    columns are compact numpy arrays (no Python object per document): ~14 bytes a document.
    """

    size: int
    live: int
    reps: int
    rep: np.ndarray  # int32 per document
    members: dict[int, list[int]]
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # facet -> value -> bitset
    published: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # ordinal, 0 = undated
    first_seen: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # ordinal, 0 = undated
    last_changed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # ordinal, 0 = unknown
    organisation_code: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # index into names
    organisation_names: list[str] = field(default_factory=lambda: [""])

    def published_date(self, d: int) -> date | None:
        """Document d's publication date (None when undated)."""
        value = int(self.published[d])
        return date.fromordinal(value) if value > 0 else None

    def organisation_of(self, d: int) -> str:
        """Document d's organisation ("" when it has none)."""
        return self.organisation_names[int(self.organisation_code[d])]

    @classmethod
    def build(cls, reader: Any) -> FacetTable:
        size = reader.doc_count_all()
        live_ids = list(reader.all_doc_ids())
        live = bits_from_docnums(live_ids, size)
        live_view = BitView(live)
        rep = np.arange(size, dtype=np.int32)
        members: dict[int, list[int]] = {}
        fieldnames = set(reader.schema.names())
        if "dup_group" in fieldnames:
            for btext, info in reader.iter_field("dup_group"):
                if info.doc_frequency() < 2:
                    continue
                docs = sorted(d for d in reader.postings("dup_group", btext).all_ids() if d in live_view)
                if len(docs) > 1:
                    # The canonical copy (its URL names the group) represents the group.
                    group = reader.schema["dup_group"].from_bytes(btext)
                    canonical = [d for d in docs if reader.stored_fields(d).get("url") == group]
                    if canonical:
                        docs.remove(canonical[0])
                        docs.insert(0, canonical[0])
                    members[docs[0]] = docs
                    for d in docs[1:]:
                        rep[d] = docs[0]
        reps = live & ~bits_from_docnums(np.nonzero(rep != np.arange(size, dtype=np.int32))[0].tolist(), size)
        del live_ids
        table = cls(size=size, live=live, reps=reps, rep=rep, members=members)
        for facet in FACET_KEYS:
            per_value: dict[str, int] = {}
            if facet in fieldnames:
                fobj = reader.schema[facet]
                for btext, _info in reader.iter_field(facet):
                    value = fobj.from_bytes(btext)
                    bits = bits_from_docnums(reader.postings(facet, btext).all_ids(), size) & reps
                    if bits:
                        per_value[str(value)] = bits
            table.values[facet] = per_value
        table.published = cls._column(reader, "published", size)
        table.first_seen = cls._column(reader, "first_seen", size)
        table.last_changed = cls._column(reader, "last_changed", size)
        codes = np.zeros(size, dtype=np.int32)
        names = [""]
        for value, bits in table.values.get("organisation", {}).items():
            names.append(value)
            codes[docnums_from_bits(bits)] = len(names) - 1
        table.organisation_code, table.organisation_names = codes, names
        return table

    @staticmethod
    def _column(reader: Any, fieldname: str, size: int) -> np.ndarray:
        """A date column as day ordinals (int32), 0 for documents without a date."""
        out = np.zeros(size, dtype=np.int32)
        if fieldname not in reader.schema.names() or not reader.has_column(fieldname):
            return out
        col = reader.column_reader(fieldname, translate=False)
        fobj = reader.schema[fieldname]
        for d in range(size):
            try:
                value = _as_date(fobj.from_column_value(col[d]))
            except (OverflowError, ValueError, TypeError):
                value = None  # a document without a date: the column holds a sentinel
            if value is not None and value.year > 1:
                out[d] = value.toordinal()
        return out

    # -- filters and counts ------------------------------------------------
    def allowed(self, filters: Mapping[str, Sequence[str]]) -> dict[str, int]:
        """Per filtered facet, the bitset of documents having any selected value (OR within a facet)."""
        out: dict[str, int] = {}
        for facet, selected in filters.items():
            per_value = self.values.get(facet, {})
            bits = 0
            for value in selected:
                bits |= per_value.get(value, 0)
            out[facet] = bits
        return out

    def apply(self, matched: int, allowed: Mapping[str, int]) -> int:
        for bits in allowed.values():
            matched &= bits
        return matched

    def counts(self, matched: int, filters: Mapping[str, Sequence[str]], allowed: Mapping[str, int],
               taxonomy: Taxonomy, facets: Sequence[str] = FACET_KEYS) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: each facet counted under every active filter except its own."""
        out: dict[str, list[FacetValue]] = {}
        for facet in facets:
            base = matched
            for other, bits in allowed.items():
                if other != facet:
                    base &= bits
            selected = set(filters.get(facet, ()))
            items: list[FacetValue] = []
            for value, bits in self.values.get(facet, {}).items():
                n = (base & bits).bit_count()
                if n or value in selected:
                    label = value if facet in ("organisation", "year") else taxonomy.label(facet, value)
                    items.append(FacetValue(value=value, label=label, count=n, selected=value in selected))
            for value in selected - {v.value for v in items}:
                label = value if facet in ("organisation", "year") else taxonomy.label(facet, value)
                items.append(FacetValue(value=value, label=label, count=0, selected=True))
            items.sort(key=lambda v: (-v.count, v.label.lower(), v.value))
            out[facet] = items
        return out
