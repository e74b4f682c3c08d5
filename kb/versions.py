"""Versions of one work: författning identifiers, editions, "ersätter"/"upphävd", yearly titles; which is current, explained in Swedish."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

HEAD_CHARS = 2500  # identifiers, "ersätter" and editions are stated at the start (title page, preamble)

# SOSFS 2014:4, HSLF-FS 2022:39, AFS 2023:1, SKOLFS 2010:37, MSBFS 2020:1 …
FS_RE = re.compile(r"(?<![\w-])((?:[A-ZÅÄÖ]{2,6}-)?[A-ZÅÄÖ]{0,6}FS)\s?(\d{4}):(\d{1,4})(?!\d)")
# "ersätter SOSFS 2014:4", "Genom dessa föreskrifter upphävs … (SOSFS 2014:4)": this document replaces that one
REPLACES_RE = re.compile(r"\b(?:ersätter|upphäver|upphävs|ersätts härmed)\b([^.]{0,240})", re.IGNORECASE)
# "har upphävts och ersatts av HSLF-FS 2022:39", "ersatt av", "upphävd genom": this document is replaced by that one
REPLACED_BY_RE = re.compile(
    r"\b(?:ersatts av|ersatt av|ersatta av|ersätts av|upphävd(?:a)? (?:genom|av|och ersatt av)|upphävts (?:genom|av)|"
    r"upphävts och ersatts av)\b([^.]{0,240})",
    re.IGNORECASE,
)
# a superseded marker without a named successor: in the title, or said of the document itself at its start
SUPERSEDED_RE = re.compile(
    r"\b(?:upphävd|upphävda|har upphävts|gäller inte längre|har upphört att gälla|inaktuell|ersatt av en ny(?:are)? version)\b",
    re.IGNORECASE,
)
SELF_SUPERSEDED_RE = re.compile(
    r"(?:^|\n)\s*(?:upphävd|upphävda|inaktuell)\b|\b(?:denna|den här|dessa|författningen|föreskriften|föreskrifterna|dokumentet|"
    r"handboken|vägledningen|versionen|publikationen)\s(?:är|har)\s(?:upphävd|upphävda|upphävts|ersatts|inaktuell)",
    re.IGNORECASE,
)
# an identifier in the text is the document's own when it opens the text or names the regulation it stands next to
OWN_CONTEXT_RE = re.compile(r"(?:föreskrift\w*|allmänna råd|författningssamling\w*)[^.()]{0,40}\(\s*$", re.IGNORECASE)
OWN_START_CHARS = 80
ORDINALS = {"första": 1, "andra": 2, "tredje": 3, "fjärde": 4, "femte": 5, "sjätte": 6, "sjunde": 7, "åttonde": 8}
EDITION_RE = re.compile(
    r"\b(?:(?P<ord>första|andra|tredje|fjärde|femte|sjätte|sjunde|åttonde)|(?P<num>\d{1,2})(?::\s?[ae]|\.)?)\s+"
    r"(?:reviderade\s+|omarbetade\s+|uppdaterade\s+)?(?:upplagan|utgåvan|upplaga|utgåva)\b"
    r"|\b(?:upplaga|utgåva)\s+(?P<num2>\d{1,2})\b",
    re.IGNORECASE,
)
REVISED_RE = re.compile(r"\b(?:reviderad|omarbetad|uppdaterad|ny)\s+(?:utgåva|upplaga|version)\b", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<!\d)((?:19[89]|20[0-4])\d)(?!\d)(?:\s?[–-]\s?((?:19[89]|20[0-4])\d|\d\d)(?!\d))?")
# words that say nothing about which work a title names
TITLE_NOISE = re.compile(r"\b(?:pdf|docx|pptx|reviderad|omarbetad|uppdaterad|ny|utgåva|utgåvan|upplaga|upplagan|version|"
                         r"första|andra|tredje|fjärde|femte)\b")
MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
DATED_TITLE_RE = re.compile(rf"\b\d{{1,2}}\s(?:{MONTHS})\s\d{{4}}\b", re.IGNORECASE)
MIN_KEY_CHARS = 8  # a shorter title ("Nyheter", "Om oss") never groups documents


def identifier(prefix: str, year: str, number: str) -> str:
    """The canonical form of a författning identifier: "HSLF-FS 2022:39"."""
    return f"{prefix} {year}:{int(number)}"


def find_identifiers(text: str) -> list[str]:
    """Every författning identifier in ``text``, in order, canonical and without repeats."""
    out: list[str] = []
    for m in FS_RE.finditer(text):
        ident = identifier(*m.groups())
        if ident not in out:
            out.append(ident)
    return out


def work_key(organisation: str, lan: Iterable[str], title: str) -> str:
    """What versions of one work share: organisation, counties and the title without years, identifiers and edition words."""
    if DATED_TITLE_RE.search(title):  # "Regeländringar beslutade den 22 juni 2017": an event on a day, not an edition
        return ""
    t = FS_RE.sub(" ", title)
    t = YEAR_RE.sub(" ", t)
    t = unicodedata.normalize("NFKC", t).lower()
    t = TITLE_NOISE.sub(" ", EDITION_RE.sub(" ", t))
    t = re.sub(r"[^\w]+", " ", t)
    t = " ".join(t.split())
    if len(t) < MIN_KEY_CHARS:
        return ""
    return f"{organisation.lower()}|{','.join(sorted(lan))}|{t}"


@dataclass
class VersionInfo:
    """What one document says about its version (pure function of the document; cached per index generation)."""

    url: str
    title: str
    key: str = ""  # work_key(); "" when the title cannot group versions
    own: str | None = None  # its own identifier (SOSFS 2014:4)
    replaces: list[str] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    superseded_marker: str = ""  # "upphävd" … as written
    edition: int = 0  # 2 for "andra upplagan", 1 for an unnumbered revised edition
    title_year: int = 0  # a year in the title ("Handlingsplan 2025")
    year: int = 0  # publication year (0 unknown)

    def rank(self) -> tuple[int, int, int]:
        """Newer versions sort higher: title year, then edition, then publication year."""
        return (self.title_year or self.year, self.edition, self.year)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionInfo:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _edition(text: str) -> int:
    m = EDITION_RE.search(text)
    if m:
        if m.group("ord"):
            return ORDINALS[m.group("ord").lower()]
        return int(m.group("num") or m.group("num2"))
    return 2 if REVISED_RE.search(text) else 0


def _title_year(title: str) -> int:
    years = [int(m.group(1)) for m in YEAR_RE.finditer(FS_RE.sub(" ", title))]
    return max(years) if years else 0


def _own_in_text(head: str, others: list[str]) -> str | None:
    """The first identifier that opens the text or stands in brackets after "föreskrifter …", "allmänna råd …" (not one it replaces)."""
    for m in FS_RE.finditer(head):
        ident = identifier(*m.groups())
        if ident in others:
            continue
        if m.start() < OWN_START_CHARS or OWN_CONTEXT_RE.search(head[:m.start()]):
            return ident
    return None


def version_info(url: str, title: str, text: str, organisation: str, lan: Iterable[str], year: int | None) -> VersionInfo:
    """Read a document's version signals from its title and the start of its text."""
    head = text[:HEAD_CHARS]
    in_title = find_identifiers(title)
    own = in_title[0] if in_title else None
    replaces: list[str] = []
    for m in REPLACES_RE.finditer(head):
        replaces.extend(i for i in find_identifiers(m.group(1)) if i != own and i not in replaces)
    replaced_by: list[str] = []
    for m in REPLACED_BY_RE.finditer(title + "\n" + head):
        replaced_by.extend(i for i in find_identifiers(m.group(1)) if i != own and i not in replaced_by)
    if own is None:
        own = _own_in_text(head[:400], replaces + replaced_by)
    marker = SUPERSEDED_RE.search(title) or SELF_SUPERSEDED_RE.search(head[:600])
    if marker is None and own is not None:  # "SOSFS 2014:4 har upphävts …", said of its own identifier
        marker = re.search(re.escape(own) + r"[^.]{0,40}?\b(?:har upphävts|är upphävd|har ersatts|har upphört att gälla)", head[:600])
    return VersionInfo(
        url=url,
        title=title,
        key=work_key(organisation, lan, title),
        own=own,
        replaces=replaces,
        replaced_by=replaced_by,
        superseded_marker=marker.group(0) if marker else "",
        edition=_edition(title + "\n" + head[:600]),
        title_year=_title_year(title),
        year=year or 0,
    )


