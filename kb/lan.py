"""Counties (län) and municipalities as data (kb/lan.yaml), and which county a document concerns, explained in Swedish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kb.errors import ConfigError, Problem
from kb.sources_yaml import fast_load

DEFAULT_PATH = Path(__file__).with_name("lan.yaml")
NATIONAL = "nationellt"
NATIONAL_LABEL = "Nationellt"

# Text evidence: where a county is named, and how much that counts.
W_TITLE = 3.0
W_DESCRIPTION = 2.0
W_HEADINGS = 2.0
W_BODY = 1.0
BODY_HEAD_CHARS = 3000  # the beginning of the text says whose material it is; later mentions are examples
TEXT_MIN = 3.0  # a county named in the title, or three times in the text
MAX_TEXT_COUNTIES = 2  # more counties than this named: a national overview, not regional material
LIST_SHARE = 0.5  # a county chosen from the text needs this share of the best county's evidence

# Words by which a text says it is regional, or (in its title) national.
REGIONAL_RE = re.compile(r"\b(?:regional|regionala|regionalt|länets|i länet|länsövergripande|länsgemensam\w*)\b", re.IGNORECASE)
NATIONAL_RE = re.compile(r"\b(?:nationell|nationella|nationellt|hela landet|hela sverige|alla län|samtliga län|länsstyrelserna)\b",
                         re.IGNORECASE)
ALL_COUNTIES_RE = re.compile(r"\b(?:länsstyrelserna|alla län|samtliga län|hela landet|alla regioner|samtliga regioner)\b", re.IGNORECASE)
REGIONAL_HEAD_CHARS = 600  # the title, description and start of the text say whether it is regional
COORDINATED_RE = re.compile(r"\b((?:[A-ZÅÄÖ][\w-]+,\s)*[A-ZÅÄÖ][\w-]+)\s(?:och|eller|samt)\s[A-ZÅÄÖ][\w-]+\slän\b")

SOURCE_FIELD = "källan"
FIELD_NAMES = {"title": "titeln", "description": "beskrivningen", "headings": "rubrikerna", "body": "texten"}


@dataclass(frozen=True)
class County:
    """One county: SCB code, facet slug, names used in text, and its municipalities (SCB code, name)."""

    code: str
    slug: str
    name: str
    short: str
    lansstyrelsen_path: str
    regions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    kommuner: tuple[tuple[str, str], ...] = ()

    def names(self) -> list[str]:
        """Every name that, found in a text, means this county (the county, its länsstyrelse, region, municipalities)."""
        out = [self.name, f"länsstyrelsen {self.short}", f"länsstyrelsen i {self.name}", *self.regions, *self.aliases]
        for _code, kommun in self.kommuner:
            out.extend(municipality_names(kommun))
        return out


def municipality_names(kommun: str) -> list[str]:
    """How a municipality is named as an organisation: "Östersunds kommun", "Ale kommun", "Göteborgs stad"."""
    genitive = kommun if kommun[-1] in "sxz" else kommun + "s"
    forms = {f"{genitive} kommun", f"{kommun} kommun", f"{genitive} stad", f"{kommun} stad"}
    if kommun == "Gotland":
        forms = {"Region Gotland"}
    return sorted(forms)


@dataclass(frozen=True)
class LanResult:
    """The county slugs a document concerns (or [NATIONAL]) and why, in Swedish."""

    slugs: list[str]
    explanation: str


class Counties:
    """All counties, compiled once into lookups and one regex over their names."""

    def __init__(self, counties: tuple[County, ...], version: str = "") -> None:
        self.counties = counties
        self.version = version
        self.by_slug = {c.slug: c for c in counties}
        self.by_path = {c.lansstyrelsen_path: c for c in counties}
        self.by_code = {c.code: c for c in counties}
        names: dict[str, County] = {}
        for c in counties:
            for name in c.names():
                names[name.lower()] = c
        self.by_name = names

    @cached_property
    def _name_re(self) -> re.Pattern[str]:
        """Whole names, a genitive -s allowed after the last word ("Jämtlands läns", "Region Skånes"); compiled on first
        use (~60 ms that a search, which only shows county labels, does not pay)."""
        words = sorted(self.by_name, key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")s?(?!\w)", re.IGNORECASE)

    def labels(self) -> dict[str, str]:
        """Facet value -> Swedish label, NATIONAL included."""
        return {**{c.slug: c.name for c in self.counties}, NATIONAL: NATIONAL_LABEL}

    def slugs(self) -> list[str]:
        return [c.slug for c in self.counties]

    def municipality(self, code: str) -> tuple[str, County] | None:
        """(name, county) of a municipality by its SCB code."""
        county = self.by_code.get(code[:2])
        if county is None:
            return None
        for kcode, name in county.kommuner:
            if kcode == code:
                return name, county
        return None

    def from_url(self, url: str) -> County | None:
        """The county of a page on the länsstyrelser's common site: https://www.lansstyrelsen.se/jamtland/…"""
        parts = urlsplit(url)
        if "lansstyrelsen" not in (parts.hostname or ""):
            return None
        first = parts.path.strip("/").split("/", 1)[0].lower()
        return self.by_path.get(first)

    def from_organisation(self, organisation: str) -> County | None:
        """The county of an organisation that is a länsstyrelse, region or municipality named in the data."""
        name = " ".join(organisation.split()).lower()
        return self.by_name.get(name)

    def mentions(self, text: str) -> list[tuple[County, str]]:
        """(county, name as written) for every county, region, länsstyrelse or municipality named in ``text``."""
        out = []
        for m in self._name_re.finditer(text):
            county = self.by_name.get(m.group(1).lower())
            if county is not None:
                out.append((county, m.group(1)))
        # "Norrbottens och Västerbottens län", "Blekinge, Dalarnas och Kalmar län": the first names share the last "län"
        for m in COORDINATED_RE.finditer(text):
            for word in re.findall(r"[A-ZÅÄÖ][\w-]+", m.group(1)):
                county = self.by_name.get(f"{word} län".lower())
                if county is not None:
                    out.append((county, f"{word} län"))
        return out

    # -- one document -------------------------------------------------------------------------------------

    def source_county(self, organisation: str, start_urls: tuple[str, ...]) -> tuple[County | None, str]:
        """A county every document of a source concerns: its organisation is a municipality or region in the data,
        or all its start URLs lie in one county's part of the länsstyrelser's site."""
        # a länsstyrelse also hosts national teams on their own sites (hedersfortryck.se, manniskohandel.se):
        # its name alone says nothing, its part of lansstyrelsen.se does
        by_org = None if organisation.lower().startswith("länsstyrelsen") else self.from_organisation(organisation)
        if by_org is not None:
            return by_org, f"källans organisation ”{organisation}” hör till {by_org.name}"
        from_urls = {self.from_url(u) for u in start_urls}
        if len(from_urls) == 1:
            only = from_urls.pop()
            if only is not None:
                return only, f"källans startadresser ligger under /{only.lansstyrelsen_path}/"
        return None, ""

    def from_text(self, fields: list[tuple[str, str]]) -> tuple[list[County], str]:
        """Counties named in the text: weighted by field, at most MAX_TEXT_COUNTIES (more means a national overview).

        A title that calls itself national ("nationella", "hela landet", "länsstyrelserna") is national unless it
        names a region or municipality. A länsstyrelse named without anything regional around it is an agency doing
        a national task ("Uppdrag till Länsstyrelsen i Östergötlands län …"), not a county. Text that calls itself
        regional ("regionalt", "länets") and names one county concerns that county even when named only once."""
        weights = {"title": W_TITLE, "description": W_DESCRIPTION, "headings": W_HEADINGS, "body": W_BODY}
        title = next((text for name, text in fields if name == "title"), "")
        head = " ".join(text[:REGIONAL_HEAD_CHARS] for _name, text in fields)
        national = NATIONAL_RE.search(title)
        # "Regeringen ger länsstyrelserna i uppdrag …": a regional word in a text about every county is not regional
        regional = None if ALL_COUNTIES_RE.search(head) else REGIONAL_RE.search(head)
        if national and not any(not w.lower().startswith("länsstyrelsen") for _c, w in self.mentions(title)):
            return [], f"titeln säger ”{national.group(0)}”, så den gäller hela landet"
        score: dict[str, float] = {}
        seen: dict[str, list[str]] = {}
        for field_name, text in fields:
            if field_name == "body":
                text = text[:BODY_HEAD_CHARS]
            for county, written in self.mentions(text):
                if written.lower().startswith("länsstyrelsen") and not regional:
                    continue
                score[county.slug] = score.get(county.slug, 0.0) + weights[field_name]
                reason = f"{FIELD_NAMES[field_name]} nämner ”{written}”"
                if reason not in seen.setdefault(county.slug, []):
                    seen[county.slug].append(reason)
        if not score:
            return [], ""
        best = max(score.values())
        # a regional text naming one county near its start needs no more than that one mention
        early = {c.slug for c, _w in self.mentions(head)}
        needed = W_BODY if regional and len(score) == 1 and set(score) <= early else TEXT_MIN
        chosen = [s for s, v in score.items() if v >= needed and v >= LIST_SHARE * best]
        if len(score) > MAX_TEXT_COUNTIES + 1 and (len(chosen) > MAX_TEXT_COUNTIES or not chosen):
            return [], f"texten nämner {len(score)} län, så den gäller hela landet"
        if len(chosen) > MAX_TEXT_COUNTIES:
            return [], f"texten nämner {len(chosen)} län lika mycket, så den gäller hela landet"
        chosen.sort(key=lambda s: (-score[s], self.by_slug[s].code))
        why = "; ".join(_join(seen[s][:2]) for s in chosen)
        if chosen and regional and needed == W_BODY:
            why += f" och texten kallar sig ”{regional.group(0)}”"
        return [self.by_slug[s] for s in chosen], why

    def classify(self, url: str, title: str, description: str, headings: list[str], text: str,
                 source: Any = None) -> LanResult:
        """The counties a document concerns, from (in this order) the source's ``lan:``, a länsstyrelse address,
        the source's organisation or start URLs, and the text; else NATIONAL."""
        declared = tuple(getattr(source, "lan", ()) or ())
        if declared:
            slugs = [s for s in declared if s in self.by_slug or s == NATIONAL] or [NATIONAL]
            name = getattr(source, "name", "")
            return LanResult(slugs, f"Län: {self._labels(slugs)} eftersom källan ”{name}” är märkt så.")
        county = self.from_url(url)
        if county is not None:
            return LanResult([county.slug], f"Län: {county.name} eftersom adressen ligger under /{county.lansstyrelsen_path}/.")
        if source is not None:
            county, why = self.source_county(getattr(source, "organisation", ""), tuple(getattr(source, "start_urls", ())))
            if county is not None:
                return LanResult([county.slug], f"Län: {county.name} eftersom {why}.")
        fields = [("title", title), ("description", description), ("headings", "\n".join(headings)), ("body", text)]
        counties, why = self.from_text(fields)
        if counties:
            return LanResult([c.slug for c in counties], f"Län: {_join([c.name for c in counties])} eftersom {why}.")
        if why:
            return LanResult([NATIONAL], f"Län: nationellt eftersom {why}.")
        return LanResult([NATIONAL], "Län: nationellt eftersom varken källan eller texten anger något län.")

    def _labels(self, slugs: list[str]) -> str:
        labels = self.labels()
        return _join([labels.get(s, s) for s in slugs])


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " och " + items[-1]


