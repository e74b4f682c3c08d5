"""The sub-area taxonomy (delområden), types of material and target groups, read from taxonomy.yaml."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.errors import ConfigError, Problem
from kb.sources_yaml import fast_load

DEFAULT_PATH = Path(__file__).with_name("taxonomy.yaml")


@dataclass(frozen=True)
class Category:
    """A sub-area, type of material or target group: slug, Swedish label and vocabulary."""

    slug: str
    label: str
    description: str = ""
    terms: tuple[str, ...] = ()
    abbreviations: tuple[str, ...] = ()  # names of the sub-area itself: classify, and search as its label
    related_abbreviations: tuple[str, ...] = ()  # methods, programmes, bodies of the field: classify only
    url_hints: tuple[str, ...] = ()
    subtopics: tuple[Category, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """All categories plus query-time synonym groups; ``version`` changes whenever the file does."""

    delomraden: tuple[Category, ...]
    doc_types: tuple[Category, ...]
    malgrupper: tuple[Category, ...]
    synonyms: tuple[tuple[str, ...], ...]
    version: str = ""
    _labels: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)
    malsattningar: tuple[Category, ...] = ()  # the national strategy's four goals (kb/goals.py)

    def slugs(self) -> list[str]:
        return [c.slug for c in self.delomraden]

    def label(self, facet: str, slug: str) -> str:
        """Swedish label of a facet value (the value itself when unknown)."""
        return self._labels.get(facet, {}).get(slug, slug)

    def delomrade(self, slug: str) -> Category:
        for c in self.delomraden:
            if c.slug == slug:
                return c
        raise KeyError(slug)

    def synonym_groups(self) -> list[tuple[str, ...]]:
        """Configured groups plus one group per sub-area abbreviation (abbreviation ↔ label); a related
        abbreviation (BBIC, SARA: a method, not the sub-area) is searched as itself or its configured long form."""
        groups = [tuple(g) for g in self.synonyms]
        for c in self.delomraden:
            for abbr in c.abbreviations:
                groups.append((abbr, c.label.lower()))
        return groups


def _category(raw: dict[str, Any], file: str, where: str) -> Category:
    if not isinstance(raw, dict) or "slug" not in raw or "label" not in raw:
        raise ConfigError([Problem(file, None, where, raw, "expected slug and label")])
    return Category(
        slug=str(raw["slug"]),
        label=str(raw["label"]),
        description=str(raw.get("description", "")),
        terms=tuple(str(t) for t in raw.get("terms") or ()),
        abbreviations=tuple(str(t) for t in raw.get("abbreviations") or ()),
        related_abbreviations=tuple(str(t) for t in raw.get("related_abbreviations") or ()),
        url_hints=tuple(str(t) for t in raw.get("url_hints") or ()),
        subtopics=tuple(_category(s, file, f"{where}.subtopics") for s in raw.get("subtopics") or ()),
    )


@lru_cache(maxsize=8)
def load_taxonomy(path: Path = DEFAULT_PATH) -> Taxonomy:
    """Read and validate the taxonomy file (cached per path)."""
    text = Path(path).read_text(encoding="utf-8")
    data = fast_load(text) or {}
    file = str(path)
    cats = {
        key: tuple(_category(item, file, f"{key}[{i}]") for i, item in enumerate(data.get(key) or ()))
        for key in ("delomraden", "doc_types", "malgrupper", "malsattningar")
    }
    from kb.lan import load_counties

    counties = load_counties()
    labels = {
        "delomrade": {c.slug: c.label for c in cats["delomraden"]},
        "doc_type": {c.slug: c.label for c in cats["doc_types"]},
        "malgrupp": {c.slug: c.label for c in cats["malgrupper"]},
        "malsattning": {c.slug: c.label for c in cats["malsattningar"]},
        "lan": counties.labels(),
        "format": {"html": "Webbsida", "pdf": "PDF", "docx": "Word", "pptx": "PowerPoint"},
    }
    return Taxonomy(
        delomraden=cats["delomraden"],
        doc_types=cats["doc_types"],
        malgrupper=cats["malgrupper"],
        synonyms=tuple(tuple(str(w) for w in g) for g in data.get("synonyms") or ()),
        # kb/lan.yaml is classification data too: a changed county list re-classifies everything
        version=hashlib.sha256((text + counties.version).encode()).hexdigest()[:12],
        _labels=labels,
        malsattningar=cats["malsattningar"],
    )
