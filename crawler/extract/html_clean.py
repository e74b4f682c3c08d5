"""Page furniture out: tags, roles, whole-token class names, hidden parts, Swedish widget phrases, link lists; then text."""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator

import lxml.etree

from crawler.extract import html_events as events
from crawler.extract import html_lines as lines
from crawler.extract.html_lines import DATE_LABEL, DATE_MAX, LINE_MAX, LINE_PHRASES, SIGNUP, SIGNUP_MAX, is_date_only
from crawler.extract.html_names import COMMENT_WORDS, TAXONOMY_WORDS, furniture_names, is_accordion_part, is_comment_name
from crawler.extract.html_names import class_parts as class_parts  # html_container reads it from here
from crawler.extract.html_names import is_furniture_name as is_furniture_name
from crawler.extract.html_parse import tag_of, text_of
from crawler.extract.html_sizes import link_len, measure, prose_mass
from crawler.extract.html_sizes import text_len as text_len  # html.py reads it from here

log = logging.getLogger(__name__)

DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "video",
             "audio", "select", "input", "textarea", "dialog", "nav", "menu", "link", "meta", "label", "option"}
JUDGED_ATTRS = {"class", "id", "role", "style", "hidden", "aria-hidden"}
OTHER_JUDGED = JUDGED_ATTRS - {"class", "id"}  # without these an element is judged by its class and id alone
NAMED_BY_TAG = {"nav", "button", "footer", "header", "aside", "form", "figcaption"}  # judged by tag alone
STRIP_TAGS = tuple(sorted(DROP_TAGS - {"nav"}))  # a nav holding prose is judged, the rest goes unseen
DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "menu", "menubar",
              "toolbar", "complementary"}
LINK_DENSE = 0.65  # a block with 3+ links and more link text than this share is a link list
LINK_BOX_MAX = 200  # characters: a div or section this short ...
LINK_BOX_SHARE = 0.8  # ... with more link text than this share is a link box
LINK_PAGE_REST = 120  # characters: a <main> with less than this besides its h1 and link lists is a page of links
LINK_PAGE_LISTED = 150  # ... when its lists hold this much text (a breadcrumb trail does not)

# Widgets recognised by the text they start with; the block that holds them goes.
WIDGET_PHRASES = re.compile(
    r"^(?:dela sidan|dela artikeln|dela på|dela denna sida|dela:|var sidan till hjälp|var informationen till hjälp|"
    r"hjälpte informationen|fick du svar på din fråga|hittade du det du sökte|hittade du den information|du är här|"
    r"relaterade sidor|relaterat\b|relaterade länkar|relaterad information|läs även|se även:|hoppa till|"
    r"gå direkt till|till huvudinnehåll|vi använder kakor|vi använder cookies|den här webbplatsen använder|"
    r"denna webbplats använder|webbplatsen använder kakor|lyssna på sidan|lyssna$|skriv ut$|skriv ut sidan|"
    r"tipsa en vän|prenumerera på|"
    # the same widgets on foreign-language pages (the public benchmarks)
    r"mehr zum thema|lesen sie auch|weitere artikel|das könnte sie auch interessieren|ähnliche beiträge|"
    r"related (?:posts|articles|stories)|read more:|see also:|you may also like|you might also like|also read:|"
    r"more from |share this|lea también|le puede interesar|te puede interesar|zobacz także|czytaj także|"
    r"leggi anche|à lire aussi|lire aussi|voir aussi)",
    re.IGNORECASE,
)
# A small box that opens with one of these headings is a contact or help box beside the content.
BOX_HEADINGS = re.compile(r"^(?:kontakt|kontakta oss|frågor\??|har du frågor\??|kontaktperson(?:er)?|kontaktuppgifter)$",
                          re.IGNORECASE)
# A section that opens with one of these headings is a teaser list beside the content ("Senaste nyheterna").
LIST_HEADINGS = re.compile(r"^(?:senaste nyheterna|senaste nytt|fler nyheter|fler artiklar|mest lästa|andra läser också)$",
                           re.IGNORECASE)
DATE_LINE = re.compile(r"^(?:publicerad|publicerat|senast uppdaterad|senast ändrad|uppdaterad|granskad|"
                       r"senast granskad|sidan uppdaterades|datum)\b", re.IGNORECASE)
BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
              "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "pre", "figure",
              "figcaption", "header", "footer", "address", "hr", "form", "fieldset", "details", "summary",
              "aside", "caption", "center", "legend", "body", "html"}


def hidden(el: lxml.etree._Element) -> bool:
    """Hidden by attribute or inline style."""
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def drop(el: lxml.etree._Element) -> None:
    """Remove ``el`` but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _in_content_section(el: lxml.etree._Element) -> bool:
    return any(tag_of(a) in ("article", "main") for a in el.iterancestors())


def prune(root: lxml.etree._Element, keep: set[lxml.etree._Element]) -> None:
    """Remove page furniture from the tree under ``root`` (``keep``: the h1 and its ancestors)."""
    lxml.etree.strip_elements(root, *STRIP_TAGS, with_tail=False)  # scripts, styles, svg icons: at C speed, tails kept
    prose, floor = prose_mass(root)
    prose[None] -= _thread_prose(prose, keep)  # comment threads go whatever they hold: not part of the page's prose
    page_len = functools.cache(lambda: max(text_len(root), 1))  # read only when the prose floor cannot decide

    def half_page(n: int) -> bool:
        return 2 * n <= floor or n <= page_len() * 0.5

    aria_targets = _AriaTargets(root)
    doomed: list[lxml.etree._Element] = []
    walk = lxml.etree.iterwalk(root, events=("start",))
    for _, el in walk:
        tag = el.tag
        if not isinstance(tag, str):
            doomed.append(el)
            continue
        if el is root:
            continue
        if tag not in NAMED_BY_TAG:
            names = el.keys()
            if JUDGED_ATTRS.isdisjoint(names):
                continue  # no furniture tag and none of the attributes the rules read (most a, img, p, span): nothing to judge
            if tag not in DROP_TAGS and OTHER_JUDGED.isdisjoint(names) \
                    and not furniture_names(el.get("class") or "", el.get("id") or ""):
                continue  # judged by its class and id alone, and they name no furniture
        if el in keep and tag not in DROP_TAGS:
            continue
        if _doomed(el, keep, aria_targets, half_page, prose):
            doomed.append(el)
            walk.skip_subtree()  # what is inside goes with it
    for el in doomed:
        drop(el)


def _thread_prose(prose: dict[lxml.etree._Element | None, int], keep: set[lxml.etree._Element]) -> int:
    """Prose inside comment threads (a comments word anywhere in a class name or the id, not the h1's own block)."""
    threads = {el for el in prose if el is not None and el not in keep
               and any(not COMMENT_WORDS.isdisjoint(parts) and parts[0] not in TAXONOMY_WORDS for parts in class_parts(el))}
    return sum(prose[el] for el in threads if not any(a in threads for a in el.iterancestors()))


class _AriaTargets(set[str]):
    """The ids that aria-controls attributes name, read from the tree when first asked (few pages hide anything)."""

    def __init__(self, root: lxml.etree._Element) -> None:
        super().__init__()
        self._root: lxml.etree._Element | None = root

    def __contains__(self, item: object) -> bool:
        if item is None:
            return False
        if self._root is not None:
            found = self._root.xpath(".//@aria-controls")
            self.update(t for value in (found if isinstance(found, list) else []) for t in str(value).split())
            self._root = None
        return super().__contains__(item)


PROSE_SHARE = 0.5  # a block holding this share of the page's prose is the article, whatever its class names say


def _doomed(el: lxml.etree._Element, keep: set[lxml.etree._Element], aria_targets: set[str], half_page: Callable[[int], bool],
            prose: dict[lxml.etree._Element | None, int]) -> bool:
    tag = tag_of(el)
    if tag == "nav":  # a nav holding paragraphs of prose is a mislabelled content area
        n = text_len(el)
        return n < 1000 or link_len(el) > 0.3 * n
    if tag in DROP_TAGS:
        return True
    role = (el.get("role") or "").lower()
    if tag == "button":
        return not (is_accordion_part(el) or tag_of(el.getparent()) in ("h2", "h3", "h4", "h5", "h6", "summary", "dt"))
    if hidden(el):
        return not (el.get("id") in aria_targets or is_accordion_part(el))
    if role in DROP_ROLES or tag == "footer":
        return el not in keep
    if tag == "header":
        return el not in keep and not _in_content_section(el)
    if tag == "aside":
        return not _in_content_section(el) or is_furniture_name(el) or _link_dense(el)
    if tag == "form":
        if any((i.get("type") or "").lower() == "password" for i in el.iter("input")):
            return True
        return text_len(el) < 1000 and prose.get(el, 0) < PROSE_SHARE * max(prose[None], 1)  # ASP.NET: one form, whole page
    if is_furniture_name(el):
        # a furniture word on the block that holds most of the page (or of its prose) is a state flag or a
        # taxonomy label ("entry share", "post tag-sponsor category-top-stories"), unless it names comments; an
        # accordion ("disclosure" with its button, the panel the button opens) and an event box ("event-meta": an
        # event's when and where) are content
        if (el in keep or el.get("id") in aria_targets or events.is_event_box(el, class_parts(el)) or _event_line(el)
                or (is_accordion_part(el) and el.find(".//*[@aria-controls]") is not None)):
            return False
        if is_comment_name(el):
            return True
        return prose.get(el, 0) < PROSE_SHARE * max(prose[None], 1) and half_page(text_len(el))
    return tag == "figcaption"  # captions: the benchmarks' gold leaves them out, and they rarely say much


def _event_line(el: lxml.etree._Element) -> bool:
    """One labelled line of an event box ("meta-item meta-date" holding "Datum: …" inside "event-meta")."""
    parent = el.getparent()
    return parent is not None and bool(events.event_kinds(el)) and events.is_event_box(parent, class_parts(parent))


def _link_dense(el: lxml.etree._Element, ratio: float = 0.5) -> bool:
    total = text_len(el)
    return total > 0 and link_len(el) / total > ratio


def clean_container(container: lxml.etree._Element, keep: set[lxml.etree._Element], event: bool = False) -> None:
    """Remove Swedish widgets (by their first words), date lines and link lists from a content container (on an event
    page, ``event``, the event's "Datum …" lines stay)."""
    container_len = text_len(container)

    def protected(el: lxml.etree._Element) -> bool:
        return el in keep or (container_len >= 400 and text_len(el) > container_len * 0.5)

    for el, text in list(_text_nodes(container)):
        if BOX_HEADINGS.match(text) and tag_of(el) in ("h2", "h3", "h4", "strong", "p") and el is not container:
            box = el.getparent()
            if box is not None and box is not container and el is box[0] and _contact_box(box) and not protected(box):
                drop(box)
        elif LIST_HEADINGS.match(text) and tag_of(el) in ("h2", "h3", "h4"):
            box = el.getparent()
            if box is not None and box is not container and el is box[0] and not protected(box):
                drop(box)
        elif WIDGET_PHRASES.match(text):
            target = _widget_block(el, container)
            if target is not None and not protected(target):
                drop(target)
        else:
            _drop_line(el, text, container, keep, protected, event)
    _drop_link_lists(container, keep, protected)


def _drop_line(el: lxml.etree._Element, text: str, container: lxml.etree._Element, keep: set[lxml.etree._Element],
               protected: Callable[[lxml.etree._Element], bool], event: bool = False) -> None:
    """A short block that is a link line ("Read more: …"), an ad label or a date line (not an event's) goes."""
    target = _block_of(el, container)
    if target is None or target in keep:
        if el is not target and el not in keep and tag_of(el) == "time" and is_date_only(text_of(el)):
            drop(el)  # a <time> beside the h1 in its <header>: the date is read before the text is
        return
    if LINE_PHRASES.match(text):
        if text_len(target) < LINE_MAX and not protected(target) and text_of(target).lower().startswith(text[:20].lower()):
            drop(target)
    elif DATE_LINE.match(text) or DATE_LABEL.match(text):
        keep_event = event and events.WHEN_LABEL.match(text) is not None
        if text_len(target) < DATE_MAX and not lines.sentence_after_date(text_of(target)) and not keep_event:
            drop(target)
    elif is_date_only(text) and is_date_only(text_of(target)):
        if not (event and events.keeps_line(el, text)):
            drop(target)
    elif len(text) < SIGNUP_MAX and SIGNUP.search(text) and text_len(target) < SIGNUP_MAX and not protected(target):
        before = target.getprevious()
        if before is not None and tag_of(before) in ("h2", "h3", "h4", "h5", "h6") and before not in keep:
            drop(before)
        drop(target)


CONTACT_DATA = re.compile(r"@|\btel(?:efon)?\b|\be-?post\b", re.IGNORECASE)


def _contact_box(box: lxml.etree._Element) -> bool:
    """Small enough to be a contact box: short, or longer but listing people's phones and e-mail addresses."""
    n = text_len(box)
    return n < 300 or (n < 1200 and CONTACT_DATA.search(text_of(box)) is not None)


def _sentence(el: lxml.etree._Element) -> bool:
    """Does a paragraph end as a sentence does ("Se Socialstyrelsens föreskrifter (SOSFS 2014:4).")?"""
    lead = (el.text or "").strip()
    return len(lead) >= 2 and not lead.endswith(":") and text_of(el).rstrip()[-1:] in ".!?"


def _drop_link_lists(container: lxml.etree._Element, keep: set[lxml.etree._Element],
                     protected: Callable[[lxml.etree._Element], bool]) -> None:
    """Link lists (3+ links, mostly link text) and short trails of links (breadcrumbs) out of the container."""
    sizes = measure(container)
    feeds = Counter(a for art in container.iter("article") for a in art.iterancestors() if a is not container)
    doomed = []
    for el in container.iter("ul", "ol", "div", "section", "table", "dl", "p"):
        if el is container or el in keep:
            continue
        n, links, n_links = sizes[el]
        tag = el.tag
        if n_links >= 3 and links > LINK_DENSE * n and not protected(el):
            doomed.append(el)
        elif n_links >= 2 and tag in ("ul", "ol") and n < 150 and links > 0.4 * n:
            doomed.append(el)  # a short trail of links: breadcrumbs, "Startsida / Om oss / …"
        elif tag == "p" and n_links and links > 0.7 * n and not protected(el) and not _sentence(el):
            doomed.append(el)  # a paragraph that is mostly a link: "Read also: …", a related headline, a sign-up
        elif tag in ("div", "section") and n_links and n < LINK_BOX_MAX and links > LINK_BOX_SHARE * n:
            doomed.append(el)  # a box that is a link or two: the next post, "Explore further", a teaser card
        elif feeds[el] >= 2 and tag != "p" and not protected(el):
            doomed.append(el)  # a feed of other <article>s beside the one under the h1: more posts, top stories
    outer = [el for el in doomed if not any(a in doomed for a in el.iterancestors())]
    listed = sum(sizes[el][0] for el in outer)
    rest = sizes[container][0] - listed - sum(sizes[h][0] for h in container.iter("h1"))
    landmark = tag_of(container) in ("main", "article") or container.get("role") == "main"
    if landmark and listed >= LINK_PAGE_LISTED and rest < LINK_PAGE_REST:
        return  # the links are the page (a list of support organisations under its h1), not furniture beside it
    for el in outer:
        if el.getparent() is not None:
            drop(el)


def _text_nodes(container: lxml.etree._Element) -> Iterator[tuple[lxml.etree._Element, str]]:
    """(element, stripped text) for each element whose own leading text is non-empty."""
    for el in container.iter(lxml.etree.Element):  # elements only (no comments), filtered in C
        t = el.text
        if t and (t := t.strip()):
            yield el, t
        t = el.tail
        if t and (t := t.strip()):
            parent = el.getparent()
            if parent is not None:
                yield parent, t


def _block_of(el: lxml.etree._Element, container: lxml.etree._Element) -> lxml.etree._Element | None:
    cur: lxml.etree._Element | None = el
    while cur is not None and cur is not container:
        if cur.tag in BLOCK_TAGS:  # a comment's tag (a function) is in no tag set
            return cur
        cur = cur.getparent()
    return None


def _widget_block(el: lxml.etree._Element, container: lxml.etree._Element) -> lxml.etree._Element | None:
    """Climb from the phrase to the widget: while the parent adds only links or a few words."""
    cur = _block_of(el, container)
    if cur is None:
        return None
    while True:
        parent = cur.getparent()
        if parent is None or parent is container:
            return cur
        extra_text = text_len(parent) - text_len(cur)
        extra_links = link_len(parent) - link_len(cur)
        if extra_text - extra_links > 60:
            return cur
        cur = parent
