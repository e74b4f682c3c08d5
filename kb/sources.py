"""Load and validate sources.yaml: every problem reported at once, each with file, line and key."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kb.errors import ConfigError, Problem
from kb.sources_fields import (
    FIELDS_BY_NAME,
    INVALID,
    LIMITS,
    REQUIRED,
    SLUG_RE,
    SOURCE_KEYS,
    Check,
    Field,
    Vocabulary,
    css_problem,
    url_problem,
)
from kb.sources_model import RegexRejected, Source, UrlRule, compile_regex
from kb.sources_warn import RawKeys, prefix, warn_overlaps, warn_source
from kb.sources_yaml import Collector, compose, decode, did_you_mean, read_text, scalar

if TYPE_CHECKING:
    from kb.taxonomy import Taxonomy

__all__ = [
    "LIMITS", "REQUIRED", "SLUG_RE", "SOURCE_KEYS", "ConfigError", "Problem", "RegexRejected", "Source", "UrlRule",
    "compile_regex", "css_problem", "load_sources", "sources_by_id", "url_problem",
]


def _items(c: Collector, node: yaml.Node, key: str) -> list[tuple[yaml.Node, Any]]:
    """A list value as (node, value) pairs; a lone scalar is accepted as a one-item list."""
    if isinstance(node, yaml.SequenceNode):
        return [(item, scalar(item)) for item in node.value]
    if isinstance(node, yaml.ScalarNode):
        value = scalar(node)
        return [] if value is None else [(node, value)]
    c.add(node, key, None, "förväntade en lista")
    return []


def _keys(c: Collector, node: yaml.MappingNode, index: int) -> tuple[str, RawKeys]:
    """The source's label (``sources[i] (id)``) and its known keys; unknown and repeated keys are reported."""
    where = f"sources[{index}]"
    for key_node, value_node in node.value:
        if scalar(key_node) == "id" and isinstance(value_node, yaml.ScalarNode) and isinstance(scalar(value_node), str):
            where = f"sources[{index}] ({scalar(value_node)})"
    raw: RawKeys = {}
    for key_node, value_node in node.value:
        key = str(scalar(key_node))
        if key in raw:
            c.add(key_node, f"{where}.{key}", None, "nyckeln förekommer två gånger")
        if key not in FIELDS_BY_NAME:
            c.add(key_node, f"{where}.{key}", None, "okänd nyckel" + did_you_mean(key, list(FIELDS_BY_NAME)))
            continue
        raw[key] = (key_node, value_node)
    for key in REQUIRED:
        if key not in raw:
            c.add(node, f"{where}.{key}", None, "obligatorisk nyckel saknas")
    return where, raw


def _value(c: Collector, spec: Field, value_node: yaml.Node, where: str, vocabulary: Vocabulary) -> Any:
    """The validated value of one key (INVALID after reporting why), as the field table says."""
    check = Check(c, f"{where}.{spec.name}", spec.expected, vocabulary)
    if not spec.many:
        return spec.validate(check, value_node, scalar(value_node))
    items = _items(c, value_node, check.key)
    if not items and spec.empty and isinstance(value_node, (yaml.SequenceNode, yaml.ScalarNode)):
        return check.error(value_node, [], spec.empty)
    checked = (spec.validate(check, item_node, item) for item_node, item in items)
    return tuple(out for out in checked if out is not INVALID)


def _parse_source(c: Collector, node: yaml.Node, index: int, vocabulary: Vocabulary) -> Source | None:
    if not isinstance(node, yaml.MappingNode):
        c.add(node, f"sources[{index}]", None, "förväntade en källa med id, name, organisation och start_urls")
        return None
    errors = c.errors
    where, raw = _keys(c, node, index)
    values = {key: _value(c, FIELDS_BY_NAME[key], value_node, where, vocabulary) for key, (_k, value_node) in raw.items()}
    values = {key: value for key, value in values.items() if value is not INVALID}
    if c.errors > errors:
        return None
    if not values.get("allow"):
        values["allow"] = tuple(UrlRule.parse(p) for p in dict.fromkeys(prefix(url) for url in values["start_urls"]))
    source = Source(line=node.start_mark.line + 1, **values)
    warn_source(c, node, where, source, raw)
    return source


def _raw_id(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def _vocabulary(taxonomy_slugs: set[str] | None, taxonomy: Taxonomy | None) -> Vocabulary:
    if taxonomy is None:
        from kb.taxonomy import load_taxonomy

        taxonomy = load_taxonomy()
    subareas = taxonomy.slugs() if taxonomy_slugs is None else taxonomy_slugs
    return Vocabulary(frozenset(subareas), tuple(c.slug for c in taxonomy.doc_types), tuple(c.slug for c in taxonomy.malgrupper))


def _sources_node(c: Collector, root: yaml.Node | None) -> yaml.SequenceNode:
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([Problem(c.file, 1, "sources", None, "förväntade en lista 'sources:' överst i filen")])
    found = None
    for key_node, value_node in root.value:
        key = scalar(key_node)
        if key == "sources":
            found = value_node
        else:
            c.add(key_node, str(key), None, "okänd nyckel på översta nivån" + did_you_mean(str(key), ["sources"]))
    if not isinstance(found, yaml.SequenceNode):
        c.add(found or root, "sources", None, "förväntade en lista med källor under 'sources:'")
        raise ConfigError(c.problems)
    if not found.value:
        c.add(found, "sources", [], "inga källor: ingenting kommer att crawlas", "warning")
    return found


def load_sources(
    path: Path | str, taxonomy_slugs: set[str] | None = None, text: str | bytes | None = None, taxonomy: Taxonomy | None = None,
) -> tuple[list[Source], list[Problem]]:
    """Parse sources.yaml; return (sources, warnings) or raise ConfigError listing every error.

    ``taxonomy`` (default: kb/taxonomy.yaml) gives the allowed ``doc_type`` and ``malgrupp`` values and, unless
    ``taxonomy_slugs`` is given, the sub-areas ``delomraden`` hints are checked against.
    """
    with _no_gc_pauses():
        return _load(str(path), taxonomy_slugs, text, taxonomy)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Composing a large file makes ~30 objects a source, none cyclic: the cyclic collector's passes cost 2/3 of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(
    file: str, taxonomy_slugs: set[str] | None, text: str | bytes | None, taxonomy: Taxonomy | None,
) -> tuple[list[Source], list[Problem]]:
    if text is None:
        text = read_text(file)
    elif isinstance(text, bytes):
        text = decode(file, text)
    vocabulary = _vocabulary(taxonomy_slugs, taxonomy)
    c = Collector(file)
    sources_node = _sources_node(c, compose(file, text))
    result: list[Source] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(sources_node.value):
        source = _parse_source(c, item, i, vocabulary)
        # Duplicates are found by the raw id, so a first occurrence with other errors still counts.
        raw_id = _raw_id(item)
        if raw_id is not None and raw_id in seen:
            c.add(item, f"sources[{i}].id", raw_id, f"id:t används redan (första gången på rad {seen[raw_id]})")
            continue
        if raw_id is not None:
            seen[raw_id] = item.start_mark.line + 1
        if source is not None:
            result.append(source)
    warn_overlaps(c, result)
    warnings = [p for p in c.problems if p.severity != "error"]
    if c.errors:
        raise ConfigError([p for p in c.problems if p.severity == "error"] + warnings)
    return result, warnings


def sources_by_id(sources: list[Source]) -> dict[str, Source]:
    return {s.id: s for s in sources}
