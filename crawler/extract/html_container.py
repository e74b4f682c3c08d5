"""Find the main content by block scoring: paragraphs score their ancestors by length and commas, less link text."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import cast

import lxml.etree

from crawler.extract.html_clean import BOX_HEADINGS, LIST_HEADINGS, WIDGET_PHRASES, class_parts
from crawler.extract.html_events import is_event_box
from crawler.extract.html_parse import tag_of
from crawler.extract.html_sizes import lengths, link_len, text_len

PARA_TAGS = ("p", "pre", "td", "blockquote", "dd", "li")
DIV_TAGS = {"div", "section", "article", "main", "span", "font", "center"}
SCORED_TAGS = (*PARA_TAGS, *sorted(DIV_TAGS))
PARA_SET = frozenset(PARA_TAGS)
POSITIVE = re.compile(r"article|body|content|entry|hentry|main|page|post|text|blog|story|ingress|brodtext|artikel|"
                      r"innehall|preamble|lead", re.IGNORECASE)
NEGATIVE = re.compile(r"comment|meta|footer|footnote|masthead|related|remark|rss|shoutbox|sidebar|sponsor|share|social|"
                      r"tags|tool|widget|teaser|puff|promo|banner|nav|menu|contact|kontakt|aside|list(?!ing)|card", re.IGNORECASE)
TAG_WEIGHT = {"div": 5, "article": 10, "main": 10, "section": 3, "pre": 3, "td": 3, "blockquote": 3, "address": -3, "ol": -3,
              "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3, "h1": -5, "h2": -5, "h3": -5, "h4": -5,
              "th": -5}
ID_CANDIDATES = {"content", "main", "main-content", "maincontent", "innehall", "huvudinnehall", "primary", "page-content",
                 "pagecontent", "article"}
MIN_PARA = 25
CLASS_WEIGHT = 25
SIB_MIN = 5.0  # a sibling block joins the content from this score, or from this share of the best block's
SIB_SHARE = 0.1
LEVELS = 2  # a paragraph scores its parent and grandparent
ALT_TOP = 6  # the best block and the next five are compared
ALT_SHARE = 0.5  # a near-best block scores at least this share of the best
ALT_MIN = 3  # this many near-best blocks under one ancestor make it the content


def _class_weight(el: lxml.etree._Element) -> float:
    return _names_weight(el.get("class"), el.get("id"), el.tag == "span")  # a caption's "mediaSubtitleText" is no column


@functools.lru_cache(maxsize=8192)
def _names_weight(classes: str | None, ident: str | None, inline: bool) -> float:
    """The weight of a class attribute and id (pages repeat the same few); an inline element never gains."""
    w = 0.0
    for attr in (classes, ident):
        if attr:
            if NEGATIVE.search(attr):
                w -= CLASS_WEIGHT
            if POSITIVE.search(attr) and not inline:
                w += CLASS_WEIGHT
    return w


def _own_text(el: lxml.etree._Element) -> str:
    """Text directly in ``el`` (not in its child elements), tails of children included."""
    if not len(el):
        t = el.text
        return t.strip() if t else ""
    parts = [el.text, *[c.tail for c in el]]
    return " ".join([p for p in [t.strip() for t in parts if t] if p])


def score_blocks(scope: lxml.etree._Element) -> dict[lxml.etree._Element, float]:
    """Raw content scores: every paragraph-like block adds to its parent (full) and grandparent (half)."""
    scores: dict[lxml.etree._Element, float] = {}
    stop = scope.getparent()
    for el in scope.iter(*SCORED_TAGS):  # lxml filters the tags in C
        tag = el.tag
        para = tag in PARA_SET  # else one of DIV_TAGS (the only other tags iterated)
        if not len(el):  # a leaf: its text is all its text and all its own text (commas are no whitespace)
            text = el.text
            if not text or len(text) < MIN_PARA:
                continue
        elif para:
            text = "".join(cast("Iterator[str]", el.itertext()))
        else:
            text = _own_text(el)
        n = len(text.strip())
        if n < MIN_PARA:
            continue
        s = 1.0 + text.count(",") + min(n // 100, 3)
        if not para:  # text straight in a div: it is its own paragraph and its own candidate
            scores[el] = scores.get(el, 0.0) + s
        if tag == "li":
            s *= 0.5
        parent = el.getparent()  # LEVELS = 2: the parent and the grandparent
        if parent is not None and parent is not stop:
            scores[parent] = scores.get(parent, 0.0) + s
            grand = parent.getparent()
            if grand is not None and grand is not stop:
                scores[grand] = scores.get(grand, 0.0) + s / 2
    return scores


def link_density(el: lxml.etree._Element) -> float:
    """Share of the text that is link text."""
    total = text_len(el)
    return link_len(el) / total if total else 0.0


Sizes = dict[lxml.etree._Element, tuple[int, int]]  # (text_len, link_len) of elements measured already


def final_scores(scores: dict[lxml.etree._Element, float], sizes: Sizes | None = None) -> dict[lxml.etree._Element, float]:
    """Raw score plus tag and class weight, scaled down by link density."""
    sizes = lengths(scores) if sizes is None else sizes
    final = {}
    for el, s in scores.items():
        total, links = sizes[el]
        final[el] = (s + TAG_WEIGHT.get(tag_of(el), 0) + _class_weight(el)) * (1 - (links / total if total else 0.0))
    return final


def pick(scope: lxml.etree._Element, heading: lxml.etree._Element | None = None,
         raw: dict[lxml.etree._Element, float] | None = None) -> list[lxml.etree._Element]:
    """The best-scoring block and its siblings that look like content, in document order (``raw``: the
    whole page's block scores when already known; a block's score depends only on what it holds)."""
    if raw is None:
        raw = score_blocks(scope)
    else:
        inside = set(scope.iter())
        raw = {el: s for el, s in raw.items() if el in inside}
    sizes = lengths(raw)
    final = final_scores(raw, sizes)
    if not final:
        return [scope]
    top = max(final, key=lambda el: final[el])
    top = _common_top(top, final, scope, sizes)
    top = _near_heading(top, final, heading, scope, sizes)
    top_score = final.get(top, 0.0)
    parent = top.getparent()
    if top is scope or parent is None:
        return [top]
    threshold = max(SIB_MIN, top_score * SIB_SHARE)
    top_class = top.get("class") or ""
    chosen = []
    for sib in parent:
        if not isinstance(sib.tag, str):
            continue
        if sib is top:
            chosen.append(sib)
            continue
        bonus = top_score * 0.2 if top_class and sib.get("class") == top_class else 0.0
        if (final.get(sib, -1e9) + bonus >= threshold or _content_sibling(sib)) and not _widget(sib) and not _site_footer(sib, sizes):
            chosen.append(sib)
    while chosen[-1] is not top and tag_of(chosen[-1]) in HEADING_TAGS:
        chosen.pop()  # a heading after the content heads what was left out (a list of related links, a comment form)
    return chosen


HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "header"}


def _common_top(top: lxml.etree._Element, final: dict[lxml.etree._Element, float],
                scope: lxml.etree._Element, sizes: Sizes) -> lxml.etree._Element:
    """Move up to the ancestor shared by several near-best blocks (an article split into sections), then while the
    parent scores higher (Readability.js's rules)."""
    best = final[top]
    alternatives = [el for el in sorted(final, key=lambda e: -final[e])[1:ALT_TOP]
                    if final[el] >= ALT_SHARE * best and not _site_footer(el, sizes)]
    if len(alternatives) >= ALT_MIN:
        alt_ancestors = [set(a.iterancestors()) for a in alternatives]
        cur = top.getparent()
        while cur is not None and cur is not scope.getparent():
            if sum(cur in anc for anc in alt_ancestors) >= ALT_MIN:
                top = cur
                break
            cur = cur.getparent()
    last = final.get(top, 0.0)
    cur = top.getparent()
    while cur is not None and cur is not scope.getparent() and tag_of(cur) not in ("body", "html"):
        sc = final.get(cur)
        if sc is None:
            cur = cur.getparent()
            continue
        if sc < last / 3:
            break
        if sc > last:
            top = cur
        last = sc
        cur = cur.getparent()
    up = top.getparent()
    while up is not None and len(up) == 1 and tag_of(up) not in ("body", "html"):  # an only child: take the wrapper
        top, up = up, up.getparent()
    return top


NEAR_LEVELS = 4  # the heading's own section: this many ancestors up
NEAR_SHARE = 0.4  # a block there wins from this share of the best block's score
NEAR_TEXT = 200  # ... when it holds this many characters
NEAR_TEXT_SHARE = 0.25  # ... and this share of the other's text


def _near_heading(top: lxml.etree._Element, final: dict[lxml.etree._Element, float], heading: lxml.etree._Element | None,
                  scope: lxml.etree._Element, sizes: Sizes) -> lxml.etree._Element:
    """Prefer the best block in the h1's own section over a far better-scoring one elsewhere (a teaser list, an
    author box): an article's body sits with its headline."""
    if heading is None or top is heading or heading in top.iterancestors() or top in heading.iterancestors():
        return top
    top_ancestors = set(top.iterancestors())
    region = None
    for level, anc in enumerate(heading.iterancestors()):
        if level >= NEAR_LEVELS or anc is scope or tag_of(anc) in ("body", "html") or anc in top_ancestors:
            break
        region = anc
    if region is None:
        return top
    near = [el for el in final if el is region or region in el.iterancestors()]
    best = max(near, key=lambda el: final[el], default=None)
    if best is None or final[best] < NEAR_SHARE * max(final.values()) or final[best] <= SIB_MIN:
        return top
    n = _text_len(best, sizes)
    if n >= NEAR_TEXT and n >= NEAR_TEXT_SHARE * _text_len(top, sizes):  # a body, not a byline or a lead beside the h1
        return best
    return top


def _widget(el: lxml.etree._Element) -> bool:
    """A box that opens with a widget phrase or a contact heading ("Frågor?", "Dela sidan")."""
    first = next((str(t).strip() for t in el.itertext() if str(t).strip()), "")
    return bool(BOX_HEADINGS.match(first) or WIDGET_PHRASES.match(first) or LIST_HEADINGS.match(first))


ORG_NR = re.compile(r"\b(?:organisationsnummer|org\.?\s?nr\.?)\s*:?\s*\d{6}-?\d{4}\b", re.IGNORECASE)
FOOTER_MAX = 1000  # characters: a block this short that gives the organisation number is the site footer


def _text_len(el: lxml.etree._Element, sizes: Sizes | None) -> int:
    got = sizes.get(el) if sizes else None
    return text_len(el) if got is None else got[0]


def _site_footer(sib: lxml.etree._Element, sizes: Sizes | None = None) -> bool:
    """A block (not a paragraph) giving the organisation number: the footer of a page without landmarks, whose
    layout class ("sv-layout") it shares with the content column."""
    if tag_of(sib) == "p" or _text_len(sib, sizes) >= FOOTER_MAX:
        return False
    return ORG_NR.search(" ".join(str(t) for t in sib.itertext())) is not None


EVENT_BOX_MAX = 600  # characters: an event box beside the body is a few labelled lines


def _content_sibling(sib: lxml.etree._Element) -> bool:
    """A sibling paragraph (or a block holding only the h1) next to the main block."""
    tag = tag_of(sib)
    if tag in ("h1", "h2", "h3", "header"):
        return True
    if sib.find(".//h1") is not None and text_len(sib) < 300:
        return True
    if tag != "p" and sib.get("class") and is_event_box(sib, class_parts(sib)) and text_len(sib) < EVENT_BOX_MAX:
        return True  # an event's "Datum/Tid/Plats" box ("card-meta") beside its body
    if tag != "p":
        return False
    n = text_len(sib)
    ld = link_density(sib)
    text = "".join(str(t) for t in sib.itertext()).strip()
    if n > 80:
        return ld < 0.25
    return 0 < n and ld == 0 and re.search(r"\.( |$)", text) is not None


HEADING_REGION_SHARE = 0.1  # the h1's own region wins from this share of the densest region's content


def densest_region(root: lxml.etree._Element, heading: lxml.etree._Element | None = None
                   ) -> tuple[lxml.etree._Element, dict[lxml.etree._Element, float] | None]:
    """Of the semantic main regions (<main>, [role=main], <article>, #content…), the one with most content, or the
    h1's own when it holds a fair share of that; else <body>. With it, the block scores of the whole page when they
    were needed to decide."""
    body = root.find("body")
    whole = body if body is not None else root
    regions = []
    for el in root.iter("main", "article", "div", "section"):
        if el.tag in ("main", "article"):
            regions.append(el)
            continue
        role, ident = el.get("role"), el.get("id")
        if (role and role.lower() == "main") or (ident and ident.lower() in ID_CANDIDATES):
            regions.append(el)
    if not regions:
        return whole, None
    raw = score_blocks(whole)
    total = sum(raw.values()) or 1.0
    region_set = set(regions)
    mass = dict.fromkeys(regions, 0.0)
    within: dict[lxml.etree._Element, tuple[lxml.etree._Element, ...]] = {}  # the regions holding each element
    for el, s in raw.items():
        for region in _regions_of(el, region_set, within):
            mass[region] += s
    best = max(regions, key=lambda r: mass[r])
    if heading is not None and best not in heading.iterancestors() and heading not in best.iterancestors():
        own = next((a for a in heading.iterancestors() if a in region_set), None)  # the h1's innermost region
        if own is not None and mass[own] >= HEADING_REGION_SHARE * mass[best] and best not in own.iterancestors():
            return own, raw  # the article under its headline, not a comment block or teaser feed beside it
    return (best if mass[best] >= 0.3 * total else whole), raw


def _regions_of(el: lxml.etree._Element, regions: set[lxml.etree._Element],
                memo: dict[lxml.etree._Element, tuple[lxml.etree._Element, ...]]) -> tuple[lxml.etree._Element, ...]:
    """The regions among ``el`` and its ancestors (each ancestor looked at once per page, through ``memo``)."""
    path = []
    cur: lxml.etree._Element | None = el
    while cur is not None and cur not in memo:
        path.append(cur)
        cur = cur.getparent()
    found = memo[cur] if cur is not None else ()
    for node in reversed(path):
        if node in regions:
            found = (node, *found)
        memo[node] = found
    return found
