"""Build the Whoosh index from the store (full or incremental), check it and publish it atomically."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import shutil
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index.affixes import load_forms_cached
from index.analysis import ANALYZER_VERSION, lexicon
from index.checks import check_generation
from index.expansion import DefinitionCounter
from index.phrases import PhraseCounter, place_names
from index.publish import (
    clean_incomplete,
    current_generation,
    new_generation_dir,
    prune_generations,
    publish,
    read_generation_info,
    remove_generation,
    write_generation_info,
)
from index.schema import SCHEMA_VERSION, build_schema, format_dscores
from index.semantic import build_vectors
from index.versioning import VersionTracker, version_fields
from kb.corrections import Corrections, load_corrections
from kb.errors import IndexBuildError, KbError
from kb.models import Document
from kb.settings import Settings
from kb.sources import Source
from kb.store import Store
from kb.taxonomy import Taxonomy
from kb.textforms import composed, nfc_text

log = logging.getLogger(__name__)

DUPLICATES_FILE = "duplicates.json"  # {canonical URL: [duplicate URLs]} of the generation
WRITER_LIMITMB = 256
MP_BATCH = 100  # documents per job file handed to a sub-writer
MP_MIN_DOCS = 2000  # below this a forked build costs more than it saves (and leaves extra segments)


@dataclass
class BuildResult:
    """What one index build did."""

    generation: str
    mode: str  # "full" | "incremental"
    doc_count: int
    added: int
    updated: int
    deleted: int
    seconds: float
    size_bytes: int

    def __str__(self) -> str:
        kind = "fullständigt" if self.mode == "full" else "inkrementellt"
        return (
            f"Index {self.generation} publicerat ({kind}): {self.doc_count} dokument, "
            f"{self.added} nya, {self.updated} ändrade, {self.deleted} borttagna, "
            f"{self.size_bytes / 1_048_576:.1f} MB på {self.seconds:.1f} s"
        )


def _versions(taxonomy: Taxonomy, sources: list[Source], corrections: Corrections) -> dict[str, str]:
    versions = {"schema_version": SCHEMA_VERSION, "taxonomy_version": taxonomy.version, "analyzer_version": ANALYZER_VERSION,
                "corrections_version": corrections.version}  # kb/corrections.yaml edited: classify everything again
    if sources:  # a source's lan/organisation/… edited: classify again; unreadable sources.yaml (none): keep the published classes
        fields = [(s.id, s.name, s.organisation, s.start_urls, s.lan, s.delomraden, s.doc_type, s.malgrupp) for s in sources]
        versions["sources_version"] = hashlib.sha256(json.dumps(sorted(fields, key=lambda f: f[0])).encode()).hexdigest()[:12]
    return versions


def _datetime(value: date | datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def _duplicate_map(store: Store) -> dict[str, list[str]]:
    """{canonical URL: sorted duplicate URLs} for every stored duplicate (one query)."""
    return store.duplicate_map()


def _first_seen(store: Store, urls: Iterable[str] | None = None) -> dict[str, str]:
    """first_seen per URL from the store (the Document model does not carry it); batched queries."""
    return store.first_seen_map(urls)


class _Indexer:
    """Turns stored documents into Whoosh field dicts (classification happens here)."""

    def __init__(self, sources: list[Source], taxonomy: Taxonomy, corrections: Corrections) -> None:
        from kb.classify import classify

        self._classify = classify
        self.sources = {s.id: s for s in sources}
        self.taxonomy = taxonomy
        self.changed: dict[str, str] = {}  # url -> when the store last saw its text change
        self.definitions = DefinitionCounter()  # abbreviations the indexed texts define ("Brottsförebyggande rådet (Brå)")
        self.corrections = corrections
        self.versions = VersionTracker(self.sources, self.corrections)  # filled before documents are added
        # autocomplete: words, title and heading phrases, the counties and regions the texts name
        self.phrases = PhraseCounter(place_names(self.versions.counties))

    def fields(self, doc: Document, duplicates: list[str], first_seen: str | None) -> dict[str, Any]:
        doc = composed(doc)  # a store filled before extraction composed its text ("ko\u0308nsstympning")
        source = self.sources.get(doc.source)
        c = self._classify(doc, source, self.taxonomy, self.corrections)
        version = self.versions.state(doc.url)
        headings = "\n".join(doc.headings)
        self.definitions.add(doc.text)
        self.phrases.add(doc.title, doc.headings, doc.text)
        out: dict[str, Any] = {
            "url": doc.url,
            "source": doc.source,
            "organisation": source.organisation if source is not None else doc.organisation,
            "title": doc.title,
            "headings": headings,
            "body": doc.text,
            "folded": "\n".join((doc.title, headings, doc.text)),
            "delomrade": ",".join(c.delomraden),
            "delomrade_scores": dict(c.scores),
            "explanation": " ".join(p for p in (c.full_explanation(), version.explanation if version else "") if p),
            "doc_type": c.doc_type,
            "malgrupp": ",".join(c.malgrupp),
            "lan": ",".join(c.lan),
            "malsattning": ",".join(c.malsattningar),
            **version_fields(version),
            "format": doc.format,
            "dup_group": doc.url,
            "duplicates": sorted(set(duplicates) | (set(doc.locations) - {doc.url})),
            "size": doc.size,
            "page_count": doc.page_count,
            "description": doc.description,
        }
        if doc.page_starts:
            out["page_starts"] = doc.page_starts
        if c.scores:
            out["dscores"] = format_dscores(c.scores)
        if c.year:
            out["year"] = str(c.year)
        published = _datetime(doc.published)
        if published is not None:
            out["published"] = published
        seen = _datetime(first_seen)
        if seen is not None:
            out["first_seen"] = seen
        changed = _datetime(self.changed.get(doc.url))
        if changed is not None:
            out["last_changed"] = changed
        return out


def _abandon(writer: Any) -> None:
    """Cancel a failed writer and close every file it still holds (a failed flush, e.g. ENOSPC, leaves them open)."""
    # Whoosh drops file objects it could not flush (ENOSPC); their ResourceWarning is noise here.
    _stop_subwriters(writer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            writer.cancel()
        except Exception as exc:  # the build already failed; the original error is what matters
            log.debug("writer.cancel() failed too: %s", exc)
        _close_files(writer, set(), 0)
        gc.collect()


def _stop_subwriters(writer: Any) -> None:
    """End MpWriter's forked sub-writers: its cancel() only flags the parent's copies, leaving them blocked."""
    for task in getattr(writer, "tasks", []):
        try:
            if task.is_alive():
                task.terminate()
            task.join(10)
        except (OSError, ValueError, AssertionError) as exc:
            log.debug("could not stop index sub-writer %s: %s", getattr(task, "pid", "?"), exc)


def _close_files(obj: Any, seen: set[int], depth: int) -> None:
    """Close the io objects reachable from ``obj`` through Whoosh objects and containers."""
    if id(obj) in seen or depth > 10:
        return
    seen.add(id(obj))
    if isinstance(obj, io.IOBase):
        try:
            obj.close()
        except OSError:
            pass
        return
    children: list[Any] = []
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("whoosh"):
        children = list(vars(obj).values())
    for child in children:
        _close_files(child, seen, depth + 1)


def _close_files_in_traceback(exc: BaseException) -> None:
    """A write that failed half-way (ENOSPC) leaves files open in Whoosh's frames; close them now."""
    seen: set[int] = set()
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("whoosh"):
            for value in tb.tb_frame.f_locals.values():
                _close_files(value, seen, 0)
        tb = tb.tb_next


