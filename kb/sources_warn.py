"""Warnings for likely mistakes in sources.yaml (not errors), found in time linear in the number of sources."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from urllib.parse import urlsplit

import yaml

from kb.errors import Problem
from kb.sources_model import Source, any_match
from kb.sources_yaml import Collector, did_you_mean

RawKeys = dict[str, tuple[yaml.Node, yaml.Node]]


def is_private_host(host: str) -> bool:
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return host in ("localhost",) or host.endswith(".localhost")


def _item_node(raw: RawKeys, key: str, value: str, fallback: yaml.Node, nth: int = 0) -> yaml.Node:
    """The YAML node of the ``nth`` list item equal to ``value`` (for its line), else the key's value node, else ``fallback``."""
    if key not in raw:
        return fallback
    value_node = raw[key][1]
    if isinstance(value_node, yaml.SequenceNode):
        matches = [item for item in value_node.value if isinstance(item, yaml.ScalarNode) and item.value == value]
        if matches:
            return matches[min(nth, len(matches) - 1)]
    return value_node


def prefix(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _warn_deny_all(c: Collector, node: yaml.Node, where: str, s: Source, raw: RawKeys) -> list[str]:
    denied = [url for url in s.start_urls if any_match(s.allow, url) and any_match(s.deny, url)]
    if s.start_urls and len(denied) == len(s.start_urls):
        rules = sorted({rule.raw for url in denied for rule in s.deny if rule.matches(url)})
        deny_node = _item_node(raw, "deny", rules[0], node) if rules else node
        c.add(deny_node, f"{where}.deny", ", ".join(rules), "spärrar alla start-URL:er: inget från källan kommer att crawlas", "warning")
    return denied


def _warn_start_url(c: Collector, item: yaml.Node, key: str, s: Source, url: str, partly_denied: bool) -> None:
    if not any_match(s.allow, url):
        hint = did_you_mean(prefix(url), [r.raw for r in s.allow if r.regex is None]) or f" (lägg till '{prefix(url)}' i allow?)"
        c.add(item, key, url, "start-URL:en ligger utanför 'allow' och crawlas inte" + hint, "warning")
    elif partly_denied:
        c.add(item, key, url, "start-URL:en spärras av 'deny'", "warning")
    if is_private_host(urlsplit(url).hostname or "") and not s.allow_private_network:
        c.add(item, key, url, "lokal eller privat adress: vägras om inte allow_private_network: true", "warning")


def warn_source(c: Collector, node: yaml.Node, where: str, s: Source, raw: RawKeys) -> None:
    """Likely mistakes within one source: each names the line and, where it can, a likely fix."""
    key = f"{where}.start_urls"
    denied = _warn_deny_all(c, node, where, s, raw)
    seen: dict[str, int] = {}
    for url in s.start_urls:
        item = _item_node(raw, "start_urls", url, node, seen.get(url, 0))
        if url in seen:
            seen[url] += 1
            c.add(item, key, url, "start-URL:en förekommer två gånger", "warning")
            continue
        seen[url] = 1
        _warn_start_url(c, item, key, s, url, url in denied and len(denied) < len(s.start_urls))
    public = [url for url in s.start_urls if not is_private_host(urlsplit(url).hostname or "")]
    if public and s.delay < 1.0:
        delay_node = raw["delay"][1] if "delay" in raw else node
        c.add(
            delay_node, f"{where}.delay", s.delay,
            "under 1 sekund mellan anropen till en publik webbplats är ohövligt och kan få crawlern spärrad (menade du 1?)",
            "warning",
        )


class _ScopeIndex:
    """Which sources may contain a URL: prefix rules looked up by every prefix of the URL, `re:` allow rules always tried."""

    def __init__(self, sources: list[Source]) -> None:
        self.by_prefix: dict[str, list[int]] = defaultdict(list)
        self.regex: list[int] = []
        for i, s in enumerate(sources):
            for rule in s.allow:
                if rule.regex is None:
                    self.by_prefix[rule.raw].append(i)
                elif not self.regex or self.regex[-1] != i:
                    self.regex.append(i)
        self.lengths = sorted({len(p) for p in self.by_prefix})

    def candidates(self, url: str) -> list[int]:
        found = set(self.regex)
        for n in self.lengths:
            if n > len(url):
                break
            found.update(self.by_prefix.get(url[:n], ()))
        return sorted(found)


def warn_overlaps(c: Collector, sources: list[Source]) -> None:
    """Start URLs shared by two sources, or inside another source's scope: the same pages may be crawled twice."""
    owners: dict[str, list[Source]] = defaultdict(list)
    index = _ScopeIndex(sources)
    for i, s in enumerate(sources):
        key = f"sources ({s.id}).start_urls"
        for url in sorted(set(s.start_urls)):
            for first in owners[url]:
                message = f"start-URL:en förekommer två gånger: den är också start-URL för källan '{first.id}' (rad {first.line})"
                c.problems.append(Problem(c.file, s.line, key, url, message, "warning"))
            owners[url].append(s)
        for url in dict.fromkeys(s.start_urls):
            for j in index.candidates(url):
                other = sources[j]
                if j != i and url not in other.start_urls and other.in_scope(url):
                    c.problems.append(
                        Problem(
                            c.file, s.line, key, url,
                            f"ligger också inom källan '{other.id}' (rad {other.line}): sidorna kan crawlas två gånger; "
                            f"lägg till en 'deny'-regel i en av dem",
                            "warning",
                        )
                    )
