"""Class names and ids read as whole parts: page furniture, comment threads, accordions (split on - _ and camelCase)."""

from __future__ import annotations

import functools
import re

import lxml.etree

# A class/id part (split on - _ and camelCase) that is one of these marks furniture when it is the last part
# of the name, or the first part followed only by a generic suffix ("share-box", "cookie-inner", but not
# "pagination-first" or "post-main-aside-container").
FURNITURE_WORDS = {
    "nav", "navigation", "navbar", "menu", "menus", "submenu", "subnav", "megamenu", "sidomeny", "undermeny",
    "footer", "sidfot", "search", "sok", "skip", "skiplink", "skiplinks", "tools", "toolbar", "banner", "topbar",
    "masthead", "sitemap", "languages", "translate", "breadcrumb", "breadcrumbs", "crumbs", "brodsmulor",
    "brodsmula", "cookie", "cookies", "consent", "gdpr", "share", "sharing", "sharebar", "social", "some", "dela",
    "feedback", "rating", "helpful", "survey", "enkat", "related", "relaterat", "relaterade", "sidebar", "aside",
    "puff", "puffs", "teaser", "teasers", "pagination", "pager", "readspeaker", "lyssna", "print", "utskrift",
    "tipsa", "newsletter", "nyhetsbrev", "subscribe", "signup", "popup", "modal", "login", "comment", "comments",
    "commentlist", "kommentarer", "respond", "disqus", "toc", "kontaktruta", "contact", "ad", "ads", "advert",
    "advertisement", "sponsor", "promo", "tags", "taglist", "byline", "author", "authors", "meta",
    # captions, credits, author and meta boxes, subscription gates (the public benchmarks' many templates)
    "caption", "captions", "credit", "credits", "copyright", "metadata", "postmetadata", "metaline", "dateline",
    "authorbox", "bio", "sharedaddy", "subscription", "categories", "category",
}
FURNITURE_PREFIXES = ("cookie", "breadcrumb", "brodsmul", "consent", "readspeaker", "skiplink", "megamenu", "navbar",
                      "sidebar", "newsletter", "nyhetsbrev", "sharebar", "sharing", "socialmedia", "comment", "related")
GENERIC_SUFFIXES = {"wrapper", "wrap", "container", "box", "list", "links", "link", "area", "block", "bar", "holder",
                    "inner", "outer", "section", "widget", "module", "items", "item", "buttons", "button", "panel",
                    "region", "col", "column", "portlet", "component", "icons", "top", "bottom", "info", "bio", "stories",
                    "posts", "articles", "content", "title", "heading"}
ACCORDION_WORDS = {"accordion", "collapse", "collapsible", "expand", "expandable", "toggle", "faq", "question",
                   "answer", "panel", "utfallbar", "fallbar", "details", "disclosure"}
LAYOUT_WORDS = {"has", "with", "no", "main", "body", "article", "content", "page"}
COMMENT_WORDS = {"comment", "comments", "commentlist", "kommentarer", "respond", "disqus"}
# Parts that mark furniture wherever they stand in a name ("author-box--content", "kb-comments-add", "related_post
# wp_rp"): what surrounds an article, never its layout; the prose guard keeps a body that carries one as a flag.
ANYWHERE_WORDS = {"author", "authors", "autor", "comment", "comments", "kommentare", "nocomments", "related",
                  "relatedposts", "nextpost", "nextstory", "disclaimer", "disclosure", "newsletter", "subscribe",
                  "signup", "share", "sharing", "shariff", "embedded", "oembed", "caption", "captions",
                  "credit", "credits", "copyright", "legend", "meta", "byline", "dateline", "timestamp", "cta", "donation",
                  "signature", "ratings", "notforprint", "noprint", "imagedescription", "bildunterschrift", "bildtext"}
# CSS-framework utilities that hold a furniture word but style content (Bootstrap's and Tailwind's caption-top on a table)
UTILITY_NAMES = frozenset({"caption-top", "caption-bottom"})
SPLIT_RE = re.compile(r"[-_]+|(?<=[a-z])(?=[A-Z])")


def class_parts(el: lxml.etree._Element) -> tuple[tuple[str, ...], ...]:
    """Each class name and the id, split into lower-case parts."""
    return _split_names(el.get("class") or "", el.get("id") or "")


@functools.lru_cache(maxsize=32768)
def _split_names(classes: str, ident: str) -> tuple[tuple[str, ...], ...]:
    """The split of one class attribute and id (pages repeat the same few hundred class strings)."""
    return tuple(_split_name(n) for n in classes.split() + ident.split())


@functools.lru_cache(maxsize=65536)
def _split_name(name: str) -> tuple[str, ...]:
    if name.islower():  # no camelCase to split: str methods, not the regex
        return tuple(p for p in name.replace("_", "-").split("-") if p)
    return tuple(p.lower() for p in SPLIT_RE.split(name) if p)


def is_furniture_name(el: lxml.etree._Element) -> bool:
    """Does a class name or the id say page furniture (whole parts, never substrings of another word)?"""
    return furniture_names(el.get("class") or "", el.get("id") or "")


@functools.lru_cache(maxsize=32768)
def furniture_names(classes: str, ident: str) -> bool:
    return any(map(_furniture_name, classes.split() + ident.split()))


@functools.lru_cache(maxsize=65536)
def _furniture_name(name: str) -> bool:
    """One class name or id (sites share their names across pages more than whole class strings)."""
    parts = _split_name(name)
    if not parts or name in UTILITY_NAMES:
        return False
    last, first = parts[-1], parts[0]
    if last in COMMENT_WORDS or not ANYWHERE_WORDS.isdisjoint(parts):
        return True
    if LAYOUT_WORDS.intersection(parts):  # "has-sidebar", "ct-main-sidebar": the main area's layout, not furniture
        return False
    if last in FURNITURE_WORDS or last.startswith(FURNITURE_PREFIXES):
        return True
    return first in FURNITURE_WORDS and all(p in GENERIC_SUFFIXES or p in FURNITURE_WORDS for p in parts[1:])


def is_comment_name(el: lxml.etree._Element) -> bool:
    """Does a class name or the id end in a comments word (not a WordPress category or tag: "category-kommentarer")?"""
    return any(parts and parts[-1] in COMMENT_WORDS and parts[0] not in TAXONOMY_WORDS for parts in class_parts(el))


TAXONOMY_WORDS = frozenset({"category", "tag", "kategori"})  # a post's category or tag in its classes labels, never holds


def is_accordion_part(el: lxml.etree._Element) -> bool:
    """A disclosure button or panel (its text is content even while collapsed)."""
    if el.get("aria-expanded") is not None or el.get("aria-controls") is not None:
        return True
    return any(p in ACCORDION_WORDS for parts in class_parts(el) for p in parts)
