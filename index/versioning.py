"""Version states for an index build: every stored document's version signals, resolved once per build and saved with the generation."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.corrections import Corrections
from kb.lan import load_counties
from kb.models import Document
from kb.sources import Source
from kb.store import Store
from kb.versions import VersionInfo, VersionState, resolve_versions, version_info

log = logging.getLogger(__name__)

VERSIONS_FILE = "versions.json"  # {"infos": {url: VersionInfo}, "states": {url: VersionState}} of the generation


def _year(doc: Document) -> int | None:
    when = doc.published or doc.modified
    return when.year if when else None


class VersionTracker:
    """Reads the version signals of every stored document and resolves which versions are current.

    A full build reads them all from the store; an incremental build starts from the previous generation's
    signals and re-reads only the changed documents. Documents whose state changed are re-indexed too."""

    def __init__(self, sources: dict[str, Source], corrections: Corrections) -> None:
        self.sources = sources
        self.corrections = corrections
        self.counties = load_counties()
        self.infos: dict[str, VersionInfo] = {}
        self.states: dict[str, VersionState] = {}

    def info(self, doc: Document) -> VersionInfo:
        source = self.sources.get(doc.source)
        organisation = source.organisation if source is not None else doc.organisation
        lan = self.corrections.lan_for(doc.url)
        if lan is None:
            lan = self.counties.classify(doc.url, doc.title, doc.description, doc.headings, doc.text, source).slugs
        return version_info(doc.url, doc.title, doc.text, organisation, lan, _year(doc))

    def _resolve(self) -> None:
        self.states = resolve_versions(self.infos.values(), self.corrections.supersessions)
        for ref in unmatched_corrections(self.corrections, self.infos.values()):
            log.warning("kb/corrections.yaml: %s names no indexed document (a typo, or the page is gone); the correction does nothing", ref)

    def full(self, store: Store) -> None:
        """Signals of every canonical stored document, then the states."""
        self.infos = {}
        for doc in store.iter_documents():
            if doc.dup_of and doc.dup_of != doc.url:
                continue
            self.infos[doc.url] = self.info(doc)
        self._resolve()
        log.info("versions: %d documents, %d with another version or superseded", len(self.infos), len(self.states))

    def incremental(self, prev: Path, store: Store, upserts: Iterable[str], deletes: Iterable[str]) -> set[str]:
        """Update from the previous generation; returns the unchanged documents whose version state changed."""
        infos, old_states = read_versions(prev)
        if infos is None:
            self.full(store)
            return set(self.states) | set(old_states)
        self.infos = infos
        changed = set(upserts) | set(deletes)
        for url in changed:
            doc = store.get_document(url)
            if doc is None or (doc.dup_of and doc.dup_of != doc.url):
                self.infos.pop(url, None)
            else:
                self.infos[url] = self.info(doc)
        self._resolve()
        moved = {u for u in set(old_states) | set(self.states) if old_states.get(u) != self.states.get(u)}
        return {u for u in moved - changed if u in self.infos}

    def state(self, url: str) -> VersionState | None:
        return self.states.get(url)

    def save(self, gen: Path) -> None:
        data = {"infos": {u: i.to_json() for u, i in self.infos.items()}, "states": {u: s.to_json() for u, s in self.states.items()}}
        (gen / VERSIONS_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def unmatched_corrections(corrections: Corrections, infos: Iterable[VersionInfo]) -> list[str]:
    """The URLs and prefixes in the corrections that name no indexed document (identifiers such as SOSFS 2014:4 are
    general knowledge, kept for the day such a document is crawled, so they are not reported)."""
    urls = {i.url for i in infos}
    refs = [r for s in corrections.supersessions for r in (s.old, s.new) if r is not None and "://" in r]
    out = [r for r in refs if r not in urls]
    for rule in (*corrections.lan, *corrections.malsattning):
        if not (any(u.startswith(rule.url) for u in urls) if rule.prefix else rule.url in urls):
            out.append(rule.url)
    return list(dict.fromkeys(out))


def read_versions(gen: Path) -> tuple[dict[str, VersionInfo] | None, dict[str, VersionState]]:
    """The signals and states saved with a generation (None, {} when absent or unreadable)."""
    try:
        data: Any = json.loads((gen / VERSIONS_FILE).read_text(encoding="utf-8"))
        infos = {str(u): VersionInfo.from_json(i) for u, i in data["infos"].items()}
        states = {str(u): VersionState.from_json(s) for u, s in data["states"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, {}
    return infos, states


def version_fields(state: VersionState | None) -> dict[str, Any]:
    """The index fields of a document's version state."""
    if state is None:
        return {"superseded": "nej"}
    out: dict[str, Any] = {"superseded": "ja" if state.superseded else "nej"}
    if state.newer_url and state.newer_title is not None:
        out["newer_version"] = {"url": state.newer_url, "title": state.newer_title}
    if state.versions:
        out["versions"] = [{"url": u, "title": t} for u, t in state.versions]
    return out
