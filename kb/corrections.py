"""Librarians' corrections of county, strategy goal and supersession per document (kb/corrections.yaml), applied at index time."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kb.errors import ConfigError, Problem
from kb.versions import Supersession

DEFAULT_PATH = Path(__file__).with_name("corrections.yaml")


@dataclass(frozen=True)
class Rule:
    """Values for the documents at one URL (exact) or under one prefix."""

    url: str
    prefix: bool
    values: tuple[str, ...]

    def matches(self, url: str) -> bool:
        return url.startswith(self.url) if self.prefix else url == self.url


@dataclass(frozen=True)
class Corrections:
    """Every correction in the file; ``version`` changes whenever the file does (a changed file re-indexes fully)."""

    supersessions: tuple[Supersession, ...] = ()
    lan: tuple[Rule, ...] = ()
    malsattning: tuple[Rule, ...] = ()
    version: str = ""

    def lan_for(self, url: str) -> list[str] | None:
        return _first(self.lan, url)

    def malsattning_for(self, url: str) -> list[str] | None:
        return _first(self.malsattning, url)


def _first(rules: tuple[Rule, ...], url: str) -> list[str] | None:
    """The exact rule for ``url``, else the longest matching prefix rule."""
    exact = [r for r in rules if not r.prefix and r.matches(url)]
    if exact:
        return list(exact[0].values)
    prefixes = sorted((r for r in rules if r.prefix and r.matches(url)), key=lambda r: -len(r.url))
    return list(prefixes[0].values) if prefixes else None


def _address(value: Any) -> str:
    """A URL as the librarian pasted it, without the #page=N a PDF hit's link carries (documents are stored without one)."""
    return str(value).strip().split("#", 1)[0]


def _rules(items: Any, key: str, values_key: str, allowed: set[str], file: str, problems: list[Problem]) -> tuple[Rule, ...]:
    out = []
    for i, item in enumerate(items or ()):
        where = f"{key}[{i}]"
        if not isinstance(item, dict) or ("url" in item) == ("url_prefix" in item) or values_key not in item:
            problems.append(Problem(file, None, where, item, f"förväntade url eller url_prefix och {values_key}"))
            continue
        values = item[values_key]
        values = [values] if isinstance(values, str) else list(values or ())
        unknown = [v for v in values if v not in allowed]
        if unknown:
            problems.append(Problem(file, None, f"{where}.{values_key}", unknown, f"okänt värde; tillåtna: {', '.join(sorted(allowed))}"))
            continue
        prefix = "url_prefix" in item
        out.append(Rule(_address(item["url_prefix" if prefix else "url"]), prefix, tuple(str(v) for v in values)))
    return tuple(out)


def _supersessions(items: Any, file: str, problems: list[Problem]) -> tuple[Supersession, ...]:
    out = []
    for i, item in enumerate(items or ()):
        if isinstance(item, dict) and isinstance(item.get("old"), str) and isinstance(item.get("new"), str):
            out.append(Supersession(_address(item["old"]), _address(item["new"])))
        elif isinstance(item, dict) and isinstance(item.get("current"), str) and len(item) == 1:
            out.append(Supersession(_address(item["current"]), None))
        else:
            expected = "förväntade old: och new: (URL eller författningsnummer), eller current: URL"
            problems.append(Problem(file, None, f"versions[{i}]", item, expected))
    return tuple(out)


@lru_cache(maxsize=4)
def load_corrections(path: Path = DEFAULT_PATH) -> Corrections:
    """Read and check the corrections file (an absent file means no corrections)."""
    from kb.lan import NATIONAL, load_counties
    from kb.sources_yaml import compose
    from kb.taxonomy import load_taxonomy

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Corrections()
    file = str(path)
    compose(file, text)  # a syntax error: ConfigError in Swedish with the file, line and column
    data = yaml.safe_load(text) or {}
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ConfigError([Problem(file, None, "", data, "förväntade nycklarna versions, lan och malsattning")])
    counties = {*load_counties().slugs(), NATIONAL}
    goals = {c.slug for c in load_taxonomy().malsattningar}
    result = Corrections(
        supersessions=_supersessions(data.get("versions"), file, problems),
        lan=_rules(data.get("lan"), "lan", "lan", counties, file, problems),
        malsattning=_rules(data.get("malsattning"), "malsattning", "malsattningar", goals, file, problems),
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
    )
    if problems:
        raise ConfigError(problems)
    return result
