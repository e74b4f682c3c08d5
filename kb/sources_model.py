"""A configured source and its URL rules; `re:` rules are compiled with RE2, so matching takes linear time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would otherwise write every rejected pattern to stderr
# Python reads `{,n}` as `{0,n}`, RE2 as the literal text: reject rather than change a rule's meaning silently.
_EMPTY_LOWER_BOUND = re.compile(r"(?<!\\)\{,(\d*)\}")
# (fragment of RE2's error text, Swedish explanation with what to do)
_RE2_ERRORS: tuple[tuple[str, str], ...] = (
    ("invalid escape sequence: \\Z", "\\Z stöds inte; skriv \\z (slutet av URL:en) i stället"),
    ("invalid escape sequence: \\u", "\\uXXXX stöds inte; skriv \\x{XXXX} i stället"),
    ("invalid perl operator: (?=", "lookahead (?=…) stöds inte; dela upp i en allow- och en deny-regel"),
    ("invalid perl operator: (?!", "negativ lookahead (?!…) stöds inte; lägg undantaget som en egen deny- eller allow-regel"),
    ("invalid perl operator: (?<", "lookbehind (?<=…)/(?<!…) stöds inte; skriv om regeln utan den"),
    ("invalid perl operator: (?>", "atomära grupper (?>…) stöds inte; använd en vanlig grupp (…)"),
    ("invalid perl operator: (?#", "kommentarer (?#…) stöds inte; ta bort kommentaren"),
    ("invalid perl operator", "den här (?…)-konstruktionen stöds inte; tillåtna flaggor är i, m, s och U"),
    ("bad repetition operator", "dubbla upprepningstecken (t.ex. ++ eller *+) stöds inte; använd ett enda + eller *"),
    ("missing argument to repetition operator",
     "ett upprepningstecken (*, + eller ?) saknar något att upprepa; skriv \\* för ett bokstavligt tecken"),
    ("invalid repetition size", "upprepningen {n,m} är för stor (högst 1000)"),
    ("missing ]", "en hakparentes [ stängs aldrig; skriv \\[ för ett bokstavligt tecken"),
    ("missing )", "en parentes ( stängs aldrig; skriv \\( för ett bokstavligt tecken"),
    ("unexpected )", "en parentes ) saknar sin början; skriv \\) för ett bokstavligt tecken"),
    ("invalid character class range", "ogiltigt teckenintervall i [ ]"),
    ("pattern too large", "uttrycket är för stort; dela upp det i flera regler"),
)
REGEX_PREFIX = "ogiltigt reguljärt uttryck"


class RegexRejected(ValueError):
    """A `re:` rule RE2 cannot run (or would read differently from Python); the message is Swedish."""


def _explain(pattern: str, detail: str) -> str:
    if re.search(r"invalid escape sequence: \\[1-9]", detail):
        return "bakåtreferenser (\\1, \\2 …) stöds inte; skriv om regeln utan dem"
    for fragment, swedish in _RE2_ERRORS:
        if fragment in detail:
            return swedish
    return f"RE2 kan inte tolka det ({detail})"


@lru_cache(maxsize=4096)  # sources repeat the same rules; RE2 compiles each once
def compile_regex(pattern: str) -> Any:
    """Compile ``pattern`` with RE2 (matching in time linear in the URL's length) or raise RegexRejected."""
    bad = _EMPTY_LOWER_BOUND.search(pattern)
    if bad:
        raise RegexRejected(f"{REGEX_PREFIX}: {bad.group(0)} stöds inte; skriv {{0,{bad.group(1)}}} i stället")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise RegexRejected(f"{REGEX_PREFIX} (reglerna körs med RE2, som garanterar linjär tid): {_explain(pattern, detail)}") from None


@dataclass(frozen=True)
class UrlRule:
    """A URL prefix, or a regular expression (RE2, searched anywhere in the URL) when written ``re:…``."""

    raw: str
    regex: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: str) -> UrlRule:
        """The rule for ``raw``; raises RegexRejected for a `re:` rule RE2 cannot run."""
        if raw.startswith("re:"):
            return cls(raw, compile_regex(raw[3:]))
        return cls(raw)

    def matches(self, url: str) -> bool:
        if self.regex is not None:
            return self.regex.search(url) is not None
        return url.startswith(self.raw)


def any_match(rules: tuple[UrlRule, ...], url: str) -> bool:
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
    lan: tuple[str, ...] = ()  # county slugs (kb/lan.yaml) or "nationellt"; empty: detected per document
    content_selector: str | None = None
    drop_selectors: tuple[str, ...] = ()
    enabled: bool = True
    line: int | None = None

    def in_scope(self, url: str) -> bool:
        """May the crawler visit this URL (allow and not deny)?"""
        return any_match(self.allow, url) and not any_match(self.deny, url)

    def indexable(self, url: str) -> bool:
        """May a page at this URL be stored for search (in scope and not follow-only)?"""
        return self.in_scope(url) and not any_match(self.follow_only, url)