def _writer(ix: Any, procs: int) -> Any:
    """A single-process writer, or Whoosh's MpWriter (forks ``procs`` sub-writers; CLI process only)."""
    if procs > 1:
        lexicon()  # load once here so the forked sub-writers inherit it
        # multisegment: each sub-writer's segment is published as is (merging them would cost a full rewrite)
        return ix.writer(limitmb=max(32, WRITER_LIMITMB // procs), procs=procs, multisegment=True, batchsize=MP_BATCH)
    return ix.writer(limitmb=WRITER_LIMITMB)


def _full_build(gen: Path, settings: Settings, store: Store, indexer: _Indexer, dups: dict[str, list[str]]) -> int:
    indexer.versions.full(store)
    ix = whoosh_index.create_in(str(gen), build_schema())
    first_seen = _first_seen(store)
    indexer.changed = store.last_changed_map()
    procs = settings.index_procs if len(first_seen) >= MP_MIN_DOCS else 1
    writer = _writer(ix, procs)
    count = 0
    try:
        for doc in store.iter_documents():
            if doc.dup_of and doc.dup_of != doc.url:
                continue
            writer.add_document(**indexer.fields(doc, dups.get(doc.url, []), first_seen.get(doc.url)))
            count += 1
        writer.commit()
    except BaseException:
        _abandon(writer)
        raise
    finally:
        ix.close()
    _check_count(gen, count)
    return count


def _check_count(gen: Path, expected: int) -> None:
    """Every added document must be in the index (MpWriter silently drops a sub-writer that died)."""
    ix = whoosh_index.open_dir(str(gen))
    try:
        found = ix.doc_count()
    finally:
        ix.close()
    if found != expected:
        raise IndexBuildError(f"indexet har {found} dokument men {expected} lades till (documents lost while indexing)")


def _incremental_build(
    gen: Path, prev: Path, prev_info: dict[str, Any], store: Store, indexer: _Indexer, dups: dict[str, list[str]]
) -> tuple[int, int, int, int]:
    """Copy the published generation and apply the store's changes; (added, updated, deleted, newest seq)."""
    for item in prev.iterdir():
        # Copies, not hardlinks: Whoosh rewrites the TOC and segment files of an index it opens.
        if item.is_file() and item.name != "generation.json" and not item.name.endswith(".tmp"):
            shutil.copy2(item, gen / item.name)
    upserts, deletes, newest = store.changes_since(int(prev_info.get("change_seq", 0)))
    old_dups = read_duplicates(prev)
    # Canonicals whose duplicate list changed must be re-indexed too.
    for canonical in set(old_dups) | set(dups):
        if sorted(old_dups.get(canonical, [])) != sorted(dups.get(canonical, [])):
            upserts.add(canonical)
    upserts -= deletes
    upserts |= indexer.versions.incremental(prev, store, upserts, deletes)  # e.g. an old edition gains "Nyare version finns"
    ix = whoosh_index.open_dir(str(gen))
    added = updated = deleted = 0
    writer = ix.writer(limitmb=WRITER_LIMITMB)
    try:
        with ix.searcher() as searcher:
            present = {u for u in upserts | deletes if searcher.document_number(url=u) is not None}
        first_seen = _first_seen(store, sorted(upserts))
        indexer.changed = store.last_changed_map(sorted(upserts))
        for url in sorted(deletes):
            if url in present:
                writer.delete_by_term("url", url)
                deleted += 1
        for url in sorted(upserts):
            doc = store.get_document(url)
            if doc is None or (doc.dup_of and doc.dup_of != doc.url):
                if url in present:
                    writer.delete_by_term("url", url)
                    deleted += 1
                continue
            writer.update_document(**indexer.fields(doc, dups.get(url, []), first_seen.get(url)))
            if url in present:
                updated += 1
            else:
                added += 1
        writer.commit(optimize=False)
    except BaseException:
        _abandon(writer)
        raise
    finally:
        ix.close()
    return added, updated, deleted, newest


def read_duplicates(gen: Path) -> dict[str, list[str]]:
    """The duplicate map saved with a generation ({} when absent)."""
    try:
        data = json.loads((gen / DUPLICATES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def build_and_publish(
    settings: Settings, store: Store, sources: list[Source], taxonomy: Taxonomy, full: bool = False
) -> BuildResult:
    """Build a new generation (incremental when possible), check it and publish it; prune old ones."""
    started = time.monotonic()
    root = settings.index_root
    gen: Path | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        clean_incomplete(root)
        prev = current_generation(root)
        prev_info = read_generation_info(prev) if prev is not None else {}
        corrections = load_corrections(settings.corrections)
        versions = _versions(taxonomy, sources, corrections)
        incremental = (
            not full
            and prev is not None
            and "change_seq" in prev_info
            and all(prev_info.get(k) == v for k, v in versions.items())
        )
        if prev is not None and not incremental and not full:
            log.info("index versions changed (%s → %s): full rebuild", {k: prev_info.get(k) for k in versions}, versions)
        indexer = _Indexer(sources, taxonomy, corrections)
        gen = new_generation_dir(root)
        seq_at_start = store.last_change_seq()
        dups = _duplicate_map(store)
        if incremental:
            assert prev is not None
            added, updated, deleted, newest = _incremental_build(gen, prev, prev_info, store, indexer, dups)
            change_seq = max(newest, int(prev_info["change_seq"]))
        else:
            added = _full_build(gen, settings, store, indexer, dups)
            updated = deleted = 0
            change_seq = seq_at_start
        (gen / DUPLICATES_FILE).write_text(json.dumps(dups, ensure_ascii=False), encoding="utf-8")
        indexer.definitions.save(gen, prev if incremental else None, lambda: (nfc_text(d.text) for d in store.iter_documents()))
        indexer.phrases.save(gen, prev if incremental else None)
        indexer.versions.save(gen)
        vectors = build_vectors(gen, settings, store, prev)  # the meaning of each document, for whole questions
        doc_count = check_generation(gen, settings, prev, prev_info)
        info = {
            "generation": gen.name,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "doc_count": doc_count,
            "change_seq": change_seq,
            "mode": "incremental" if incremental else "full",
            "vectors": vectors,
            **versions,
        }
        write_generation_info(gen, info)
        publish(root, gen)
    except KbError:
        if gen is not None:
            remove_generation(gen)
        raise
    except BaseException as exc:
        _close_files_in_traceback(exc)
        if gen is not None:
            remove_generation(gen)
        if isinstance(exc, Exception):
            raise IndexBuildError(f"indexbygget misslyckades; det publicerade indexet är orört: {exc}") from exc
        raise
    try:
        prune_generations(root, settings.keep_generations)
    except OSError as exc:  # old generations left behind are harmless
        log.warning("could not prune old index generations: %s", exc)
    load_forms_cached(settings.data_dir / "cache")  # written here, so no web worker spends ~2 s making it at start
    return BuildResult(
        generation=gen.name,
        mode="incremental" if incremental else "full",
        doc_count=doc_count,
        added=added,
        updated=updated,
        deleted=deleted,
        seconds=round(time.monotonic() - started, 2),
        size_bytes=_size(gen),
    )
