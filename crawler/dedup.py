"""Exact and near-duplicate grouping: 64-bit simhash over word shingles, Hamming distance ≤ 3."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from kb.store import Store

log = logging.getLogger(__name__)

SHINGLE = 3
MAX_DISTANCE = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_MASK = (1 << 64) - 1


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def simhash(text: str, shingle: int = SHINGLE) -> int:
    """64-bit simhash (as a signed int) of the text's lower-cased word shingles; 0 for empty text."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0
    if len(words) < shingle:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + shingle]) for i in range(len(words) - shingle + 1)]
    counts = [0] * 64
    for gram in grams:
        h = _h64(gram)
        for bit in range(64):
            counts[bit] += 1 if (h >> bit) & 1 else -1
    value = 0
    for bit in range(64):
        if counts[bit] > 0:
            value |= 1 << bit
    if value >= 1 << 63:  # SQLite integers are signed 64-bit: store the two's-complement form
        value -= 1 << 64
    return value or 1  # 0 means "not computed"


def hamming(a: int, b: int) -> int:
    return bin((a ^ b) & _MASK).count("1")


@dataclass
class _Doc:
    url: str
    content_hash: str
    simhash: int
    dup_of: str | None
    locations: list[str]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def canonical_key(url: str) -> tuple[int, str]:
    """The canonical copy of a group is the document with the shortest URL (then alphabetical): stable across runs."""
    return (len(url), url)


def group_duplicates(docs: list[tuple[str, str, int]], max_distance: int = MAX_DISTANCE) -> list[list[str]]:
    """Groups (canonical first) of URLs whose content hash is equal or simhash is within ``max_distance``.

    ``docs`` are (url, content_hash, simhash). Near-duplicate candidates come from
    4 bands of 16 bits: two fingerprints within 3 bits agree on at least one band.
    """
    uf = _UnionFind()
    by_hash: dict[str, str] = {}
    bands: list[dict[int, list[tuple[str, int]]]] = [{} for _ in range(4)]
    for url, chash, sh in docs:
        uf.find(url)
        if chash in by_hash:
            uf.union(url, by_hash[chash])
        else:
            by_hash[chash] = url
        if not sh:
            continue
        for i in range(4):
            key = (sh >> (16 * i)) & 0xFFFF
            bucket = bands[i].setdefault(key, [])
            for other, osh in bucket:
                if uf.find(other) != uf.find(url) and hamming(sh, osh) <= max_distance:
                    uf.union(url, other)
            if len(bucket) < 200:  # a bucket that large is boilerplate-only text; do not go quadratic
                bucket.append((url, sh))
    groups: dict[str, list[str]] = {}
    for url, _h, _s in docs:
        groups.setdefault(uf.find(url), []).append(url)
    out = []
    for members in groups.values():
        if len(members) > 1:
            out.append(sorted(members, key=canonical_key))
    return out


def dedupe_store(store: Store) -> int:
    """Set ``dup_of`` and ``locations`` on every stored document; returns how many documents changed."""
    docs: dict[str, _Doc] = {}
    for d in store.iter_documents():
        docs[d.url] = _Doc(d.url, d.content_hash, d.simhash, d.dup_of, list(d.locations))
    groups = group_duplicates([(d.url, d.content_hash, d.simhash) for d in docs.values()])
    wanted: dict[str, tuple[str | None, list[str]]] = {url: (None, []) for url in docs}
    for members in groups:
        canonical, others = members[0], members[1:]
        wanted[canonical] = (None, others)
        for url in others:
            wanted[url] = (canonical, [])
    changed = 0
    for url, (dup_of, locations) in wanted.items():
        current = docs[url]
        if current.dup_of == dup_of and current.locations == locations:
            continue
        doc = store.get_document(url)
        if doc is None:
            continue
        doc.dup_of = dup_of
        doc.locations = locations
        store.put_document(doc)  # same content hash: a metadata-only update
        store.mark_changed(url)
        changed += 1
    if groups:
        log.info("duplicates: %d groups, %d documents updated", len(groups), changed)
    return changed
