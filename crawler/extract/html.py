"""HTML: decode any charset right, find the main content by rules, and read title, dates, links and robots."""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import lxml.etree
from cssselect import SelectorError
from lxml.cssselect import CSSSelector

from crawler.extract import dates
from crawler.extract.model import Extracted, Link
from kb.errors import ExtractError

log = logging.getLogger(__name__)

MAX_HTML_BYTES = 4 * 1024 * 1024  # larger bodies are cut; no real article page is this big
MAX_LINKS = 5000
MAX_ELEMENTS = 60_000  # real pages have a few thousand; beyond this only cheap rules run
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufeff\u200b]")
WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# ----------------------------------------------------------------------------- decoding

_LATIN1_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1",
                   "windows-1252", "cp1252", "x-cp1252", "8859-1"}


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not valid in the main codec as windows-1252 (undefined bytes as Latin-1)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chunk = err.object[err.start:err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in chunk), err.end


codecs.register_error("kb-cp1252", _cp1252_fallback)

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def _codec(name: str | None) -> str | None:
    """Python codec name for a declared charset; Latin-1 family → windows-1252 (as browsers do)."""
    if not name:
        return None
    n = name.strip().lower()
    if n in _LATIN1_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


_UTF8_MB_RE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_RE = re.compile(rb"[\x80-\xff]")


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode HTML bytes to text: BOM, then valid UTF-8, then the declared charset, then windows-1252.

    Valid multi-byte UTF-8 almost never occurs by accident in legacy-encoded text, so a body
    that decodes as UTF-8 is UTF-8 whatever the server or the meta tag claims; mixed pages
    (UTF-8 with a windows-1252 footer) decode the stray bytes as windows-1252.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="kb-cp1252" if enc == "utf-8" else "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = [_codec(_charset_from_content_type(content_type))]
    m = _META_CHARSET_RE.search(body[:8192])
    declared.append(_codec(m.group(1).decode("ascii", "ignore")) if m else None)
    valid_mb = len(_UTF8_MB_RE.findall(body[:2_000_000]))
    high = len(_HIGH_RE.findall(body[:2_000_000]))
    # Most high bytes form valid UTF-8 sequences: a UTF-8 page with a few stray legacy bytes.
    if valid_mb and valid_mb * 2 >= high - valid_mb * 2:
        return body.decode("utf-8", errors="kb-cp1252")
    for enc in declared:
        if enc and enc not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            try:
                return body.decode(enc, errors="kb-cp1252" if enc == "cp1252" else "strict")
            except UnicodeDecodeError:
                continue
    return body.decode("cp1252", errors="kb-cp1252")


def clean_text(s: str) -> str:
    """Remove NULs, C0/C1 control characters, replacement characters and zero-width marks."""
    return CONTROL_RE.sub("", s)


# ----------------------------------------------------------------------------- parsing