@dataclass
class VersionState:
    """The resolved state of one document: the newest version (when it is not the newest itself) and why."""

    superseded: bool = False
    newer_url: str | None = None
    newer_title: str | None = None
    versions: list[tuple[str, str]] = field(default_factory=list)  # every version of the work, newest first (url, title)
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionState:
        out = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        out.versions = [(str(u), str(t)) for u, t in out.versions]
        return out


@dataclass(frozen=True)
class Supersession:
    """A librarian's statement in kb/corrections.yaml: ``old`` (URL or identifier) is replaced by ``new``; new None: current."""

    old: str
    new: str | None = None


class _Edges:
    """old URL -> (new URL or None, Swedish reason); a librarian's correction replaces whatever was detected."""

    def __init__(self) -> None:
        self.newer: dict[str, tuple[str | None, str]] = {}

    def add(self, old: str, new: str | None, reason: str, force: bool = False) -> None:
        if old == new:
            return
        if force or old not in self.newer or (self.newer[old][0] is None and new is not None):
            self.newer[old] = (new, reason)

    def newest(self, url: str) -> str | None:
        """The end of the chain of newer versions from ``url`` (None when nothing newer is known or on a cycle)."""
        seen = {url}
        current: str | None = None
        step = self.newer.get(url, (None, ""))[0]
        while step is not None and step not in seen:
            seen.add(step)
            current = step
            step = self.newer.get(step, (None, ""))[0]
        return current


