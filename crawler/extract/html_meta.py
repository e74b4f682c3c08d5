"""HTML metadata: meta tags, title, language, canonical, links (malformed ones skipped) and robots directives."""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

import lxml.etree

from crawler.extract.html_parse import norm, text_of
from crawler.extract.model import Link
from crawler.extract.text import clean_text

MAX_LINKS = 5000


def read_meta(root: lxml.etree._Element) -> dict[str, str]:
    """Meta tags keyed by lower-cased name, property, http-equiv or itemprop (first value wins)."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("name") or el.get("property") or el.get("http-equiv") or el.get("itemprop")
        val = el.get("content")
        if key and val is not None:
            meta.setdefault(key.strip().lower(), val.strip())
    for el in root.iter("time"):  # itemprop on <time datetime>
        prop = (el.get("itemprop") or "").lower()
        if prop in ("datepublished", "datemodified") and el.get("datetime"):
            meta.setdefault(prop, el.get("datetime", ""))
    return meta


TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:•·»]|::)\s+")


def strip_site_suffix(title: str, site_name: str = "") -> str:
    """'Titel - Sajtnamn' / 'Titel | Sajt' → 'Titel'."""
    title = norm(title)
    if site_name:
        for sep in (" - ", " | ", " – ", " — ", " :: ", " · ", " » ", ": "):
            if title.lower().endswith((sep + site_name).lower()):
                return title[: -len(sep + site_name)].strip()
    seps = list(TITLE_SEPARATORS.finditer(title))
    if seps and seps[-1].start() > 0:
        tail = title[seps[-1].end():].lower()
        if site_name and not any(w in tail for w in site_name.lower().split() if len(w) >= 4):
            return title  # the site is named and this is no part of it: "Barnahus – samverkan kring barn"
        return title[: seps[-1].start()].strip()
    return title


def base_url(root: lxml.etree._Element, url: str) -> str:
    """The page's <base href> when it is a usable http(s) URL, else the page URL."""
    for el in root.iter("base"):
        href = (el.get("href") or "").strip()
        if href:
            joined = absolute(url, href)
            if joined:
                return joined
        break
    return url


def absolute(base: str, href: str) -> str | None:
    """Absolute http(s) URL of ``href``; None for fragments, other schemes and malformed links."""
    href = (href if href.isascii() and href.isprintable() else clean_text(href)).strip()
    if not href or href.startswith("#"):
        return None
    try:  # a malformed link ("http://[ccpa-preferences]") is skipped, never the page
        low = href[:8].lower()
        if low.startswith(("http://", "https://")):  # already absolute: urljoin would return it as it is
            rest = href[8 if low.startswith("https://") else 7:]
            if "[" not in href and rest and rest[0] not in "/?#":
                return href
            return href if urlsplit(href).netloc else None
        fast = _join_plain(base, href)
        if fast is not None:
            return fast
        scheme = urlsplit(href).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return None  # mailto:, tel:, javascript:, data: …
        joined = urljoin(base, href)
        return joined if urlsplit(joined).scheme in ("http", "https") else None
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _base_parts(base: str) -> tuple[str, str] | None:
    """(origin, directory) of an http(s) base URL, for joining plain relative links without urljoin."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or "//" in parts.path:  # urljoin merges empty segments
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin, origin + (parts.path[:parts.path.rfind("/") + 1] or "/")


def _join_plain(base: str, href: str) -> str | None:
    """``urljoin(base, href)`` for the common links ("/a/b", "c.html?x=1") at a fraction of its cost; None for the
    rest (dot segments, schemes, "//host", "?q", "#f"), which take the general path."""
    first = href[0]
    if "/." in href or first == "." or href[-1] in "#?":  # dot segments; an empty query or fragment urljoin drops
        return None
    if first == "/":
        if href.startswith("//"):
            return None
        parts = _base_parts(base)
        return parts[0] + href if parts else None
    if not (first.isascii() and first.isalnum()):
        return None
    segment = href.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if ":" in segment:  # a scheme (mailto:, javascript:) or a port-like name: the general path decides
        return None
    parts = _base_parts(base)
    return parts[1] + href if parts else None


def read_links(root: lxml.etree._Element, base: str) -> list[Link]:
    """Every http(s) link on the whole page (menus too), absolute, with rel=nofollow marked."""
    links: list[Link] = []
    seen: set[tuple[str, str, bool]] = set()
    resolved: dict[str, str | None] = {}  # menus repeat the same links
    for el in root.iter("a", "area"):
        href = el.get("href")
        if href is None:
            continue
        target = resolved.get(href, "")
        if target == "":  # not seen yet (absolute() never returns "")
            target = resolved[href] = absolute(base, href)
        if target is None:
            continue
        rel_attr = el.get("rel")
        rel = rel_attr.lower().split() if rel_attr else []
        nofollow = bool(rel) and ("nofollow" in rel or "ugc" in rel or "sponsored" in rel)
        text = text_of(el)[:200] if el.tag == "a" else norm(el.get("alt"))[:200]
        if not text.isprintable():
            text = clean_text(text)
        key = (target, text, nofollow)
        if key in seen:
            continue
        seen.add(key)
        links.append(Link(target, text, nofollow, " ".join(rel) if rel else ""))
        if len(links) >= MAX_LINKS:
            break
    return links


def read_robots(meta: dict[str, str]) -> tuple[bool, bool]:
    """(noindex, nofollow) from <meta name=robots|googlebot>."""
    directives = set()
    for key in ("robots", "googlebot"):
        directives |= {d.strip() for d in meta.get(key, "").lower().split(",")}
    none = "none" in directives
    return none or "noindex" in directives, none or "nofollow" in directives


def page_language(root: lxml.etree._Element, meta: dict[str, str]) -> str:
    """Two-letter language of the page (lang attribute, then Content-Language), 'sv' when unknown."""
    raw = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or meta.get("content-language") or "sv"
    return (clean_text(norm(raw)).split("-")[0].split("_")[0].lower() or "sv")[:8]


def canonical_url(root: lxml.etree._Element, base: str) -> str | None:
    """Absolute <link rel=canonical> target, if any."""
    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            return absolute(base, el.get("href", ""))
    return None


def head_title(root: lxml.etree._Element, meta: dict[str, str]) -> str:
    """<title> without the site-name suffix."""
    title_el = root.find(".//title")
    return strip_site_suffix(text_of(title_el), meta.get("og:site_name", "")) if title_el is not None else ""
