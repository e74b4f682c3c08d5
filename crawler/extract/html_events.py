"""Event pages (their "Datum/Tid/Plats" lines are content) and listing items (their dates are not the page's)."""

from __future__ import annotations

import re
from datetime import date

import lxml.etree

from crawler.extract import dates
from crawler.extract.html_lines import is_date_only
from crawler.extract.html_parse import tag_of, text_of

# Labels that open an event's when/where lines: "Datum: 12 mars 2025", "Tid: 13.00–16.00", "Plats: Storgatan 1", or a
# <dt> holding the label alone. Combined labels ("Datum och tid") and a sign-up deadline say "event" on their own.
_WHEN = r"datum|tid|tidpunkt|när|klockan|starttid|sluttid|startdatum|slutdatum|dag|dagar|datum\s*/\s*tid"
_WHERE = r"plats|lokal|adress|var|ort|mötesplats|konferensplats|kursort"
_OTHER = (r"kostnad|avgift|pris|arrangör|arrangörer|målgrupp|föreläsare|medverkande|anmälan|anmäl dig|"
          r"sista anmälningsdag|sista dag för anmälan|sista dag att anmäla sig")
_BOTH = (r"datum och tid|tid och datum|datum och plats|tid och plats|datum, tid och plats|när och var|"
         r"sista anmälningsdag|sista dag för anmälan|sista dag att anmäla sig")
EVENT_LABEL = re.compile(
    r"^(?:(?P<both>" + _BOTH + r")|(?P<when>" + _WHEN + r")|(?P<where>" + _WHERE + r")|(?P<other>" + _OTHER + r"))"
    r"\s*(?::|$)",
    re.IGNORECASE,
)
LABEL_TAGS = ("p", "dt", "dd", "li", "div", "span", "strong", "b", "th", "td", "h3", "h4", "em", "label")
WHEN_LABEL = re.compile(r"^(?:" + _BOTH + r"|" + _WHEN + r")\s*(?::|$)", re.IGNORECASE)
TIME_OF_DAY = re.compile(r"\bkl\.?\s*\d|\b\d{1,2}[.:]\d\d\s*[–—-]", re.IGNORECASE)
META_WORDS = {"meta", "metadata", "metaline", "dateline", "postmetadata", "info", "details", "facts"}
EVENT_WORDS = {"event", "events", "evenemang", "kalender", "kalendarium", "calendar", "aktivitet", "utbildning", "kurs",
               "seminarium", "konferens", "webbinarium"}


def event_kinds(root: lxml.etree._Element) -> set[str]:
    """Which event labels ("both", "when", "where", "other") open a line under ``root``."""
    kinds: set[str] = set()
    for el in root.iter(LABEL_TAGS):
        t = el.text
        if not t or len(t) > 300:
            continue
        m = EVENT_LABEL.match(t.strip())
        if m is not None and m.lastgroup:
            kinds.add(m.lastgroup)
    return kinds


def is_event(kinds: set[str]) -> bool:
    """A when line beside a where line (or a fee, an organiser, a sign-up), or a combined label: an event page."""
    return "both" in kinds or ("when" in kinds and bool(kinds & {"where", "other"}))


WHEN_WORDS = ("datum", "tid", "när", "klockan", "dag")  # every when or combined label holds one


def might_be_event(text: str) -> bool:
    """Could a page with this text be an event page (one substring search, before the element walk)?"""
    low = text.lower()
    return any(w in low for w in WHEN_WORDS)


def event_page(containers: list[lxml.etree._Element]) -> bool:
    """Is the content an event, training or conference page (its when/where lines are content, its dates no
    publication dates)?"""
    kinds: set[str] = set()
    for c in containers:
        kinds |= event_kinds(c)
    return is_event(kinds)


def is_event_box(el: lxml.etree._Element, parts: tuple[tuple[str, ...], ...]) -> bool:
    """A box whose class says meta/info ("event-meta", "kurs-info") holding an event's when and where: content."""
    words = {p for name in parts for p in name}
    if not words & META_WORDS:
        return False
    return bool(words & EVENT_WORDS) or is_event(event_kinds(el))


def keeps_line(el: lxml.etree._Element, text: str) -> bool:
    """On an event page: is this date line the event's ("Datum: 12 mars", a <dd> after "Datum", "12 mars kl. 9.00")?"""
    if WHEN_LABEL.match(text):
        return True
    if TIME_OF_DAY.search(text):
        return True
    cur: lxml.etree._Element | None = el
    while cur is not None and cur.getprevious() is None and tag_of(cur) not in ("dd", "p", "li", "div"):
        cur = cur.getparent()  # from a <time> or <span> up to the block that follows the label
    prev = cur.getprevious() if cur is not None else None
    return prev is not None and WHEN_LABEL.match(text_of(prev)) is not None


