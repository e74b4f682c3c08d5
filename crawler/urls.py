"""URL normalisation, tracking-parameter stripping and crawler-trap guards."""

from __future__ import annotations

import logging
import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid"})
TRACKING_PREFIXES = ("utm_",)

# Bodies we never fetch: judged from the URL's extension before any request.
SKIP_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".ico", ".bmp", ".tif", ".tiff",
        ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".wmv", ".webm", ".ogg", ".wav",
        ".zip", ".gz", ".tgz", ".rar", ".7z", ".exe", ".dmg", ".iso", ".msi",
        ".css", ".js", ".woff", ".woff2", ".ttf", ".eot", ".ics", ".vcf", ".rss", ".atom",
        ".xls", ".xlsx", ".csv", ".doc", ".ppt", ".odt", ".odp", ".ods", ".rtf",
    }
)

# Trap bounds: a path segment repeated this often, paths this deep, dates this far from "now".
MAX_SEGMENT_REPEATS = 2
MAX_PATH_SEGMENTS = 20
MAX_QUERY_PARAMS = 12
MAX_PAGE_NUMBER = 50
_DATE_PATH = re.compile(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?(?=/|$)")
_CALENDAR_PARAMS = frozenset({"date", "datum", "day", "dag", "month", "manad", "year", "ar", "week", "vecka", "from", "to"})
_PAGE_PARAMS = frozenset({"page", "sida", "p", "pg", "offset", "start"})


class BadUrl(ValueError):
    """A URL that cannot be crawled; ``reason`` is a FetchError-style label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _clean_path(path: str) -> str:
    """Resolve '.' and '..' segments, keep a trailing slash, re-quote consistently."""
    if not path:
        return "/"
    trailing = path.endswith("/")
    resolved = posixpath.normpath(path)
    if resolved.startswith("//"):  # normpath keeps a leading double slash
        resolved = "/" + resolved.lstrip("/")
    if resolved == ".":
        resolved = "/"
    if trailing and not resolved.endswith("/"):
        resolved += "/"
    # Unquote then quote so %7E and ~ (and lower/upper hex) compare equal; keep reserved characters.
    return quote(unquote(resolved), safe="/:@!$&'()*+,;=-._~")


def normalize(url: str, max_length: int = 2048) -> str:
    """Canonical form of an http(s) URL; raises BadUrl for other schemes, no host or excessive length."""
    if len(url) > max_length:
        raise BadUrl("url_too_long", f"{len(url)} characters")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadUrl("bad_url", str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadUrl("bad_url", f"scheme {scheme or '(none)'!r} is not http/https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BadUrl("bad_url", "no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as exc:
        raise BadUrl("bad_url", f"host: {exc}") from None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(sorted(query_pairs), quote_via=quote)
    out = urlunsplit((scheme, netloc, _clean_path(parts.path), query, ""))
    if len(out) > max_length:
        raise BadUrl("url_too_long", f"{len(out)} characters")
    return out


def origin(url: str) -> str:
    """scheme://host[:port] of a (normalised) URL: the unit of robots.txt and politeness."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def skipped_extension(url: str) -> bool:
    """True when the URL's path ends in an extension we never want (images, media, archives…)."""
    path = urlsplit(url).path.lower()
    ext = posixpath.splitext(path)[1]
    return ext in SKIP_EXTENSIONS


def trap_reason(url: str) -> str | None:
    """A reason label when the URL looks like a crawler trap, else None."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > MAX_PATH_SEGMENTS:
        return "trap_deep_path"
    counts: dict[str, int] = {}
    for s in segments:
        counts[s] = counts.get(s, 0) + 1
        if counts[s] > MAX_SEGMENT_REPEATS:
            return "trap_repeating_path"
    # /kalender/2031/05/17/ — dated paths are fine for news archives, but not nested below another date.
    if len(_DATE_PATH.findall(parts.path)) > 1:
        return "trap_calendar"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if len(pairs) > MAX_QUERY_PARAMS:
        return "trap_query"
    for key, value in pairs:
        low = key.lower()
        if low in _PAGE_PARAMS and value.isdigit() and int(value) > MAX_PAGE_NUMBER * (20 if low in ("offset", "start") else 1):
            return "trap_pagination"
        if low in _CALENDAR_PARAMS and re.match(r"^\d{4}", value):
            year = int(value[:4])
            if not 1990 <= year <= _this_year() + 1:
                return "trap_calendar"
    return None


def _this_year() -> int:
    from datetime import date

    return date.today().year
