"""HTML extraction entry point: parse, prune furniture, score blocks for the main content, read metadata and dates.

The parts: ``html_parse`` (charset, parsing, selectors), ``html_meta`` (meta tags, links, robots),
``html_clean`` (furniture rules and text serialisation), ``html_container`` (block scoring).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

import lxml.etree

from crawler.extract import dates
from crawler.extract.html_clean import clean_container, drop, prune, text_len
from crawler.extract.html_container import densest_region, pick
from crawler.extract.html_events import dated_items, event_dates, event_page, in_items, listing_time, might_be_event, text_outside
from crawler.extract.html_meta import (
    base_url,
    canonical_url,
    head_title,
    page_language,
    read_links,
    read_meta,
    read_robots,
    strip_site_suffix,
)
from crawler.extract.html_parse import MAX_HTML_BYTES, check_selector, decode_html, norm, parse, select, tag_of, text_of
from crawler.extract.html_text import serialise, serialise_cheaply
from crawler.extract.model import Extracted
from crawler.extract.text import clean_text
from kb.errors import ExtractError

log = logging.getLogger(__name__)

MAX_ELEMENTS = 60_000  # real pages have a few thousand; beyond this only cheap rules run

# ----------------------------------------------------------------------------- soft 404

# Error-page signals: a title or main heading that says the page is missing. A short page is not an error.
SOFT_404_RE = re.compile(
    r"sidan (?:du söker |du letar efter )?(?:finns inte|kunde inte hittas|hittades inte|saknas|har tagits bort)|"
    r"hittade inte sidan|vi hittar inte sidan|sidan finns inte längre|^\s*(?:fel\s*)?404\b|\b404\b.*\b(?:fel|error|"
    r"hittades|not found)|page not found|not found|error 404|fel 404|sidan kan inte visas",
    re.IGNORECASE,
)
LOGIN_TITLE = re.compile(r"\blogga in\b|\blog ?in\b|\bsign in\b", re.IGNORECASE)


def is_soft_404(title: str, heading: str, text: str, login_in_content: bool) -> bool:
    """An error page served with 200 (title or heading says so), an empty page, or a login page."""
    words = len(text.split())
    if words == 0:
        return True
    if SOFT_404_RE.search(title) or SOFT_404_RE.search(heading):
        return True
    if words < 60 and SOFT_404_RE.search(text[:200]):
        return True
    return login_in_content and (words < 150 or LOGIN_TITLE.search(title) is not None)


def password_fields(root: lxml.etree._Element, h1: lxml.etree._Element | None = None) -> list[set[lxml.etree._Element]]:
    """The ancestors of each password field (read before pruning detaches login boxes); with the page's ``h1``, only
    the fields after it (a login box above the h1 is the site header's, whatever container holds both)."""
    fields = []
    after = h1 is None
    for el in root.iter("input", "h1"):  # document order
        if el is h1:
            after = True
        elif after and el.tag == "input" and (el.get("type") or "").lower() == "password":
            fields.append(set(el.iterancestors()))
    return fields


def login_in_content(fields: list[set[lxml.etree._Element]], containers: list[lxml.etree._Element]) -> bool:
    """Is a password field inside the main content (a login page), not in a site-wide login box?"""
    return any(c in ancestors for ancestors in fields for c in containers)


# ----------------------------------------------------------------------------- entry point


def _containers(root: lxml.etree._Element, url: str, content_selector: str | None,
                keep: set[lxml.etree._Element]) -> list[lxml.etree._Element]:
    if content_selector:
        found = select(root, content_selector)
        found = [c for c in found if not any(a in found for a in c.iterancestors())]  # nested matches count once
        if found:
            for c in found:
                prune(c, keep)
            return found
        log.info("content selector %r matched nothing on %s; using rules", content_selector, url)
    prune(root, keep)
    heading = next((el for el in keep if tag_of(el) == "h1"), None)
    region, raw = densest_region(root, heading)
    return with_heading(pick(region, heading, raw), keep)


START_PATHS = {"", "sv", "en", "start", "startsida", "index.html", "index.php", "default.aspx"}


def is_logo(h1: lxml.etree._Element) -> bool:
    """A site logo marked up as an h1: its text (or image) is all one link to the site's start page."""
    links = list(h1.iter("a"))
    if len(links) != 1:
        return False
    href = (links[0].get("href") or "").strip()
    if not href or href.startswith("#"):
        return False
    try:
        path = urlsplit(href).path
    except ValueError:
        return False
    return path.strip("/").lower() in START_PATHS and text_of(links[0]) == text_of(h1)


NEAR_DATE_MAX = 160  # characters: a longer block that opens with a date label is a paragraph


def near_heading_lines(h1: lxml.etree._Element | None) -> list[tuple[lxml.etree._Element, str]]:
    """Labelled date lines beside the h1 (short blocks in its grandparent, not in a list or a link), read before
    pruning: templates put "Publicerad …" in a meta box or a portlet of its own that the content leaves out."""
    region = h1.getparent() if h1 is not None else None
    up = region.getparent() if region is not None else None
    if up is not None and tag_of(up) not in ("body", "html", "form"):
        region = up
    if region is None:
        return []
    lines = []
    for el in region.iter():
        t = el.text
        if t and dates.LABEL_RE.match(t.strip()) and not _in_list_or_link(el, region):
            line = text_of(el)
            if len(line) < NEAR_DATE_MAX:
                lines.append((el, line))
    return lines


def _in_list_or_link(el: lxml.etree._Element, region: lxml.etree._Element) -> bool:
    """Is ``el`` (or an ancestor below ``region``) a list item or a link, i.e. a teaser's date, not the page's?"""
    cur: lxml.etree._Element | None = el
    while cur is not None and cur is not region:
        if tag_of(cur) in ("li", "a"):
            return True
        cur = cur.getparent()
    return False


def text_date(text: str, containers: list[lxml.etree._Element], keep: set[lxml.etree._Element],
              items: set[lxml.etree._Element], modified: date | None, small: bool) -> date | None:
    """The first date in the text, not "Senast ändrad …" and not a listing item's (the items are looked for now when
    no date line made the search earlier)."""
    found = [d for d in dates.find_dates(text[:1000]) if d != modified]
    if not found or not small:
        return found[0] if found else None
    items = items or dated_items(containers, keep)
    if items:
        found = [d for d in dates.find_dates(text_outside(containers, items)[:1000]) if d != modified]
    return found[0] if found else None


def with_heading(containers: list[lxml.etree._Element], keep: set[lxml.etree._Element]) -> list[lxml.etree._Element]:
    """Widen the content to take in the page's h1 (and a lead beside it) when they sit just outside it."""
    if not keep or any(c in keep for c in containers):
        return containers
    top = containers[0]
    inner = sum(text_len(c) for c in containers)
    for level, anc in enumerate(top.iterancestors()):
        if level >= 4 or tag_of(anc) in ("body", "html"):
            break
        if anc in keep:
            return [anc] if text_len(anc) <= 1.5 * inner + 400 else containers
    return containers


KICKER_MAX = 80  # characters


def without_title(text: str, title: str) -> str:
    """The text without its heading line when that line is the title (stored apart, indexed and shown as the title)."""
    if not title:
        return text
    paras = text.split("\n\n")
    wanted = norm(title)
    for i, para in enumerate(paras[:3]):
        if norm(para) == wanted:  # short lines above the heading are kickers, categories and dates
            return "\n\n".join([p for p in paras[:i] if len(p) >= KICKER_MAX] + paras[i + 1:])
    return text


def extract_html(body: bytes, url: str, content_type: str | None = None, *,
                 content_selector: str | None = None, drop_selectors: Iterable[str] = ()) -> Extracted:
    """Extract main-content text and metadata from an HTML body."""
    root = parse(body, content_type)
    if root is None:
        return Extracted(title="", text="", format="html", soft_404=True)
    meta = read_meta(root)
    base = base_url(root, url)
    links = read_links(root, base)
    noindex, nofollow = read_robots(meta)
    language = page_language(root, meta)
    canonical = canonical_url(root, base)
    page_title = head_title(root, meta)
    json_ld = [el.text or "" for el in root.iter("script") if (el.get("type") or "").lower() == "application/ld+json"]
    first_h1 = next((h for h in root.iter("h1") if not is_logo(h)), None)
    h1_text = text_of(first_h1) if first_h1 is not None else ""

    for sel in drop_selectors:
        for el in select(root, sel):
            drop(el)
    keep: set[lxml.etree._Element] = set()
    if first_h1 is not None and first_h1.getparent() is not None:
        keep = {first_h1, *first_h1.iterancestors()}
    fields = password_fields(root, first_h1 if root in keep else None)  # an h1 still in the page
    n_elements = sum(1 for _ in root.iter())
    times = [el for el in root.iter("time") if el.get("datetime") and not listing_time(el, keep)]  # not an item's
    near = near_heading_lines(first_h1)
    if n_elements > MAX_ELEMENTS:
        whole = root.find("body")
        containers = [whole if whole is not None else root]
    else:
        containers = _containers(root, url, content_selector, keep)
    raw_text = "\n".join(text_of(c) for c in containers)  # dates are read before the date lines go
    # a listing's items (their dates are theirs, not the page's), looked for when a date line could date the page
    labelled = n_elements <= MAX_ELEMENTS and (bool(near) or any(stem in raw_text.lower() for stem in dates.LABEL_STEMS))
    items = dated_items(containers, keep) if labelled else set()
    if items:
        raw_text = text_outside(containers, items)
    near_lines = [line for el, line in near if not in_items(el, items)]  # before the date lines go from the tree
    event = n_elements <= MAX_ELEMENTS and might_be_event(raw_text) and event_page(containers)
    avoid = event_dates(containers) if event else set()  # an event's date is when it is held, not published
    time_dates = [d for d in (dates.parse_date(el.get("datetime")) for el in times) if d and d not in avoid]

    texts: list[str] = []
    headings: list[str] = []
    for c in containers:
        if n_elements > MAX_ELEMENTS:
            t, h = serialise_cheaply(c, MAX_ELEMENTS)
        else:
            clean_container(c, keep, event=event)
            t, h = serialise(c, last=c is containers[-1])
        if t:
            texts.append(t)
        headings += h
    text = "\n\n".join(texts)

    published, modified = dates.find_labelled(raw_text, event)
    near_pub, near_mod = dates.find_labelled("\n".join(near_lines), event) if near_lines else (None, None)
    meta_pub, meta_mod = dates.from_meta(meta)
    ld_pub, ld_mod = dates.from_json_ld(json_ld)
    modified = modified or meta_mod or ld_mod or near_mod
    published = published or meta_pub or ld_pub or next(iter(time_dates), None) or near_pub
    if published is None and not event:  # an event's day is no publication date: no guess from the text then
        published = text_date(text, containers, keep, items, modified, n_elements <= MAX_ELEMENTS)
    if modified and published and modified < published:
        modified = None

    h1 = next((h for c in containers for h in (text_of(e) for e in c.iter("h1") if not is_logo(e)) if h), "") or h1_text
    title = h1 or strip_site_suffix(meta.get("og:title", ""), meta.get("og:site_name", "")) or page_title \
        or (headings[0] if headings else "")
    description = norm(meta.get("description") or meta.get("og:description") or "")[:1000]
    soft = is_soft_404(page_title, h1, text, login_in_content(fields, containers))
    title = clean_text(title)[:500]
    return Extracted(
        title=title, text=without_title(clean_text(text), title), format="html", description=clean_text(description),
        headings=[clean_text(h)[:300] for h in headings[:200]], published=published, modified=modified,
        language=language, links=links, canonical=canonical, robots_noindex=noindex,
        robots_nofollow=nofollow, soft_404=soft,
    )


__all__ = ["MAX_HTML_BYTES", "ExtractError", "check_selector", "clean_text", "decode_html", "extract_html", "parse",
           "strip_site_suffix"]