def event_dates(containers: list[lxml.etree._Element]) -> set[date]:
    """Dates on an event's when lines (and in the block after a "Datum" label): never the publication date."""
    out: set[date] = set()
    for c in containers:
        for el in c.iter(LABEL_TAGS):
            t = (el.text or "").strip()
            if not t or not WHEN_LABEL.match(t):
                continue
            block = el if tag_of(el) not in ("strong", "b", "span", "em", "label") else el.getparent()
            if block is None:
                continue
            line = text_of(block)
            if len(line) < 200:
                out.update(dates.find_dates(line))
            after = block.getnext()
            if after is not None and tag_of(block) in ("dt", "th"):
                out.update(dates.find_dates(text_of(after)[:200]))
    return out


# ----------------------------------------------------------------------------- listing items

DATE_LINE_MAX = 160
ITEM_MIN = 2  # this many sibling items, each with a link or heading and a date of its own, make a listing
HEADINGS = ("h2", "h3", "h4", "h5", "h6")


_DIGIT = re.compile(r"\d")
# Where listings put an item's date (the scan looks at these tags only: it runs on every page)
CARRIER_TAGS = ("time", "span", "p", "div", "li", "small", "dd", "dt", "td", "th", "em", "strong", "b", "i", "a", "abbr",
                "font", "h2", "h3", "h4", "h5", "h6", "header", "footer", "address", "label", "section", "article")


def _date_carriers(root: lxml.etree._Element) -> list[lxml.etree._Element]:
    """<time> elements and elements whose own text is a short date line ("3 maj 2024", "Publicerad: 2024-05-03")."""
    out = []
    for el in root.iter(CARRIER_TAGS):
        if el.tag == "time":
            out.append(el)
            continue
        t = el.text
        if not t or len(t) > DATE_LINE_MAX + 40 or _DIGIT.search(t) is None:
            continue
        t = t.strip()
        if len(t) <= DATE_LINE_MAX and (is_date_only(t) or (dates.LABEL_RE.match(t) is not None and dates.DATE_RE.search(t) is not None)):
            out.append(el)
    return out


def dated_items(scopes: list[lxml.etree._Element], keep: set[lxml.etree._Element]) -> set[lxml.etree._Element]:
    """Items of a listing (news list, report list) under ``scopes``: sibling blocks of one tag, each with a link or
    heading and a date of its own, none holding the page's h1 (``keep``: the h1 and its ancestors). Their dates are
    the items', not the page's."""
    children: dict[lxml.etree._Element, dict[str, set[lxml.etree._Element]]] = {}
    for scope in scopes:
        for el in _date_carriers(scope):
            cur = el
            for parent in el.iterancestors():
                children.setdefault(parent, {}).setdefault(str(cur.tag), set()).add(cur)
                if parent is scope:
                    break
                cur = parent
    items: set[lxml.etree._Element] = set()
    for by_tag in children.values():
        for group in by_tag.values():
            if len(group) < ITEM_MIN:
                continue
            real = [c for c in group if c not in keep and _linked(c)]
            if len(real) >= ITEM_MIN:
                items.update(real)
    return {i for i in items if not any(a in items for a in i.iterancestors())}  # the outermost items


def _linked(el: lxml.etree._Element) -> bool:
    return el.find(".//a[@href]") is not None or any(True for _ in el.iter(HEADINGS))


LISTING_DEPTH = 8  # levels a <time> climbs to find the item it dates


def listing_time(el: lxml.etree._Element, keep: set[lxml.etree._Element]) -> bool:
    """Does this <time> date one item of a listing (a sibling of the same tag also holds a <time> and a link or
    heading), read on the whole page before furniture goes?"""
    cur = el
    for _ in range(LISTING_DEPTH):
        parent = cur.getparent()
        if parent is None or cur in keep:
            return False
        if cur is not el and _linked(cur):
            tag = cur.tag
            if any(s is not cur and s.tag == tag and s.find(".//time") is not None and _linked(s) for s in parent):
                return True
        cur = parent
    return False


def in_items(el: lxml.etree._Element, items: set[lxml.etree._Element]) -> bool:
    """Is ``el`` inside (or one of) the listing's items?"""
    return bool(items) and (el in items or any(a in items for a in el.iterancestors()))


def text_outside(containers: list[lxml.etree._Element], items: set[lxml.etree._Element]) -> str:
    """The containers' text without the items' (the page's own date lines, not the items')."""
    out: list[str] = []
    for c in containers:
        walker = lxml.etree.iterwalk(c, events=("start", "end"))
        for event, el in walker:
            if event == "start":
                if el in items:
                    walker.skip_subtree()
                elif el.text and isinstance(el.tag, str):
                    out.append(el.text)
            elif el is not c and el.tail:
                out.append(el.tail)
    return " ".join(" ".join(out).split())
