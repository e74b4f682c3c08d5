"""Swedish formatting for pages and feeds: dates and Swedish times, numbers, counts, sizes, quotation marks, safe links, Atom ids."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from urllib.parse import SplitResult, quote, urlsplit
from zoneinfo import ZoneInfo

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december")
NBSP = "\u00a0"
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")  # every time of day on the pages is Swedish time (CET/CEST), and says so
TIME_ZONE_NOTE = "Tider anges i svensk tid (Europe/Stockholm)."


def parse_date(value: str | None) -> date | None:
    """The date an ISO date or time string starts with; None when there is none."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def swedish_date(value: date) -> str:
    """5 mars 2024."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def parse_time(value: str | None) -> datetime | None:
    """An ISO time (UTC when it names no zone); None when there is none or it has no time of day."""
    if not value or len(value) <= 10:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def swedish_datetime(value: datetime) -> str:
    """5 mars 2024 kl. 14.05, in Swedish time (the Swedish clock writes a full stop between hours and minutes)."""
    local = value.astimezone(SWEDISH_TIME)
    return f"{swedish_date(local.date())} kl.{NBSP}{local:%H.%M}"


def count_text(n: int, one: str, many: str) -> str:
    """'1 träff', '2 träffar', '1 234 dokument': the number with the word that agrees with it."""
    return f"{swedish_number(n)} {one if n == 1 else many}"


def swedish_number(n: int) -> str:
    """57, 1 234 (non-breaking space as thousands separator)."""
    return f"{n:,}".replace(",", NBSP)


def swedish_size(size: int) -> str:
    """1,2 MB / 350 kB / 900 byte."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".replace(".", ",") + f"{NBSP}MB"
    if size >= 1024:
        return f"{math.ceil(size / 1024)}{NBSP}kB"
    return f"{size}{NBSP}byte"


def quoted(text: str) -> str:
    """Swedish quotation marks: ”text”."""
    return f"\u201d{text}\u201d"


def safe_href(url: str) -> str | None:
    """The URL when it is http(s), else None (never link javascript: or data: from crawled data)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


DEFAULT_PORTS = {"http": 80, "https": 443}
TAG_SAFE = "/-._~!$&'()*+,;=:@"


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is no number: none
        return None


def tag_uri(url: str, base_url: str) -> str:
    """A stable Atom entry id for a document URL as served by the kb at ``base_url`` (RFC 4151 tag: URI).

    The kb's host, port and path are in it, so two kb instances on one host (other ports) never share an id, and so
    is the document's own port (two sites on one host): ``tag:kb.example.se,2024:443/kb/dokument/www.nck.se/a?x=1``.
    Only configuration goes in (the public base URL, never the Host header), so an id is the same on every request."""
    base = urlsplit(base_url)
    authority = (base.hostname or "okand").lower().replace(":", "-")  # an IPv6 address is no DNS name
    parts = urlsplit(url)
    host = (parts.hostname or "okand").lower()
    host = f"[{host}]" if ":" in host else host
    doc_port = _port(parts)
    if doc_port is not None and doc_port != DEFAULT_PORTS.get(parts.scheme.lower()):
        host += f":{doc_port}"
    specific = quote(f"{_port(base) or ''}{base.path.rstrip('/')}/dokument/{host}{parts.path or '/'}", safe=TAG_SAFE)
    if parts.query:
        specific += "?" + quote(parts.query, safe=TAG_SAFE + "?")
    return f"tag:{authority},2024:{specific}"


_GENERATION_STAMP = re.compile(r"(?:^|-)(\d{8})T?(\d{6})(\d{0,6})Z?(?:-|$)")


def generation_time(generation: str, built_at: str = "") -> datetime:
    """When a generation was built: ``built_at`` (ISO) when given, else the stamp in its name
    ('gen-20240305T120000Z-…' or with microseconds, 'gen-20261130T014722200096Z-…'); now when neither parses."""
    if built_at:
        try:
            value = datetime.fromisoformat(built_at)
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        except ValueError:
            pass
    match = _GENERATION_STAMP.search(generation)
    if match:
        day, clock, fraction = match.groups()
        try:
            value = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            return value.replace(microsecond=int(fraction.ljust(6, "0"))) if fraction else value
        except ValueError:
            pass
    return datetime.now(UTC).replace(microsecond=0)


def atom_time(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"
