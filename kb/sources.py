"""Load and validate sources.yaml: every problem reported at once, each with file, line and key."""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from kb.errors import ConfigError, Problem

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class UrlRule:
    """A URL prefix, or a regular expression when written ``re:…``."""

    raw: str
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, raw: str) -> "UrlRule":
        if raw.startswith("re:"):
            return cls(raw, re.compile(raw[3:]))
        return cls(raw)

    def matches(self, url: str) -> bool:
        if self.regex is not None:
            return self.regex.search(url) is not None
        return url.startswith(self.raw)


def _any(rules: tuple[UrlRule, ...], url: str) -> bool:
    return any(rule.matches(url) for rule in rules)


@dataclass(frozen=True)
class Source:
    """One configured source (a site or part of a site) and its crawl rules."""

    id: str
    name: str
    organisation: str
    start_urls: tuple[str, ...]
    allow: tuple[UrlRule, ...] = ()
    deny: tuple[UrlRule, ...] = ()
    follow_only: tuple[UrlRule, ...] = ()
    sitemaps: tuple[str, ...] = ()
    max_pages: int = 1000
    max_depth: int = 8
    max_time: float = 3600.0
    delay: float = 1.0
    allow_private_network: bool = False
    delomraden: tuple[str, ...] = ()
    doc_type: str | None = None
    malgrupp: tuple[str, ...] = ()
    content_selector: str | None = None
    drop_selectors: tuple[str, ...] = ()
    enabled: bool = True
    line: int | None = None

    def in_scope(self, url: str) -> bool:
        """May the crawler visit this URL (allow and not deny)?"""
        return _any(self.allow, url) and not _any(self.deny, url)

    def indexable(self, url: str) -> bool:
        """May a page at this URL be stored for search (in scope and not follow-only)?"""
        return self.in_scope(url) and not _any(self.follow_only, url)


# key -> (kind, default, help). The README's sources.yaml table is written from this.
SOURCE_KEYS: dict[str, tuple[str, Any, str]] = {
    "id": ("slug", None, "unique slug, e.g. `nck` (required)"),
    "name": ("str", None, "display name (required)"),
    "organisation": ("str", None, "organisation facet value (required)"),
    "start_urls": ("urls", None, "where the crawl starts (required, http/https)"),
    "allow": ("rules", "the start URLs' hosts", "URL prefixes the crawl may visit; `re:` for a regex"),
    "deny": ("rules", [], "URL prefixes or `re:` rules never visited"),
    "follow_only": ("rules", [], "pages followed for links but not indexed (hubs, listings)"),
    "sitemaps": ("urls", [], "sitemap or sitemap-index URLs (robots.txt Sitemap: lines are added)"),
    "max_pages": ("int", 1000, "pages fetched per run at most (1–1000000)"),
    "max_depth": ("int", 8, "link depth from a start URL (1–100)"),
    "max_time": ("float", 3600.0, "seconds per run for this source (0–604800, i.e. 7 days)"),
    "delay": ("float", 1.0, "seconds between requests to a host (0–3600); a larger robots.txt Crawl-delay wins"),
    "allow_private_network": ("bool", False, "allow loopback/private addresses (demo and tests only)"),
    "delomraden": ("slugs", [], "sub-area hints from the taxonomy, added to every document"),
    "doc_type": ("str", None, "override the detected type of material for every document"),
    "malgrupp": ("slugs", [], "override the detected target groups"),
    "content_selector": ("str", None, "CSS selector of the main content"),
    "drop_selectors": ("strs", [], "CSS selectors removed before extraction"),
    "enabled": ("bool", True, "false skips the source"),
}
REQUIRED = ("id", "name", "organisation", "start_urls")
# Inclusive bounds of the numeric keys: a value outside them (or inf/nan) would stall or crash the nightly crawl.
LIMITS: dict[str, tuple[float, float]] = {
    "max_pages": (1, 1_000_000),
    "max_depth": (1, 100),
    "max_time": (0, 7 * 24 * 3600),
    "delay": (0, 3600),
}


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, node: yaml.Node | None, key: str, value: object, message: str, severity: str = "error") -> None:
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(self.file, line, key, value, message, severity))


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (menade du '{close[0]}'?)" if close else ""