def _by_identifier(infos: list[VersionInfo]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for info in infos:
        if info.own:
            out.setdefault(info.own, []).append(info.url)
    return out


def _identifier_edges(infos: list[VersionInfo], edges: _Edges, superseded: dict[str, str]) -> None:
    ids = _by_identifier(infos)
    for info in infos:
        for old_id in info.replaces:
            for old in ids.get(old_id, []):
                edges.add(old, info.url, f"”{info.title}” ersätter {old_id}")
        for new_id in info.replaced_by:
            targets = [u for u in ids.get(new_id, []) if u != info.url]
            for new in targets[:1]:
                edges.add(info.url, new, f"texten säger att den ersatts av {new_id}")
            if not targets:
                superseded[info.url] = f"texten säger att den ersatts av {new_id}"
        if info.superseded_marker and info.url not in superseded:
            superseded[info.url] = f"texten säger ”{info.superseded_marker}”"


def _title_edges(infos: list[VersionInfo], edges: _Edges) -> None:
    """The same title from the same organisation (and counties) with a newer year or edition."""
    groups: dict[str, list[VersionInfo]] = {}
    for info in infos:
        if info.key and (info.title_year or info.edition):
            groups.setdefault(info.key, []).append(info)
    for members in groups.values():
        if len({m.rank() for m in members}) < 2:
            continue
        members.sort(key=lambda m: (m.rank(), m.url), reverse=True)
        newest = members[0]
        for m in members[1:]:
            if m.rank() < newest.rank():
                what = "ett nyare år" if (newest.title_year or newest.year) > (m.title_year or m.year) else "en nyare utgåva"
                edges.add(m.url, newest.url, f"samma titel från samma organisation finns med {what}")


def _corrections(infos: list[VersionInfo], corrections: Iterable[Supersession], edges: _Edges,
                 superseded: dict[str, str]) -> None:
    ids = _by_identifier(infos)
    urls = {i.url for i in infos}

    def resolve(ref: str) -> list[str]:
        return [ref] if ref in urls else ids.get(" ".join(ref.split()), [])

    stated: set[str] = set()
    for c in corrections:
        for old in resolve(c.old):
            if c.new is None:
                edges.newer.pop(old, None)
                superseded.pop(old, None)
                superseded[old] = ""  # "" marks "current by correction"
                continue
            targets = resolve(c.new)
            if targets:
                edges.add(old, targets[0], "en bibliotekarie har angett det (kb/corrections.yaml)", force=True)
                stated.add(old)
                _break_cycle(edges, old, stated)
            else:
                superseded[old] = f"en bibliotekarie har angett att den ersatts av {c.new} (kb/corrections.yaml)"


def _break_cycle(edges: _Edges, start: str, stated: set[str]) -> None:
    """After a librarian's edge from ``start``: a detected chain leading back to ``start`` would make every version
    "superseded"; the librarian's word wins, so the first detected edge on that chain goes."""
    path: list[str] = []
    step = edges.newer[start][0]
    while step is not None and step != start and step not in path:
        path.append(step)
        step = edges.newer.get(step, (None, ""))[0]
    if step == start:
        for url in path:
            if url not in stated:
                edges.newer.pop(url)
                return


def resolve_versions(infos: Iterable[VersionInfo], corrections: Iterable[Supersession] = ()) -> dict[str, VersionState]:
    """The version state of every document that has another version or is superseded (others are omitted)."""
    infos = list(infos)
    by_url = {i.url: i for i in infos}
    edges = _Edges()
    superseded: dict[str, str] = {}
    _identifier_edges(infos, edges, superseded)
    _title_edges(infos, edges)
    _corrections(infos, corrections, edges, superseded)
    current_by_librarian = {u for u, why in superseded.items() if why == ""}
    for url in current_by_librarian:
        edges.newer.pop(url, None)
    components = _components(edges)
    out: dict[str, VersionState] = {}
    for members in components:
        ordered = sorted(members, key=lambda u: (edges.newest(u) is None, by_url[u].rank(), u), reverse=True)
        versions = [(u, by_url[u].title) for u in ordered]
        for url in members:
            newest = edges.newest(url)
            if newest is None:
                out[url] = VersionState(versions=versions, explanation=f"Version: den nyaste av {len(versions)} versioner.")
                continue
            reason = edges.newer[url][1]
            out[url] = VersionState(True, newest, by_url[newest].title, versions,
                                    f"Version: ersatt av ”{by_url[newest].title}” eftersom {reason}.")
    for url, why in superseded.items():
        if why and url not in out and url in by_url:
            out[url] = VersionState(True, explanation=f"Version: ersatt eftersom {why}.")
    return out


def _components(edges: _Edges) -> list[list[str]]:
    """Groups of URLs joined by a newer-version edge."""
    parent: dict[str, str] = {}

    def find(u: str) -> str:
        parent.setdefault(u, u)
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    for old, (new, _why) in edges.newer.items():
        if new is not None:
            parent[find(old)] = find(new)
    groups: dict[str, list[str]] = {}
    for u in list(parent):
        groups.setdefault(find(u), []).append(u)
    return [sorted(g) for g in groups.values() if len(g) > 1]


# A query that names a year, an identifier or an old version wants superseded material ranked as any other.
VERSION_QUERY_RE = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?!\d)|\bFS\s?\d{4}:\d|\b(?:upphävd\w*|tidigare|äldre|gamla|version\w*|utgåva\w*|upplaga\w*)\b",
    re.IGNORECASE,
)


def asks_for_versions(query: str) -> bool:
    """True when the query asks for a particular version: a year, a författning identifier, "äldre", "upphävd" …"""
    return bool(VERSION_QUERY_RE.search(query))