def parse(body: bytes, content_type: str | None = None) -> lxml.etree._Element | None:
    """Parse HTML safely (no huge trees, no network); None for an empty document."""
    text = clean_text(decode_html(body[:MAX_HTML_BYTES], content_type))
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)  # lxml refuses str input with an encoding declaration
    if not text.strip():
        return None
    # plain etree elements: lxml.html's per-element class lookup doubled the time on big pages
    parser = lxml.etree.HTMLParser(huge_tree=False, remove_comments=True, remove_pis=True, no_network=True,
                                  recover=True, default_doctype=False)
    try:
        root = lxml.etree.fromstring(text, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    return root


def compile_selector(selector: str) -> CSSSelector:
    """Compile a CSS selector; raises ValueError with a readable message when it is invalid."""
    try:
        return CSSSelector(selector, translator="html")
    except SelectorError as exc:
        raise ValueError(f"ogiltig CSS-väljare {selector!r}: {exc}") from exc


def _select(root: lxml.etree._Element, selector: str) -> list[lxml.etree._Element]:
    try:
        return list(compile_selector(selector)(root))
    except ValueError as exc:
        log.warning("%s", exc)
        return []


def _norm(s: str | None) -> str:
    return WS_RE.sub(" ", s or "").strip()


def _text(el: lxml.etree._Element) -> str:
    return _norm(" ".join(el.itertext()))


def _tag(el: object) -> str:
    t = getattr(el, "tag", None)
    return t.lower() if isinstance(t, str) else ""


# ----------------------------------------------------------------------------- metadata


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
    title = _norm(title)
    if site_name:
        for sep in (" - ", " | ", " – ", " — ", " :: ", " · ", " » ", ": "):
            if title.lower().endswith((sep + site_name).lower()):
                return title[: -len(sep + site_name)].strip()
    seps = list(TITLE_SEPARATORS.finditer(title))
    if seps and seps[-1].start() > 0:
        return title[: seps[-1].start()].strip()
    return title


def _base_url(root: lxml.etree._Element, url: str) -> str:
    for el in root.iter("base"):
        href = (el.get("href") or "").strip()
        if href:
            joined = urljoin(url, href)
            if urlsplit(joined).scheme in ("http", "https"):
                return joined
        break
    return url


def _absolute(base: str, href: str) -> str | None:
    href = clean_text(href).strip()
    if not href or href.startswith("#"):
        return None
    scheme = urlsplit(href).scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return None  # mailto:, tel:, javascript:, data: …
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def read_links(root: lxml.etree._Element, base: str) -> list[Link]:
    """Every http(s) link on the whole page (menus too), absolute, with rel=nofollow marked."""
    links: list[Link] = []
    seen: set[tuple[str, str, bool]] = set()
    for el in root.iter("a", "area"):
        href = el.get("href")
        if href is None:
            continue
        absolute = _absolute(base, href)
        if absolute is None:
            continue
        rel = (el.get("rel") or "").lower().split()
        nofollow = "nofollow" in rel or "ugc" in rel or "sponsored" in rel
        text = _text(el)[:200] if el.tag == "a" else _norm(el.get("alt"))[:200]
        key = (absolute, text, nofollow)
        if key in seen:
            continue
        seen.add(key)
        links.append(Link(absolute, text, nofollow))
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


# ----------------------------------------------------------------------------- main content

DROP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "video",
             "audio", "button", "select", "input", "textarea", "dialog", "nav", "footer", "menu", "link", "meta"}
DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "menu", "menubar",
              "toolbar"}
# Any of these inside a class or id marks page furniture.
STRONG_SUBSTRINGS = ("cookie", "consent", "gdpr", "breadcrumb", "brodsmul", "crumbs", "skiplink", "skip-link",
                     "share", "sharing", "social", "feedback", "rating", "helpful", "related", "relaterat",
                     "sidebar", "sidomeny", "submenu", "subnav", "pagination", "readspeaker", "lyssna",
                     "navbar", "navigation", "megamenu", "newsletter", "nyhetsbrev", "toolbar", "rs_skip",
                     "tipsa", "print", "utskrift", "survey", "enkat")
# These must be a whole token of a class or id (split on - _ and spaces): "header" but not "heading".
TOKEN_WORDS = {"nav", "menu", "menus", "footer", "header", "search", "sok", "skip", "tools", "banner", "dela",
               "puff", "puffs", "aside", "topbar", "masthead", "sitemap", "languages", "translate", "kontaktruta",
               "toc"}
TOKEN_SPLIT = re.compile(r"[\s_-]+|(?<=[a-z])(?=[A-Z])")

# Widgets recognised by the text they start with; the block that holds them goes.
WIDGET_PHRASES = re.compile(
    r"^(?:dela sidan|dela artikeln|dela på|dela denna sida|dela:|var sidan till hjälp|var informationen till hjälp|"
    r"hjälpte informationen|fick du svar på din fråga|hittade du det du sökte|du är här|relaterade sidor|"
    r"relaterat\b|relaterade länkar|relaterad information|läs även|se även:|hoppa till|gå direkt till|"
    r"till huvudinnehåll|vi använder kakor|vi använder cookies|den här webbplatsen använder|"
    r"denna webbplats använder|webbplatsen använder kakor|lyssna\b|skriv ut\b|tipsa en vän|"
    r"prenumerera på)",
    re.IGNORECASE,
)
DATE_LINE = re.compile(r"^(?:publicerad|publicerat|senast uppdaterad|senast ändrad|uppdaterad|granskad|"
                       r"senast granskad|sidan uppdaterades|datum)\b", re.IGNORECASE)