def _county(raw: Any, file: str, index: int) -> County:
    where = f"lan[{index}]"
    required = ("code", "slug", "name", "short", "lansstyrelsen_path", "kommuner")
    if not isinstance(raw, dict) or any(k not in raw for k in required):
        raise ConfigError([Problem(file, None, where, raw, f"förväntade nycklarna {', '.join(required)}")])
    kommuner = raw["kommuner"]
    if not isinstance(kommuner, dict) or not all(str(k).startswith(str(raw["code"])) for k in kommuner):
        raise ConfigError([Problem(file, None, f"{where}.kommuner", kommuner, "förväntade kommunkod: namn, koden börjar med länskoden")])
    return County(
        code=str(raw["code"]),
        slug=str(raw["slug"]),
        name=str(raw["name"]),
        short=str(raw["short"]),
        lansstyrelsen_path=str(raw["lansstyrelsen_path"]),
        regions=tuple(str(r) for r in raw.get("regions") or ()),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        kommuner=tuple((str(k), str(v)) for k, v in kommuner.items()),
    )


@lru_cache(maxsize=4)
def load_counties(path: Path = DEFAULT_PATH) -> Counties:
    """Read kb/lan.yaml (cached per path)."""
    import hashlib

    text = Path(path).read_text(encoding="utf-8")
    data = fast_load(text) or {}
    counties = tuple(_county(raw, str(path), i) for i, raw in enumerate(data.get("lan") or ()))
    return Counties(counties, version=hashlib.sha256(text.encode()).hexdigest()[:12])
