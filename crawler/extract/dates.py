"""Find publication and update dates: Swedish labels, meta tags, JSON-LD, <time>, and full dates in text."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

log = logging.getLogger(__name__)

EARLIEST = date(1990, 1, 1)

MONTHS: dict[str, int] = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "febr": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "okt": 10, "nov": 11, "dec": 12,
    # English month names appear on a few Swedish sites and in metadata.
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7,
    "august": 8, "october": 10, "oct": 10,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))

# 2024-05-03, 2024-05-03T10:00:00+02:00, 2024/05/03, 2024.05.03
_ISO = r"(?<![\d-])(?P<y>(?:19|20)\d\d)[-/.](?P<m>0?[1-9]|1[0-2])[-/.](?P<d>0?[1-9]|[12]\d|3[01])(?![\d])"
# 3 maj 2024, 3:e maj 2024, den 3 maj, 2024, 3 jan. 2024
_SV = (r"(?<![\d])(?P<d2>0?[1-9]|[12]\d|3[01])(?::?e|:a)?\.?\s+(?P<mon>" + _MONTH_ALT
       + r")\.?,?\s+(?P<y2>(?:19|20)\d\d)(?!\d)")
# 3/5 2024 or 3.5.2024 (day first, Swedish order)
_NUM = r"(?<![\d/.])(?P<d3>0?[1-9]|[12]\d|3[01])[/.](?P<m3>0?[1-9]|1[0-2])[/. ]\s?(?P<y3>(?:19|20)\d\d)(?!\d)"

DATE_RE = re.compile(f"{_ISO}|{_SV}|{_NUM}", re.IGNORECASE)

_PUB_LABEL = r"publicerad|publicerat|publiceringsdatum|publicerades|utgiven|utgivningsdatum|datum"
_MOD_LABEL = (r"senast\s+uppdaterad|senast\s+uppdaterat|uppdaterad|uppdaterat|senast\s+ändrad|"
              r"senast\s+ändrat|ändrad|ändrat|senast\s+granskad|granskad|reviderad|sidan\s+uppdaterades")
LABEL_RE = re.compile(
    r"\b(?:(?P<mod>" + _MOD_LABEL + r")|(?P<pub>" + _PUB_LABEL + r"))\b"
    r"(?:\s*(?:den|:|-|–))?\s*(?:kl\.?\s*\d\d[:.]\d\d\s*)?",
    re.IGNORECASE,
)

LABEL_STEMS = ("publicer", "utgiv", "datum", "uppdater", "ändra", "granskad", "reviderad")  # every label holds one


def today() -> date:
    """The current date (a function so tests can reason about "future")."""
    return date.today()


def plausible(d: date | None) -> date | None:
    """Return ``d`` if it lies between 1990-01-01 and tomorrow, else None."""
    if d is None:
        return None
    if d < EARLIEST or d > today() + timedelta(days=1):
        return None
    return d


def _from_match(m: re.Match[str]) -> date | None:
    try:
        if m.group("y"):
            return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if m.group("y2"):
            return date(int(m.group("y2")), MONTHS[m.group("mon").lower()], int(m.group("d2")))
        if m.group("y3"):
            return date(int(m.group("y3")), int(m.group("m3")), int(m.group("d3")))
    except ValueError:  # 31 februari and friends
        return None
    return None


def parse_date(value: str | None) -> date | None:
    """Parse one date value (ISO, ISO datetime, PDF 'D:YYYYMMDD…', Swedish '3 maj 2024'); None if not plausible."""
    if not value:
        return None
    s = value.strip()[:200]
    m = re.match(r"^D?:?((?:19|20)\d\d)(\d\d)(\d\d)", s)  # PDF dates and compact ISO
    if m:
        try:
            return plausible(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            return None
    m2 = DATE_RE.search(s)
    if m2 is None:
        return None
    return plausible(_from_match(m2))


NUMBER_LABEL = re.compile(r"(?:artikelnummer|artikelnr|art\.?\s?nr|isbn|issn|diarienummer|diarienr|dnr)\.?\s*:?\s*$", re.IGNORECASE)


def find_dates(text: str) -> list[date]:
    """Every plausible full date (day, month and year) in ``text``, in order; bare years are never dates."""
    out: list[date] = []
    for m in DATE_RE.finditer(text[:200_000]):
        if m.group("y") and NUMBER_LABEL.search(text, max(0, m.start() - 24), m.start()):
            continue  # "Artikelnummer: 2024-3-12" numbers a publication, it does not date it
        d = plausible(_from_match(m))
        if d is not None:
            out.append(d)
    return out


def find_labelled(text: str, event: bool = False) -> tuple[date | None, date | None]:
    """Dates after Swedish labels: ("Publicerad 3 maj 2024" → published, "Senast uppdaterad …" → modified). On an event
    page (``event``) a bare "Datum" labels when the event is held, not when the page was published."""
    published: date | None = None
    modified: date | None = None
    low = text[:200_000].lower()
    if not any(stem in low for stem in LABEL_STEMS):  # most pages have no label: skip the regex scan
        return None, None
    for m in LABEL_RE.finditer(text[:200_000]):
        window = text[m.end(): m.end() + 40]
        dm = DATE_RE.match(window.lstrip())
        if dm is None:
            continue
        d = plausible(_from_match(dm))
        if d is None:
            continue
        if event and m.group("pub") and m.group("pub").lower() == "datum":
            continue
        if m.group("mod"):
            if modified is None or d > modified:
                modified = d
        elif published is None:
            published = d
    return published, modified


PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "dcterms.date", "dcterms.issued",
    "dcterms.created", "dc.date.issued", "dc.date", "dc.date.created", "date", "pubdate",
    "publish-date", "publishdate", "publication_date", "sv.date.published",
)
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "dc.date.modified",
    "last-modified", "lastmod", "revised",
)


def from_meta(meta: dict[str, str]) -> tuple[date | None, date | None]:
    """Dates from meta tags, keyed by lower-cased name/property/itemprop."""
    published = next((d for k in PUBLISHED_META if (d := parse_date(meta.get(k))) is not None), None)
    modified = next((d for k in MODIFIED_META if (d := parse_date(meta.get(k))) is not None), None)
    return published, modified


def _walk_json(node: object, depth: int = 0) -> Iterable[tuple[str, object]]:
    if depth > 20:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k), v
            yield from _walk_json(v, depth + 1)
    elif isinstance(node, list):
        for v in node[:200]:
            yield from _walk_json(v, depth + 1)


def from_json_ld(scripts: Iterable[str]) -> tuple[date | None, date | None]:
    """datePublished/dateModified from JSON-LD script bodies; broken JSON is ignored."""
    published: date | None = None
    modified: date | None = None
    for raw in scripts:
        try:
            data = json.loads(raw[:500_000])
        except (ValueError, RecursionError):
            continue
        for k, v in _walk_json(data):
            if not isinstance(v, str):
                continue
            if k == "datePublished" and published is None:
                published = parse_date(v)
            elif k == "dateModified" and modified is None:
                modified = parse_date(v)
    return published, modified


def as_date(value: datetime | date | None) -> date | None:
    """A plausible date from a datetime/date (document core properties), else None."""
    if value is None:
        return None
    d = value.date() if isinstance(value, datetime) else value
    return plausible(d)