MAIN_CANDIDATES = ("//main", "//*[@role='main']")
ID_CANDIDATES = ("content", "main", "main-content", "maincontent", "innehall", "huvudinnehall", "primary",
                 "page-content", "pagecontent", "mainContent", "article")
BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
              "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "blockquote", "pre", "figure",
              "figcaption", "header", "footer", "address", "hr", "form", "fieldset", "details", "summary",
              "aside", "caption", "center", "legend", "body", "html"}


def _attr_tokens(el: lxml.etree._Element) -> tuple[str, set[str]]:
    raw = f"{el.get('class') or ''} {el.get('id') or ''}"
    tokens = {t.lower() for t in TOKEN_SPLIT.split(raw) if t}
    return raw.lower(), tokens


def _is_furniture_attr(el: lxml.etree._Element) -> bool:
    raw, tokens = _attr_tokens(el)
    if not raw.strip():
        return False
    return any(s in raw for s in STRONG_SUBSTRINGS) or bool(tokens & TOKEN_WORDS)


def _hidden(el: lxml.etree._Element) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _drop(el: lxml.etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:  # the tail text belongs to the parent, not to the dropped element
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _text_len(el: lxml.etree._Element) -> int:
    return sum(len(t.strip()) for t in el.itertext())


def _link_len(el: lxml.etree._Element) -> int:
    total = 0
    for a in el.iter("a"):
        total += sum(len(t.strip()) for t in a.itertext())
    return total


def _pick_container(root: lxml.etree._Element) -> lxml.etree._Element:
    """The semantic main container: <main>, [role=main], a dominant <article>, #content…, else <body>."""
    for xp in MAIN_CANDIDATES:
        found = [el for el in root.xpath(xp) if isinstance(el, lxml.etree._Element)]
        if found:
            best = max(found, key=_text_len)
            if _text_len(best) >= 50:
                return best
    articles = [el for el in root.iter("article") if not any(_tag(a) == "article" for a in el.iterancestors())]
    if articles:
        sizes = sorted(((_text_len(a), i) for i, a in enumerate(articles)), reverse=True)
        if sizes[0][0] >= 200 and (len(sizes) == 1 or sizes[0][0] >= 3 * sizes[1][0]):
            return articles[sizes[0][1]]
    for ident in ID_CANDIDATES:
        found = root.xpath("//*[@id=$i]", i=ident)
        if found and _text_len(found[0]) >= 50:
            return found[0]
    body = root.find("body")
    return body if body is not None else root


def _protected(el: lxml.etree._Element, keep: set[lxml.etree._Element], container_len: int) -> bool:
    """Never drop the block holding the page's h1 or most of the container's text."""
    if el in keep:
        return True
    return container_len >= 400 and _text_len(el) > container_len * 0.5


def clean_container(container: lxml.etree._Element) -> None:
    """Remove furniture from the main container in place (tags, roles, class/id patterns, widgets, link lists)."""
    h1 = next(container.iter("h1"), None)
    # lxml proxies are only identical while referenced, so the sets hold elements, never id()s
    keep: set[lxml.etree._Element] = set()
    if h1 is not None:
        keep = set(h1.iterancestors()) | {h1}
    container_len = _text_len(container)

    # 1. tags, roles, hidden elements, furniture classes/ids (top-down; dropped subtrees are skipped)
    doomed: list[lxml.etree._Element] = []
    skip: set[lxml.etree._Element] = set()
    for el in container.iter():
        if not isinstance(el.tag, str):  # comments, PIs
            doomed.append(el)
            continue
        if el is container:
            continue
        if el.getparent() in skip:
            skip.add(el)
            continue
        tag = el.tag.lower()
        role = (el.get("role") or "").lower()
        drop = False
        if tag in DROP_TAGS or role in DROP_ROLES or _hidden(el) or tag == "header":
            drop = el not in keep
        elif tag == "form":
            drop = _text_len(el) < 1000 and el not in keep
        elif tag == "aside":
            drop = _is_furniture_attr(el) or (_text_len(el) > 0 and _link_len(el) / max(_text_len(el), 1) > 0.5)
        elif _is_furniture_attr(el):
            drop = not _protected(el, keep, container_len)
        if drop:
            doomed.append(el)
            skip.add(el)
    for el in doomed:
        _drop(el)

    # 2. widgets recognised by their first words ("Dela sidan", "Var sidan till hjälp?", "Du är här")
    for node in list(_text_nodes(container)):
        el, text = node
        if WIDGET_PHRASES.match(text):
            target = _widget_block(el, container)
            if target is not None and not _protected(target, keep, container_len):
                _drop(target)
        elif DATE_LINE.match(text):
            target = _block_of(el, container)
            if target is not None and _text_len(target) < 160 and target not in keep:
                _drop(target)

    # 3. link-dense blocks (menus, related lists) inside the content
    doomed = []
    for el in container.iter("ul", "ol", "div", "section", "table", "dl", "p"):
        if el is container or el in keep:
            continue
        n_links = sum(1 for _ in el.iter("a"))
        if n_links < 3:
            continue
        total = _text_len(el)
        if total and _link_len(el) / total > 0.8 and not _protected(el, keep, container_len):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and not any(a in doomed for a in el.iterancestors()):
            _drop(el)


def _text_nodes(container: lxml.etree._Element) -> Iterator[tuple[lxml.etree._Element, str]]:
    """(element, stripped text) for each element whose own leading text is non-empty."""
    for el in container.iter():
        if not isinstance(el.tag, str):
            continue
        t = (el.text or "").strip()
        if t:
            yield el, t
        tail = (el.tail or "").strip()
        if tail and el.getparent() is not None:
            yield el.getparent(), tail


def _block_of(el: lxml.etree._Element, container: lxml.etree._Element) -> lxml.etree._Element | None:
    cur: lxml.etree._Element | None = el
    while cur is not None and cur is not container:
        if _tag(cur) in BLOCK_TAGS:
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
        extra_text = _text_len(parent) - _text_len(cur)
        extra_links = _link_len(parent) - _link_len(cur)
        if extra_text - extra_links > 40:
            return cur
        cur = parent


def serialise(container: lxml.etree._Element) -> tuple[str, list[str]]:
    """Text with blank lines between blocks, and the h1–h3 headings, without recursion."""
    paragraphs: list[str] = []
    headings: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        para = "\n".join(_norm(line) for line in "".join(buf).split("\n"))
        para = "\n".join(line for line in para.split("\n") if line)
        if para:
            paragraphs.append(para)
        buf.clear()

    for event, el in lxml.etree.iterwalk(container, events=("start", "end")):
        tag = _tag(el)
        if event == "start":
            if tag in BLOCK_TAGS:
                flush()
            elif tag == "br":
                buf.append("\n")
            elif tag in ("td", "th"):
                buf.append(" ")
            if el.text and tag not in ("script", "style"):
                buf.append(el.text)
        else:
            if tag in ("h1", "h2", "h3"):
                h = _text(el)
                if h:
                    headings.append(h)
            if tag in BLOCK_TAGS:
                flush()
            elif tag in ("td", "th"):
                buf.append(" ")
            if el.tail and el is not container:
                buf.append(el.tail)
    flush()
    return "\n\n".join(paragraphs), headings


def _serialise_cheaply(container: lxml.etree._Element) -> tuple[str, list[str]]:
    """For pathological trees (hundreds of thousands of elements): C-level tag stripping and text only."""
    log.info("page has more than %d elements; extracting without furniture rules", MAX_ELEMENTS)
    lxml.etree.strip_elements(container, *DROP_TAGS, "header", "form", "aside", with_tail=False)
    raw = lxml.etree.tostring(container, method="text", encoding="unicode")
    paragraphs = [_norm(p) for p in re.split(r"\n\s*\n", raw)]
    headings = [_text(h) for h in container.iter("h1", "h2", "h3")][:200]
    return "\n\n".join(p for p in paragraphs if p), headings


# ----------------------------------------------------------------------------- soft 404

SOFT_404_RE = re.compile(
    r"sidan (?:du söker |du letar efter )?(?:finns inte|kunde inte hittas|hittades inte|saknas|har tagits bort)|"
    r"hittade inte sidan|vi hittar inte sidan|sidan finns inte längre|\b404\b|page not found|not found",
    re.IGNORECASE,
)
MIN_WORDS = 15


def has_password_field(root: lxml.etree._Element) -> bool:
    """Does the page ask for a password (a login page)?"""
    return any((el.get("type") or "").lower() == "password" for el in root.iter("input"))


def is_soft_404(title: str, text: str, has_password: bool) -> bool:
    """Empty or near-empty page, an error page served with 200, or a login form."""
    words = len(text.split())
    if words < MIN_WORDS:
        return True
    if SOFT_404_RE.search(title) or SOFT_404_RE.search(text[:300]):
        return True
    return has_password and (words < 150 or re.search(r"\blogga in\b", title, re.IGNORECASE) is not None)


# ----------------------------------------------------------------------------- entry point


def extract_html(body: bytes, url: str, content_type: str | None = None, *,
                 content_selector: str | None = None, drop_selectors: Iterable[str] = ()) -> Extracted:
    """Extract main-content text and metadata from an HTML body."""
    root = parse(body, content_type)
    if root is None:
        return Extracted(title="", text="", format="html", soft_404=True)
    meta = read_meta(root)
    base = _base_url(root, url)
    links = read_links(root, base)
    noindex, nofollow = read_robots(meta)
    lang_raw = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") \
        or meta.get("content-language") or "sv"
    language = (_norm(lang_raw).split("-")[0].split("_")[0].lower() or "sv")[:8]
    canonical = None
    for el in root.iter("link"):
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href"):
            canonical = _absolute(base, el.get("href", ""))
            break
    head_title = ""
    title_el = root.find(".//title")
    if title_el is not None:
        head_title = strip_site_suffix(_text(title_el), meta.get("og:site_name", ""))
    json_ld = [el.text or "" for el in root.iter("script")
               if (el.get("type") or "").lower() == "application/ld+json"]

    login = has_password_field(root)
    for sel in drop_selectors:
        for el in _select(root, sel):
            _drop(el)
    containers: list[lxml.etree._Element] = []
    if content_selector:
        containers = _select(root, content_selector)
        # nested matches would be counted twice
        containers = [c for c in containers if not any(a in containers for a in c.iterancestors())]
        if not containers:
            log.info("content selector %r matched nothing on %s; using rules", content_selector, url)
    if not containers:
        containers = [_pick_container(root)]

    # Dates are read before cleaning removes the date lines; footers are gone already (not in container)
    time_dates: list[str] = []
    raw_texts: list[str] = []
    for c in containers:
        for el in [f for f in c.iter("footer") if f is not c]:
            _drop(el)
        time_dates += [el.get("datetime", "") for el in c.iter("time") if el.get("datetime")]
        raw_texts.append(_text(c))
    raw_text = "\n".join(raw_texts)

    texts: list[str] = []
    headings: list[str] = []
    n_elements = sum(1 for _ in root.iter())
    for c in containers:
        if n_elements > MAX_ELEMENTS:
            t, h = _serialise_cheaply(c)
        else:
            clean_container(c)
            t, h = serialise(c)
        if t:
            texts.append(t)
        headings += h
    text = "\n\n".join(texts)

    published, modified = dates.find_labelled(raw_text)
    meta_pub, meta_mod = dates.from_meta(meta)
    ld_pub, ld_mod = dates.from_json_ld(json_ld)
    published = published or meta_pub or ld_pub or next(
        (d for d in map(dates.parse_date, time_dates) if d), None) or next(iter(dates.find_dates(text[:1000])), None)
    modified = modified or meta_mod or ld_mod
    if modified and published and modified < published:
        modified = None

    h1 = next((h for c in containers for h in (_text(e) for e in c.iter("h1")) if h), "")
    title = h1 or strip_site_suffix(meta.get("og:title", ""), meta.get("og:site_name", "")) or head_title \
        or (headings[0] if headings else "")
    description = _norm(meta.get("description") or meta.get("og:description") or "")[:1000]
    soft = is_soft_404(title + " " + head_title, text, login)
    return Extracted(
        title=clean_text(title)[:500], text=text, format="html", description=clean_text(description),
        headings=[clean_text(h)[:300] for h in headings[:200]], published=published, modified=modified,
        language=language, links=links, canonical=canonical, robots_noindex=noindex,
        robots_nofollow=nofollow, soft_404=soft,
    )


def check_selector(selector: str) -> str | None:
    """Return an error message if ``selector`` is not valid CSS (for validating sources.yaml), else None."""
    try:
        compile_selector(selector)
    except ValueError as exc:
        return str(exc)
    return None


__all__ = ["ExtractError", "check_selector", "decode_html", "extract_html", "parse", "strip_site_suffix"]
