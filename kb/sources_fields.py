"""The table of sources.yaml keys: name, type, default, whether required, validator and Swedish expectation."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from kb.sources_model import RegexRejected, UrlRule
from kb.sources_yaml import Collector, did_you_mean

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
INVALID = object()  # a validator's answer after it reported the problem


@dataclass(frozen=True)
class Vocabulary:
    """The taxonomy values a source may name: sub-areas (None: not checked), types of material, target groups."""

    delomraden: frozenset[str] | None
    doc_types: tuple[str, ...]
    malgrupper: tuple[str, ...]


@dataclass
class Check:
    """What a validator needs: where to report, under which key, the Swedish expectation, the taxonomy."""

    collector: Collector
    key: str
    expected: str
    vocabulary: Vocabulary

    def error(self, node: yaml.Node, value: object, message: str | None = None, severity: str = "error") -> object:
        self.collector.add(node, self.key, value, message or self.expected, severity)
        return INVALID


Validator = Callable[[Check, yaml.Node, Any], Any]


@dataclass(frozen=True)
class Field:
    """One key of a source: README type and help (English), Swedish expectation (the error text) and validator."""

    name: str
    kind: str
    default: Any
    help: str
    expected: str
    validate: Validator
    required: bool = False
    many: bool = False  # a list (a lone value is a one-item list); validate checks each item
    empty: str | None = None  # the error when the list is empty, if it must not be


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable absolute http(s) URL (Swedish), or None when it is."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError when out of range or not a number
    except ValueError as exc:
        text = str(exc)
        if "Port" in text:
            return "ogiltigt portnummer (ska vara 1–65535)"
        return f"ogiltig URL ({text})"
    if parts.scheme not in ("http", "https") or not host:
        return "förväntade en fullständig URL som börjar med http:// eller https://"
    if any(map(str.isspace, parts.netloc)):
        return "mellanslag i värdnamnet"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "användarnamn eller lösenord i URL:en är inte tillåtet"
    if parts.port == 0:
        return "ogiltigt portnummer (ska vara 1–65535)"
    return None


def css_problem(selector: str) -> str | None:
    """Why ``selector`` is not valid CSS (as the extractor compiles it), or None."""
    import cssselect  # imported here: `import kb` stays light

    try:
        cssselect.HTMLTranslator().css_to_xpath(selector)
    except cssselect.SelectorError as exc:
        return f"ogiltig CSS-väljare: {exc}"
    return None


def _url(c: Check, node: yaml.Node, value: Any) -> Any:
    if not isinstance(value, str):
        return c.error(node, value)
    problem = url_problem(value)
    return c.error(node, value, problem) if problem else value


def _rule(c: Check, node: yaml.Node, value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return c.error(node, value)
    if value.startswith("re:") and not value[3:].strip():
        return c.error(node, value, "tomt reguljärt uttryck efter 're:' (det skulle matcha alla URL:er)")
    if not value.startswith("re:") and _url(c, node, value) is INVALID:
        return INVALID
    try:
        return UrlRule.parse(value)
    except RegexRejected as exc:
        return c.error(node, value, str(exc))


def _slug(c: Check, node: yaml.Node, value: Any) -> Any:
    return value if isinstance(value, str) and SLUG_RE.match(value) else c.error(node, value)


def _text(c: Check, node: yaml.Node, value: Any) -> Any:
    return value.strip() if isinstance(value, str) and value.strip() else c.error(node, value)


def _item_text(c: Check, node: yaml.Node, value: Any) -> Any:
    return value if isinstance(value, str) and value.strip() else c.error(node, value)


def _css(text: Validator) -> Validator:
    def check(c: Check, node: yaml.Node, value: Any) -> Any:
        out = text(c, node, value)
        problem = None if out is INVALID else css_problem(out)
        return c.error(node, value, problem) if problem else out

    return check


def _subarea(c: Check, node: yaml.Node, value: Any) -> Any:
    out = _slug(c, node, value)
    known = c.vocabulary.delomraden
    if out is INVALID or known is None or out in known:
        return out
    # A warning, not an error: a stale hint must not stop the nightly crawl.
    return c.error(node, value, "inget delområde i taxonomin; tipset ignoreras" + did_you_mean(out, sorted(known)), "warning")


def _in_taxonomy(label: str, choices: Callable[[Vocabulary], tuple[str, ...]], shape: Validator) -> Validator:
    def check(c: Check, node: yaml.Node, value: Any) -> Any:
        out = shape(c, node, value)
        allowed = choices(c.vocabulary)
        if out is INVALID or out in allowed:
            return out
        hint = did_you_mean(out, list(allowed)) or f"; tillåtna värden: {', '.join(allowed)}"
        return c.error(node, value, f"finns inte bland taxonomins {label} (kb/taxonomy.yaml){hint}")

    return check


def _number(integer: bool, low: float, high: float) -> Validator:
    def check(c: Check, node: yaml.Node, value: Any) -> Any:
        kinds = (int,) if integer else (int, float)
        # NaN fails every comparison, so test for the good range, never for the bad one
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value) or not low <= value <= high:
            return c.error(node, value)
        return value if integer else float(value)

    return check


def _bool(c: Check, node: yaml.Node, value: Any) -> Any:
    return value if isinstance(value, bool) else c.error(node, value)


# Inclusive bounds of the numeric keys: a value outside them (or inf/nan) would stall or crash the nightly crawl.
LIMITS: dict[str, tuple[float, float]] = {
    "max_pages": (1, 1_000_000),
    "max_depth": (1, 100),
    "max_time": (0, 7 * 24 * 3600),
    "delay": (0, 3600),
}
_TEXT = "förväntade en text som inte är tom"
_ITEM_SLUG = "förväntade en slug (a-z, 0-9, -)"
_RULE = "förväntade ett URL-prefix eller 're:<reguljärt uttryck>'"
_URL = "förväntade en URL (text)"


def _int(key: str) -> tuple[str, Validator]:
    low, high = LIMITS[key]
    return f"förväntade ett heltal från {low:.0f} till {high:.0f}", _number(True, low, high)


def _seconds(key: str) -> tuple[str, Validator]:
    low, high = LIMITS[key]
    return f"förväntade ett antal sekunder från {low:.0f} till {high:.0f}", _number(False, low, high)


_DOC_TYPE = _in_taxonomy("typer av kunskapsstöd (doc_types)", lambda v: v.doc_types, _text)
_MALGRUPP = _in_taxonomy("målgrupper (malgrupper)", lambda v: v.malgrupper, _slug)


def _lan(c: Check, node: yaml.Node, value: Any) -> Any:
    from kb.lan import NATIONAL, load_counties

    out = _slug(c, node, value)
    allowed = [*load_counties().slugs(), NATIONAL]
    if out is INVALID or out in allowed:
        return out
    hint = did_you_mean(out, allowed) or f"; tillåtna värden: {', '.join(allowed)}"
    return c.error(node, value, f"inget län i kb/lan.yaml{hint}")

# The README's sources.yaml table is written from this (python -m kb.report --write-docs).
FIELDS: tuple[Field, ...] = (
    Field("id", "slug", None, "unique slug, e.g. `nck` (required)",
          "förväntade en slug: gemena a-z, 0-9 och '-', högst 63 tecken", _slug, required=True),
    Field("name", "str", None, "display name (required)", _TEXT, _text, required=True),
    Field("organisation", "str", None, "organisation facet value (required)", _TEXT, _text, required=True),
    Field("start_urls", "urls", None, "where the crawl starts (required, http/https)", _URL, _url,
          required=True, many=True, empty="förväntade minst en URL"),
    Field("allow", "rules", "the start URLs' hosts", "URL prefixes the crawl may visit; `re:` for a regex (RE2)", _RULE, _rule, many=True),
    Field("deny", "rules", [], "URL prefixes or `re:` rules never visited", _RULE, _rule, many=True),
    Field("follow_only", "rules", [], "pages followed for links but not indexed (hubs, listings)", _RULE, _rule, many=True),
    Field("sitemaps", "urls", [], "sitemap or sitemap-index URLs (robots.txt Sitemap: lines are added)", _URL, _url, many=True),
    Field("max_pages", "int", 1000, "pages fetched per run at most (1–1000000)", *_int("max_pages")),
    Field("max_depth", "int", 8, "link depth from a start URL (1–100)", *_int("max_depth")),
    Field("max_time", "float", 3600.0, "seconds per run for this source (0–604800, i.e. 7 days)", *_seconds("max_time")),
    Field("delay", "float", 1.0, "seconds between requests to a host (0–3600); a larger robots.txt Crawl-delay wins", *_seconds("delay")),
    Field("allow_private_network", "bool", False, "allow loopback/private addresses (demo and tests only)",
          "förväntade true eller false", _bool),
    Field("delomraden", "slugs", [], "sub-area hints from the taxonomy, added to every document", _ITEM_SLUG, _subarea, many=True),
    Field("doc_type", "str", None, "override the detected type of material for every document (a taxonomy `doc_types` slug)",
          _TEXT, _DOC_TYPE),
    Field("malgrupp", "slugs", [], "override the detected target groups (taxonomy `malgrupper` slugs)", _ITEM_SLUG, _MALGRUPP, many=True),
    Field("lan", "slugs", [], "the county(ies) every document concerns (`kb/lan.yaml` slugs or `nationellt`); default: detected",
          _ITEM_SLUG, _lan, many=True),
    Field("content_selector", "str", None, "CSS selector of the main content", _TEXT, _css(_text)),
    Field("drop_selectors", "strs", [], "CSS selectors removed before extraction", _TEXT, _css(_item_text), many=True),
    Field("enabled", "bool", True, "false skips the source", "förväntade true eller false", _bool),
)
FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
# key -> (kind, default, help), as kb.report and the tests read it.
SOURCE_KEYS: dict[str, tuple[str, Any, str]] = {f.name: (f.kind, f.default, f.help) for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