def _scalar(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


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
    if any(ch.isspace() for ch in parts.netloc):
        return "mellanslag i värdnamnet"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "användarnamn eller lösenord i URL:en är inte tillåtet"
    if parts.port == 0:
        return "ogiltigt portnummer (ska vara 1–65535)"
    return None


def _check_url(c: _Collector, node: yaml.Node, key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        c.add(node, key, value, "förväntade en URL (text)")
        return None
    problem = url_problem(value)
    if problem:
        c.add(node, key, value, problem)
        return None
    return value


def _css_problem(selector: str) -> str | None:
    """Why ``selector`` is not valid CSS (as the extractor compiles it), or None."""
    import cssselect  # imported here: `import kb` stays light

    try:
        cssselect.HTMLTranslator().css_to_xpath(selector)
    except cssselect.SelectorError as exc:
        return f"ogiltig CSS-väljare: {exc}"
    return None


def _items(c: _Collector, node: yaml.Node, key: str) -> list[tuple[yaml.Node, Any]]:
    """A list value as (node, value) pairs; a lone scalar is accepted as a one-item list."""
    if isinstance(node, yaml.SequenceNode):
        return [(item, _scalar(item)) for item in node.value]
    if isinstance(node, yaml.ScalarNode) and _scalar(node) is not None:
        return [(node, _scalar(node))]
    if isinstance(node, yaml.ScalarNode):
        return []
    c.add(node, key, None, "förväntade en lista")
    return []


def _parse_source(c: _Collector, node: yaml.Node, index: int, known_slugs: set[str] | None) -> Source | None:
    where = f"sources[{index}]"
    if not isinstance(node, yaml.MappingNode):
        c.add(node, where, None, "förväntade en källa med id, name, organisation och start_urls")
        return None
    raw: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if _scalar(key_node) == "id" and isinstance(value_node, yaml.ScalarNode) and isinstance(_scalar(value_node), str):
            where = f"sources[{index}] ({_scalar(value_node)})"
    for key_node, value_node in node.value:
        key = str(_scalar(key_node))
        if key in raw:
            c.add(key_node, f"{where}.{key}", None, "nyckeln förekommer två gånger")
        if key not in SOURCE_KEYS:
            c.add(key_node, f"{where}.{key}", None, "okänd nyckel" + _did_you_mean(key, list(SOURCE_KEYS)))
            continue
        raw[key] = (key_node, value_node)
    sid = _scalar(raw["id"][1]) if "id" in raw else None
    if isinstance(sid, str):
        where = f"sources[{index}] ({sid})"
    for key in REQUIRED:
        if key not in raw:
            c.add(node, f"{where}.{key}", None, "obligatorisk nyckel saknas")
    before = len([p for p in c.problems if p.severity == "error"])
    values: dict[str, Any] = {}
    for key, (key_node, value_node) in raw.items():
        kind, _default, _help = SOURCE_KEYS[key]
        name = f"{where}.{key}"
        if kind in ("urls", "rules", "slugs", "strs"):
            out = []
            for item_node, item in _items(c, value_node, name):
                if kind == "urls":
                    url = _check_url(c, item_node, name, item)
                    if url:
                        out.append(url)
                elif kind == "rules":
                    if not isinstance(item, str) or not item:
                        c.add(item_node, name, item, "förväntade ett URL-prefix eller 're:<reguljärt uttryck>'")
                    elif item.startswith("re:") and not item[3:].strip():
                        c.add(item_node, name, item, "tomt reguljärt uttryck efter 're:' (det skulle matcha alla URL:er)")
                    elif item.startswith("re:"):
                        try:
                            out.append(UrlRule.parse(item))
                        except re.error as exc:
                            c.add(item_node, name, item, f"ogiltigt reguljärt uttryck: {exc}")
                    elif _check_url(c, item_node, name, item):
                        out.append(UrlRule.parse(item))
                elif kind == "slugs":
                    if not isinstance(item, str) or not SLUG_RE.match(item):
                        c.add(item_node, name, item, "förväntade en slug (a-z, 0-9, -)")
                    elif key == "delomraden" and known_slugs is not None and item not in known_slugs:
                        # A warning, not an error: a stale hint must not stop the nightly crawl.
                        c.add(
                            item_node, name, item,
                            "inget delområde i taxonomin; tipset ignoreras" + _did_you_mean(item, sorted(known_slugs)),
                            "warning",
                        )
                    else:
                        out.append(item)
                else:
                    if not isinstance(item, str) or not item.strip():
                        c.add(item_node, name, item, "förväntade en text som inte är tom")
                    elif key == "drop_selectors" and (css := _css_problem(item)):
                        c.add(item_node, name, item, css)
                    else:
                        out.append(item)
            values[key] = tuple(out)
            continue
        value = _scalar(value_node)
        if kind == "slug":
            if not isinstance(value, str) or not SLUG_RE.match(value):
                c.add(value_node, name, value, "förväntade en slug: gemena a-z, 0-9 och '-', högst 63 tecken")
            else:
                values[key] = value
        elif kind == "str":
            if not isinstance(value, str) or not value.strip():
                c.add(value_node, name, value, "förväntade en text som inte är tom")
            elif key == "content_selector" and (css := _css_problem(value.strip())):
                c.add(value_node, name, value, css)
            else:
                values[key] = value.strip()
        elif kind == "int":
            low, high = LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                c.add(value_node, name, value, f"förväntade ett heltal från {low:.0f} till {high:.0f}")
            else:
                values[key] = value
        elif kind == "float":
            low, high = LIMITS[key]
            # NaN fails every comparison, so test for the good range, never for the bad one
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
                c.add(value_node, name, value, f"förväntade ett antal sekunder från {low:.0f} till {high:.0f}")
            else:
                values[key] = float(value)
        elif kind == "bool":
            if not isinstance(value, bool):
                c.add(value_node, name, value, "förväntade true eller false")
            else:
                values[key] = value
    if "start_urls" in values and not values["start_urls"] and "start_urls" in raw and not _items(_Collector(c.file), raw["start_urls"][1], ""):
        c.add(raw["start_urls"][1], f"{where}.start_urls", [], "förväntade minst en URL")
    if len([p for p in c.problems if p.severity == "error"]) > before or any(k not in values for k in REQUIRED):
        return None
    if "allow" not in values or not values["allow"]:
        hosts = []
        for url in values["start_urls"]:
            parts = urlsplit(url)
            prefix = f"{parts.scheme}://{parts.netloc}/"
            if prefix not in hosts:
                hosts.append(prefix)
        values["allow"] = tuple(UrlRule.parse(h) for h in hosts)
    source = Source(line=node.start_mark.line + 1, **values)
    _warn(c, node, where, source, raw)
    return source


def _is_private_host(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return host in ("localhost",) or host.endswith(".localhost")


def _item_node(raw: dict[str, tuple[yaml.Node, yaml.Node]], key: str, value: str, fallback: yaml.Node, nth: int = 0) -> yaml.Node:
    """The YAML node of the ``nth`` list item equal to ``value`` (for its line), else the key's value node, else ``fallback``."""
    if key not in raw:
        return fallback
    value_node = raw[key][1]
    if isinstance(value_node, yaml.SequenceNode):
        matches = [item for item in value_node.value if isinstance(item, yaml.ScalarNode) and item.value == value]
        if matches:
            return matches[min(nth, len(matches) - 1)]
    return value_node


def _prefix(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _warn(c: _Collector, node: yaml.Node, where: str, s: Source, raw: dict[str, tuple[yaml.Node, yaml.Node]] | None = None) -> None:
    """Likely mistakes that are not errors: each names the line and, where it can, a likely fix."""
    raw = raw or {}
    key = f"{where}.start_urls"
    denied = [url for url in s.start_urls if any(rule.matches(url) for rule in s.allow) and _any(s.deny, url)]
    if s.start_urls and len(denied) == len(s.start_urls):
        rules = sorted({rule.raw for url in denied for rule in s.deny if rule.matches(url)})
        deny_node = _item_node(raw, "deny", rules[0], node) if rules else node
        c.add(deny_node, f"{where}.deny", ", ".join(rules), "spärrar alla start-URL:er: inget från källan kommer att crawlas", "warning")
    seen: dict[str, int] = {}
    for url in s.start_urls:
        item = _item_node(raw, "start_urls", url, node, seen.get(url, 0))
        if url in seen:
            seen[url] += 1
            c.add(item, key, url, "start-URL:en förekommer två gånger", "warning")
            continue
        seen[url] = 1
        if not any(rule.matches(url) for rule in s.allow):
            hint = _did_you_mean(_prefix(url), [r.raw for r in s.allow if r.regex is None])
            if not hint:
                hint = f" (lägg till '{_prefix(url)}' i allow?)"
            c.add(item, key, url, "start-URL:en ligger utanför 'allow' och crawlas inte" + hint, "warning")
        elif url in denied and len(denied) < len(s.start_urls):
            c.add(item, key, url, "start-URL:en spärras av 'deny'", "warning")
        host = urlsplit(url).hostname or ""
        if _is_private_host(host) and not s.allow_private_network:
            c.add(item, key, url, "lokal eller privat adress: vägras om inte allow_private_network: true", "warning")
    public = [url for url in s.start_urls if not _is_private_host(urlsplit(url).hostname or "")]
    if public and s.delay < 1.0:
        delay_node = raw["delay"][1] if "delay" in raw else node
        c.add(
            delay_node, f"{where}.delay", s.delay,
            "under 1 sekund mellan anropen till en publik webbplats är ohövligt och kan få crawlern spärrad (menade du 1?)",
            "warning",
        )


def load_sources(path: Path | str, taxonomy_slugs: set[str] | None = None, text: str | None = None) -> tuple[list[Source], list[Problem]]:
    """Parse sources.yaml; return (sources, warnings) or raise ConfigError listing every error."""
    file = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([Problem(file, None, "sources", None, "filen finns inte")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(file, None, "sources", None, f"kan inte läsas: {exc}")]) from None
    if taxonomy_slugs is None:
        from kb.taxonomy import load_taxonomy

        taxonomy_slugs = set(load_taxonomy().slugs())
    c = _Collector(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError([Problem(file, line, "yaml", None, f"inte giltig YAML: {getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([Problem(file, 1, "sources", None, "förväntade en lista 'sources:' överst i filen")])
    sources_node = None
    for key_node, value_node in root.value:
        key = _scalar(key_node)
        if key == "sources":
            sources_node = value_node
        else:
            c.add(key_node, str(key), None, "okänd nyckel på översta nivån" + _did_you_mean(str(key), ["sources"]))
    if not isinstance(sources_node, yaml.SequenceNode):
        c.add(sources_node or root, "sources", None, "förväntade en lista med källor under 'sources:'")
        raise ConfigError(c.problems)
    if not sources_node.value:
        c.add(sources_node, "sources", [], "inga källor: ingenting kommer att crawlas", "warning")
    result: list[Source] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(sources_node.value):
        source = _parse_source(c, item, i, taxonomy_slugs)
        if source is None:
            continue
        if source.id in seen:
            c.add(item, f"sources[{i}].id", source.id, f"id:t används redan (första gången på rad {seen[source.id]})")
            continue
        seen[source.id] = source.line or 0
        result.append(source)
    _warn_overlaps(c, sources_node, result)
    errors = [p for p in c.problems if p.severity == "error"]
    if errors:
        raise ConfigError(errors + [p for p in c.problems if p.severity != "error"])
    return result, [p for p in c.problems if p.severity != "error"]


def _warn_overlaps(c: _Collector, node: yaml.Node, sources: list[Source]) -> None:
    """Start URLs shared by two sources, or inside another source's scope: the same pages may be crawled twice."""
    for i, a in enumerate(sources):
        for b in sources[i + 1 :]:
            shared = sorted(set(a.start_urls) & set(b.start_urls))
            for url in shared:
                c.problems.append(
                    Problem(c.file, b.line, f"sources ({b.id}).start_urls", url, f"start-URL:en förekommer två gånger: den är också start-URL för källan '{a.id}' (rad {a.line})", "warning")
                )
            for first, second in ((a, b), (b, a)):
                for url in second.start_urls:
                    if url not in shared and first.in_scope(url):
                        c.problems.append(
                            Problem(
                                c.file, second.line, f"sources ({second.id}).start_urls", url,
                                f"ligger också inom källan '{first.id}' (rad {first.line}): sidorna kan crawlas två gånger; "
                                f"lägg till en 'deny'-regel i en av dem",
                                "warning",
                            )
                        )


def sources_by_id(sources: list[Source]) -> dict[str, Source]:
    return {s.id: s for s in sources}


