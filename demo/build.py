"""Build the bundled demo sites (HTML, PDF, DOCX, PPTX), manifest.json and furniture.json.

Run:  .venv/bin/python demo/build.py

Content lives in demo/content/<site>.yaml. Output goes to demo/sites/<site>/ and is
committed, so nothing needs building at run time. Cross-site/absolute links use the
placeholder {{site:ID}}, which kb.demosite replaces with the site's base URL when serving.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any, Callable

import yaml

HERE = Path(__file__).resolve().parent
CONTENT = HERE / "content"
SITES = HERE / "sites"

SITE_ORDER = ["lansstyrelsen", "kunskapscentrum", "nationella-styrelsen", "kommunen", "jamstalldhet"]

DELOMRADEN: dict[str, str] = {
    "vald-i-nara-relationer": "Våld i nära relationer",
    "sexuellt-vald": "Sexuellt våld",
    "hedersrelaterat-vald": "Hedersrelaterat våld och förtryck",
    "prostitution-manniskohandel": "Prostitution och människohandel",
    "barn-som-upplever-vald": "Barn som upplever våld",
    "valdsutovare": "Våldsutövare",
    "skyddat-boende": "Skyddat boende",
    "forebyggande": "Våldsförebyggande arbete",
    "digitalt-vald": "Digitalt våld",
}

HUB_INTROS: dict[str, str] = {
    "vald-i-nara-relationer": "Här har vi samlat vårt material om våld i nära relationer, även kallat partnervåld eller VINR.",
    "sexuellt-vald": "Här hittar du sidor och publikationer om sexuellt våld och sexuella övergrepp.",
    "hedersrelaterat-vald": "Här samlar vi material om hedersrelaterat våld och förtryck, barnäktenskap, tvångsäktenskap och könsstympning.",
    "prostitution-manniskohandel": "Här finns material om prostitution, sexköp och människohandel för sexuella ändamål.",
    "barn-som-upplever-vald": "Här finns material om barn som upplever våld och om barnfridsbrottet.",
    "valdsutovare": "Här samlar vi material om arbete med personer som utövar våld.",
    "skyddat-boende": "Här finns information om skyddat boende, kvinnojourer och placeringar.",
    "forebyggande": "Här samlar vi material om våldsförebyggande arbete.",
    "digitalt-vald": "Här finns material om digitalt våld, näthat och kontroll via nätet.",
}

MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]

DEFAULT_LASTMOD = "2025-01-15"

COOKIE_TEXT = "Vi använder kakor (cookies) för att webbplatsen ska fungera och för att förbättra din upplevelse."


def sv_date(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def as_date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


# --------------------------------------------------------------------------- markdown-ish

INLINE_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*([^*]+)\*\*")


def inline(text: str) -> str:
    out = []
    pos = 0
    for m in INLINE_LINK.finditer(text):
        out.append(esc(text[pos:m.start()]))
        out.append(f'<a href="{esc(m.group(2))}">{esc(m.group(1))}</a>')
        pos = m.end()
    out.append(esc(text[pos:]))
    return BOLD.sub(r"<strong>\1</strong>", "".join(out))


def plain(text: str) -> str:
    text = INLINE_LINK.sub(r"\1", text)
    text = BOLD.sub(r"\1", text)
    return text.replace("~", "").replace("^", "")


def blocks(body: str) -> list[tuple[str, Any]]:
    """Parse the tiny markup: '## ' h2, '### ' h3, '- ' list items, blank-line paragraphs."""
    res: list[tuple[str, Any]] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            res.append(("h2", lines[0][3:]))
            lines = lines[1:]
        elif lines[0].startswith("### "):
            res.append(("h3", lines[0][4:]))
            lines = lines[1:]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            res.append(("ul", [ln[2:] for ln in lines]))
        else:
            res.append(("p", " ".join(lines)))
    return res


def body_html(body: str) -> str:
    out = []
    for kind, val in blocks(body):
        if kind == "ul":
            out.append("<ul>\n" + "\n".join(f"<li>{inline(x)}</li>" for x in val) + "\n</ul>")
        else:
            out.append(f"<{kind}>{inline(val)}</{kind}>")
    return "\n".join(out)


SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")


def key_sentence(body: str) -> str:
    for kind, val in blocks(body):
        if kind != "p" or INLINE_LINK.search(val) or "~" in val or "^" in val:
            continue
        for s in SENT_SPLIT.split(val):
            s = plain(s).strip()
            if len(s.split()) >= 8:
                return s
    for kind, val in blocks(body):
        if kind == "p":
            return plain(SENT_SPLIT.split(val)[0]).strip()
    raise ValueError("no key sentence")


# --------------------------------------------------------------------------- page furniture

def site_url(site: dict, path: str) -> str:
    return "{{site:%s}}%s" % (site["id"], path)


def nav_items(site: dict) -> list[tuple[str, str]]:
    return [(label, f"{site['hub_prefix']}/{slug}/") for slug, label in DELOMRADEN.items()]


def crumbs_html(crumbs: list[tuple[str, str | None]], sep: str = " / ") -> str:
    parts = []
    for label, href in crumbs:
        parts.append(f'<a href="{esc(href)}">{esc(label)}</a>' if href else f"<span>{esc(label)}</span>")
    return sep.join(parts)


def share_html(site: dict, path: str, title: str, cls: str) -> str:
    u = site_url(site, path)
    return (f'<div class="{cls}"><h2>Dela sidan</h2><ul>'
            f'<li><a href="https://www.facebook.com/sharer/sharer.php?u={esc(u)}">Facebook</a></li>'
            f'<li><a href="https://www.linkedin.com/sharing/share-offsite/?url={esc(u)}">LinkedIn</a></li>'
            f'<li><a href="mailto:?subject={esc(title)}&amp;body={esc(u)}">E-post</a></li></ul></div>')


def feedback_html(cls: str) -> str:
    return (f'<form class="{cls}" action="/feedback" method="post"><p>Var sidan till hjälp?</p>'
            '<button type="submit" name="svar" value="ja">Ja</button> '
            '<button type="submit" name="svar" value="nej">Nej</button></form>')


def cookie_html(cls: str) -> str:
    return (f'<div class="{cls}" role="dialog" aria-label="Kakor"><p>{COOKIE_TEXT} '
            'Läs mer om <a href="/om-webbplatsen/#kakor">hur vi använder kakor</a>.</p>'
            '<button type="button">Godkänn alla kakor</button> '
            '<button type="button">Endast nödvändiga kakor</button></div>')


def footer_lines(site: dict) -> str:
    return (f'<p class="org">{esc(site["name"])}</p><p>{esc(site["address"])}</p>'
            f'<p>Telefon: {esc(site["phone"])}</p><p>E-post: {esc(site["email"])}</p>'
            f'<p>© 2025 {esc(site["name"])}</p>'
            '<ul><li><a href="/om-webbplatsen/#tillganglighet">Tillgänglighetsredogörelse</a></li>'
            '<li><a href="/om-webbplatsen/#kakor">Om kakor</a></li>'
            '<li><a href="/intern/">Medarbetarsidor (intern)</a></li></ul>')


def date_lines(page: dict, style: str) -> str:
    pub, upd = page.get("published"), page.get("updated")
    if not pub:
        return ""
    if style == "time":
        s = f'<p class="dates">Publicerad <time datetime="{pub.isoformat()}">{sv_date(pub)}</time>'
        if upd:
            s += f' · Senast uppdaterad <time datetime="{upd.isoformat()}">{sv_date(upd)}</time>'
        return s + "</p>"
    s = f'<p class="dates">Publicerad {sv_date(pub)}'
    if upd:
        s += f"<br>Senast uppdaterad {sv_date(upd)}"
    return s + "</p>"


def head_html(site: dict, page: dict, css: str, og: bool, dcterms: bool = False) -> str:
    h = ["<!DOCTYPE html>", '<html lang="sv">', "<head>"]
    if page.get("charset", True):
        h.append('<meta charset="utf-8">')
    h.append(f"<title>{esc(page['title'])} - {esc(site['name'])}</title>")
    h.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    if page.get("description"):
        h.append(f'<meta name="description" content="{esc(page["description"])}">')
    if og:
        h.append(f'<meta property="og:title" content="{esc(page["title"])}">')
        h.append(f'<meta property="og:site_name" content="{esc(site["name"])}">')
    if dcterms and page.get("published"):
        h.append(f'<meta name="dcterms.date" content="{page["published"].isoformat()}">')
    if page.get("noindex"):
        h.append('<meta name="robots" content="noindex">')
    if page.get("canonical"):
        h.append(f'<link rel="canonical" href="{esc(site_url(site, page["canonical"]))}">')
    h.append(f"<style>{css}</style>")
    h.append("</head>")
    return "\n".join(h)


def related_list(page: dict) -> str:
    return "\n".join(f'<li><a href="{esc(h)}">{esc(lbl)}</a></li>' for lbl, h in page.get("related", []))


# --------------------------------------------------------------------------- five templates

def widgets_html(site: dict, page: dict, share_cls: str, feedback_cls: str, feedback_first: bool = False) -> str:
    """The page's "Dela sidan" and "Var sidan till hjälp?" widgets, in the site's own order."""
    parts = []
    if page.get("share"):
        parts.append(share_html(site, page["path"], page["title"], share_cls))
    if page.get("feedback"):
        parts.append(feedback_html(feedback_cls))
    return "".join(reversed(parts) if feedback_first else parts)


def ingress_html(page: dict, cls: str) -> str:
    return f'<p class="{cls}">{esc(page["ingress"])}</p>' if page.get("ingress") else ""


def related_html(page: dict, template: str) -> str:
    """``template`` has one ``{items}`` slot for the <li> list; empty when the page has no related pages."""
    return template.format(items=related_list(page)) if page.get("related") else ""


def tpl_lansstyrelsen(site: dict, page: dict) -> str:
    """Sitevision-like: nested sv-layout divs, no <main>, dcterms.date."""
    nav = "\n".join(f'<li class="sv-menu-item"><a href="{h}">{esc(l)}</a></li>' for l, h in nav_items(site))
    rel = related_html(page, '<div class="sv-column-4"><div class="sv-portlet lst-related"><h2>Relaterade sidor</h2>'
                             "<ul>{items}</ul></div></div>")
    extra = widgets_html(site, page, "sv-portlet lst-share", "sv-portlet lst-feedback")
    ingress = ingress_html(page, "lst-ingress")
    return f"""{head_html(site, page, "body{font-family:Arial}.sv-column-8{width:66%;float:left}", False, True)}
<body>
{cookie_html("sv-layout lst-cookie")}
<div class="sv-layout lst-header">
 <div class="sv-portlet"><a class="lst-logo" href="/">{esc(site['name'])}</a></div>
 <div class="sv-portlet sv-search"><form action="/sok" method="get"><label for="q">Sök på webbplatsen</label><input id="q" name="q" type="search"><button>Sök</button></form></div>
</div>
<div class="sv-layout lst-menu" role="navigation" aria-label="Ämnen">
<ul class="sv-menu"><li class="sv-menu-item"><a href="/">Start</a></li>
{nav}
<li class="sv-menu-item"><a href="/nyheter/">Nyheter</a></li><li class="sv-menu-item"><a href="/publikationer/">Publikationer</a></li></ul>
</div>
<div class="sv-layout lst-breadcrumbs"><span>Du är här:</span> {crumbs_html(page['crumbs'])}</div>
<div class="sv-layout" id="content">
<div class="sv-row">
<div class="sv-column-8">
<div class="sv-text-portlet"><h1 class="heading">{esc(page['h1'])}</h1></div>
<div class="sv-text-portlet sv-use-margins">
{ingress}
{page['content']}
</div>
<div class="sv-text-portlet lst-date">{date_lines(page, "plain")}</div>
{extra}
</div>
{rel}
</div>
</div>
<div class="sv-layout lst-footer">
<div class="sv-portlet">{footer_lines(site)}</div>
</div>
</body>
</html>
"""


def tpl_kunskapscentrum(site: dict, page: dict) -> str:
    """Uses <main>, og:title, related sidebar inside main."""
    nav = "\n".join(f'<li><a href="{h}">{esc(l)}</a></li>' for l, h in nav_items(site))
    rel = related_html(page, '<aside class="related"><h2>Relaterade sidor</h2><ul>{items}</ul></aside>')
    extra = widgets_html(site, page, "nck-share", "nck-feedback", feedback_first=True)
    ingress = ingress_html(page, "preamble")
    return f"""{head_html(site, page, "main{max-width:48rem}", True)}
<body>
<a class="skip" href="#main">Hoppa till innehållet</a>
<header class="site-header">
<a class="brand" href="/">{esc(site['name'])}</a>
<form role="search" action="/sok"><input type="search" name="q" placeholder="Sök i kunskapsbanken" aria-label="Sök"><button>Sök</button></form>
<nav class="main-nav" aria-label="Huvudmeny"><p class="nav-title">Kunskapsbanken</p><ul>
{nav}
</ul><ul class="secondary"><li><a href="/nyheter/">Nyheter</a></li><li><a href="/publikationer/">Publikationer</a></li><li><a href="/utbildning/webbkurs-mvk.html">Utbildning</a></li></ul></nav>
</header>
{cookie_html("cookie-consent")}
<nav class="breadcrumbs" aria-label="Brödsmulor">Du är här: {crumbs_html(page['crumbs'])}</nav>
<main id="main">
<h1>{esc(page['h1'])}</h1>
{date_lines(page, "plain")}
{ingress}
{page['content']}
{rel}
{extra}
</main>
<footer class="site-footer">{footer_lines(site)}
<p>Stödlinjen Kvinnofrid är öppen dygnet runt: 020-10 20 30.</p></footer>
</body>
</html>
"""


def tpl_nationella(site: dict, page: dict) -> str:
    """Kunskapsguide-like: content in <article>, no <main>, <time datetime>."""
    nav = "\n".join(f'<li class="menu__item"><a class="menu__link" href="{h}">{esc(l)}</a></li>'
                    for l, h in nav_items(site))
    rel = related_html(page, '<div class="sidebar"><h2 class="sidebar__title">Relaterade sidor</h2><ul>{items}</ul></div>')
    extra = widgets_html(site, page, "share-widget", "page-feedback")
    ingress = ingress_html(page, "lead")
    return f"""{head_html(site, page, ".page{display:flex}article{flex:3}", True)}
<body class="vfs">
{cookie_html("cookiebar")}
<div id="page">
<div class="topbar"><a href="/">{esc(site['name'])}</a> <span class="tagline">{esc(site['tagline'])}</span>
<form class="search" action="/sok"><input name="q" type="text" aria-label="Sök på Välfärdsstyrelsen"><input type="submit" value="Sök"></form></div>
<div class="menu"><span class="menu__heading">Kunskapsstöd per område</span><ul class="menu__list">
{nav}
</ul><a href="/nyheter/">Nyheter</a> | <a href="/publikationer/">Publikationer och föreskrifter</a></div>
<ol class="breadcrumb"><li>Du är här:</li>{''.join(f'<li>{crumbs_html([c])}</li>' for c in page['crumbs'])}</ol>
<div class="page">
<article class="kg-article">
<h1>{esc(page['h1'])}</h1>
{ingress}
<div class="kg-body">
{page['content']}
</div>
{date_lines(page, "time")}
</article>
{rel}
</div>
{extra}
<div class="footer"><div class="footer__inner">{footer_lines(site)}</div></div>
</div>
</body>
</html>
"""


def tpl_kommunen(site: dict, page: dict) -> str:
    """Municipality: <div role="main">, no <main>/<article>, feedback widget common."""
    nav = "\n".join(f'<li><a href="{h}">{esc(l)}</a></li>' for l, h in nav_items(site))
    rel = related_html(page, '<div class="puff-list"><h2>Relaterade sidor</h2><ul>{items}</ul></div>')
    extra = widgets_html(site, page, "kommun-share", "kommun-feedback", feedback_first=True)
    ingress = ingress_html(page, "ingress")
    return f"""{head_html(site, page, "#wrapper{margin:auto}", False)}
<body>
<div id="wrapper">
<div class="kommun-top">
<a class="kommun-logo" href="/">{esc(site['name'])}</a>
<a href="/omsorg-och-stod/">Omsorg och stöd</a> <a href="/skola/">Skola</a> <a href="/kommun-och-politik/">Kommun och politik</a>
<form action="/sok"><input type="text" name="q" aria-label="Sök"><button>Sök</button></form>
</div>
{cookie_html("kommun-cookies")}
<div class="kommun-subnav"><h2>Våld och övergrepp</h2><ul>
{nav}
</ul></div>
<div class="kommun-crumbs">Du är här: {crumbs_html(page['crumbs'], ' &gt; ')}</div>
<div role="main" class="content-area">
<h1>{esc(page['h1'])}</h1>
{ingress}
{page['content']}
{date_lines(page, "plain")}
</div>
{rel}
{extra}
<div class="kommun-footer">{footer_lines(site)}
<p>Kontaktcenter har öppet vardagar 8–17.</p></div>
</div>
</body>
</html>
"""


def tpl_jamstalldhet(site: dict, page: dict) -> str:
    """Agency site with <main> wrapping an <article>, <time datetime>, og:title."""
    nav = "\n".join(f'<li><a href="{h}">{esc(l)}</a></li>' for l, h in nav_items(site))
    rel = related_html(page, '<aside class="jv-related"><h2>Relaterade sidor</h2><ul>{items}</ul></aside>')
    extra = widgets_html(site, page, "jv-share", "jv-feedback")
    ingress = ingress_html(page, "jv-lead")
    return f"""{head_html(site, page, "article{max-width:46rem}", True)}
<body>
{cookie_html("jv-cookie")}
<header class="jv-header"><a href="/">{esc(site['name'])}</a> <span class="jv-tagline">{esc(site['tagline'])}</span>
<form action="/sok"><input type="search" name="q" aria-label="Sök"><button>Sök</button></form></header>
<nav class="jv-nav" aria-label="Mäns våld mot kvinnor"><h2>Mäns våld mot kvinnor</h2><ul>
{nav}
</ul><p><a href="/nyheter/">Nyheter</a> <a href="/publikationer/">Publikationer</a></p></nav>
<main>
<nav class="jv-breadcrumbs" aria-label="Du är här">Du är här: {crumbs_html(page['crumbs'])}</nav>
<article>
<h1>{esc(page['h1'])}</h1>
{date_lines(page, "time")}
{ingress}
{page['content']}
</article>
{extra}
{rel}
</main>
<footer class="jv-footer">{footer_lines(site)}</footer>
</body>
</html>
"""


TEMPLATES: dict[str, Callable[[dict, dict], str]] = {
    "lansstyrelsen": tpl_lansstyrelsen,
    "kunskapscentrum": tpl_kunskapscentrum,
    "nationella-styrelsen": tpl_nationella,
    "kommunen": tpl_kommunen,
    "jamstalldhet": tpl_jamstalldhet,
}

# --------------------------------------------------------------------------- documents


def latin1(s: str) -> str:
    for a, b in {"–": "-", "—": "-", "’": "'", "‘": "'", "”": '"', "“": '"', "…": "...", "•": "-",
                 "\u00ad": ""}.items():
        s = s.replace(a, b)
    return s


FIXED_TS = dt.datetime(2025, 1, 15, 9, 0, 0, tzinfo=dt.timezone.utc)


def build_pdf(doc: dict, site: dict, out: Path) -> tuple[list[str], list[str]]:
    """Render a PDF with running header/footer and own line wrapping with hyphenation.

    Markers in the text: '~' = allowed hyphenation point, '^' = forced line break.
    Returns (words hyphenated across a line end, phrases like "hälso-" forced to end a line).
    """
    from fpdf import FPDF

    header_text = latin1(doc["header"])
    footer_text = latin1(doc.get("footer", f"{site['name']} | {doc['title']}"))

    class DocPDF(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, header_text, new_x="LMARGIN", new_y="NEXT")
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(4)
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, f"{footer_text}   Sida {self.page_no()} av {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = DocPDF(format="A4")
    pdf.set_creation_date(FIXED_TS)
    pdf.set_title(latin1(doc["title"]))
    pdf.set_author(latin1(site["name"]))
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(True, margin=22)
    hyphenated: list[str] = []
    split_phrases: list[str] = []
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def write_par(text: str, size: float = 11, lh: float = 6.0, indent: str = "") -> None:
        pdf.set_font("Helvetica", "", size)
        tokens = latin1(text).split()
        line = indent
        lines: list[str] = []

        def fits(s: str) -> bool:
            return pdf.get_string_width(s) <= width

        def add(tok: str) -> None:
            nonlocal line
            sep = "" if line in ("", indent) else " "
            cand = line + sep + tok.replace("~", "")
            if fits(cand):
                line = cand
                return
            # try soft hyphenation points, longest prefix first
            if "~" in tok:
                parts = tok.split("~")
                for i in range(len(parts) - 1, 0, -1):
                    pre = "".join(parts[:i])
                    hy = pre if pre.endswith("-") else pre + "-"
                    if fits(line + sep + hy):
                        lines.append(line + sep + hy)
                        hyphenated.append("".join(parts).strip(".,;:"))
                        line = ""
                        add("~".join(parts[i:]))
                        return
            lines.append(line)
            line = tok.replace("~", "")

        for tok in tokens:
            if "^" in tok:
                first, rest = tok.split("^", 1)
                if first:
                    add(first)
                lines.append(line)
                if rest:
                    hyphenated.append(plain(first).rstrip("-") + plain(rest))
                else:
                    split_phrases.append(plain(first))
                line = ""
                if rest:
                    add(rest)
            else:
                add(tok)
        if line.strip():
            lines.append(line)
        for ln in lines:
            pdf.cell(0, lh, ln, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)

    # cover page
    pdf.add_page()
    pdf.ln(40)
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 11, latin1(doc["title"]))
    pdf.ln(6)
    if doc.get("subtitle"):
        pdf.set_font("Helvetica", "", 13)
        pdf.multi_cell(0, 7, latin1(doc["subtitle"]))
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, latin1(site["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Publicerad {sv_date(doc['published'])}", new_x="LMARGIN", new_y="NEXT")
    if doc.get("cover_text"):
        pdf.ln(14)
        write_par(doc["cover_text"], 11)

    for sec in doc["sections"]:
        if sec.get("new_page", True):
            pdf.add_page()
        else:
            pdf.ln(4)
        pdf.set_font("Helvetica", "B", 15)
        pdf.multi_cell(0, 8, latin1(sec["heading"]))
        pdf.ln(2)
        for kind, val in blocks(sec["body"]):
            if kind in ("h2", "h3"):
                pdf.set_font("Helvetica", "B", 12)
                pdf.multi_cell(0, 7, latin1(plain(val)))
                pdf.ln(1)
            elif kind == "ul":
                for item in val:
                    write_par("- " + item.replace("**", ""), 11, 6.0)
            else:
                write_par(val.replace("**", ""))
    pdf.output(str(out))
    return hyphenated, split_phrases


def normalize_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry timestamps so rebuilds are byte-identical."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 15, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def build_docx(doc: dict, site: dict, out: Path) -> None:
    import docx
    from docx.shared import Pt

    d = docx.Document()
    d.core_properties.title = doc["title"]
    d.core_properties.author = site["name"]
    d.core_properties.created = FIXED_TS.replace(tzinfo=None)
    d.core_properties.modified = FIXED_TS.replace(tzinfo=None)
    d.core_properties.last_modified_by = site["name"]
    sec = d.sections[0]
    sec.header.paragraphs[0].text = doc["header"]
    sec.footer.paragraphs[0].text = doc.get("footer", f"{site['name']} | {doc['title']}")
    d.add_heading(doc["title"], 0)
    if doc.get("subtitle"):
        p = d.add_paragraph(doc["subtitle"])
        p.runs[0].italic = True
    d.add_paragraph(f"{site['name']}, {sv_date(doc['published'])}")
    for s in doc["sections"]:
        d.add_heading(s["heading"], 1)
        for kind, val in blocks(s["body"]):
            if kind in ("h2", "h3"):
                d.add_heading(plain(val), 2)
            elif kind == "ul":
                for item in val:
                    d.add_paragraph(plain(item), style="List Bullet")
            else:
                d.add_paragraph(plain(val))
        if s.get("table"):
            rows = s["table"]
            t = d.add_table(rows=len(rows), cols=len(rows[0]))
            t.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = str(cell)
                    if r == 0:
                        for run in t.cell(r, c).paragraphs[0].runs:
                            run.bold = True
                            run.font.size = Pt(10)
    d.save(str(out))
    normalize_zip(out)


def build_pptx(doc: dict, site: dict, out: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt
    from pptx.enum.shapes import MSO_SHAPE

    prs = Presentation()
    prs.core_properties.title = doc["title"]
    prs.core_properties.author = site["name"]
    prs.core_properties.created = FIXED_TS.replace(tzinfo=None)
    prs.core_properties.modified = FIXED_TS.replace(tzinfo=None)
    prs.core_properties.last_modified_by = site["name"]
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = doc["title"]
    s.placeholders[1].text = f"{doc.get('subtitle', '')}\n{site['name']}"
    if doc.get("title_notes"):
        s.notes_slide.notes_text_frame.text = doc["title_notes"]
    for sl in doc["slides"]:
        if sl.get("table"):
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = sl["title"]
            rows = sl["table"]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(0.5), Inches(1.6), Inches(9), Inches(0.5 * len(rows)))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    shape.table.cell(r, c).text = str(cell)
                    for p in shape.table.cell(r, c).text_frame.paragraphs:
                        for run in p.runs:
                            run.font.size = Pt(14)
        elif sl.get("group"):
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = sl["title"]
            grp = slide.shapes.add_group_shape()
            n = len(sl["group"])
            for i, label in enumerate(sl["group"]):
                box = grp.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(0.4 + i * (9.2 / n)), Inches(2.5),
                                           Inches(9.2 / n - 0.2), Inches(1.6))
                box.text_frame.text = label
                box.text_frame.word_wrap = True
                for p in box.text_frame.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(14)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[1])
            slide.shapes.title.text = sl["title"]
            tf = slide.placeholders[1].text_frame
            for i, b in enumerate(sl["bullets"]):
                p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
                p.text = b
                p.font.size = Pt(20)
        if sl.get("notes"):
            slide.notes_slide.notes_text_frame.text = sl["notes"]
    prs.save(str(out))
    normalize_zip(out)


def doc_key_sentence(doc: dict) -> str:
    if doc["kind"] == "pptx":
        return doc["key_sentence"] if doc.get("key_sentence") else doc["slides"][0]["bullets"][0]
    if doc.get("key_sentence"):
        return doc["key_sentence"]
    for s in doc["sections"]:
        try:
            return key_sentence(s["body"])
        except ValueError:
            continue
    raise ValueError(doc["path"])


# --------------------------------------------------------------------------- site assembly

def file_for(path: str) -> str:
    """URL path -> relative file path."""
    p = path.lstrip("/")
    if p == "" or p.endswith("/"):
        p += "index.html"
    return p


def build_site(site_id: str, manifest: list[dict], furniture: dict[str, list[str]]) -> int:
    data = yaml.safe_load((CONTENT / f"{site_id}.yaml").read_text(encoding="utf-8"))
    site = data["site"]
    site["id"] = site_id
    tpl = TEMPLATES[site_id]
    out_root = SITES / site_id
    if out_root.exists():
        shutil.rmtree(out_root)
    out_root.mkdir(parents=True)
    meta: dict[str, Any] = {"lastmod": {}, "content_type": {}}
    sitemap: list[tuple[str, str]] = []
    hubp = site["hub_prefix"]
    start_crumb = ("Start", "/")

    articles = data.get("articles", [])
    documents = data.get("documents", [])
    for a in articles + documents:
        a["published"] = as_date(a.get("published"))
        a["updated"] = as_date(a.get("updated"))

    def title_of(path: str) -> str:
        for x in articles + documents:
            if x["path"] == path:
                return x["title"]
        raise KeyError(path)

    def emit(page: dict, entry: dict, in_sitemap: bool = True) -> None:
        page.setdefault("share", True)
        page.setdefault("feedback", False)
        html_text = tpl(site, page)
        rel = file_for(page["path"])
        dest = out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if page.get("encoding") == "cp1252":
            dest.write_bytes(html_text.encode("cp1252"))
            meta["content_type"][rel] = "text/html"
        else:
            dest.write_text(html_text, encoding="utf-8")
        lm = (page.get("updated") or page.get("published"))
        lm_s = lm.isoformat() if lm else DEFAULT_LASTMOD
        meta["lastmod"][rel] = lm_s
        if in_sitemap:
            sitemap.append((page["path"], lm_s))
        manifest.append({"site": site_id, "path": page["path"], "title": page["title"], **entry})

    # ---- articles
    feedback_every = site.get("feedback_every", 2)
    for i, a in enumerate(articles):
        related = []
        for r in a.get("related", []):
            if isinstance(r, dict):
                related.append((r["label"], r["href"]))
            else:
                related.append((title_of(r.split("#")[0].split("?")[0]), r))
        section = a.get("section")
        crumbs = [start_crumb]
        if section:
            crumbs.append((section[0], section[1]))
        elif a.get("news"):
            crumbs.append(("Nyheter", "/nyheter/"))
        else:
            first = a["delomraden"][0]
            crumbs.append((DELOMRADEN[first], f"{hubp}/{first}/"))
        crumbs.append((a["title"], None))
        page = {
            "path": a["path"], "title": a["title"], "h1": a["title"], "crumbs": crumbs,
            "ingress": a.get("description"), "description": a.get("description"),
            "content": body_html(a["body"]), "published": a["published"], "updated": a["updated"],
            "related": related, "feedback": a.get("feedback", i % feedback_every == 0),
            "share": a.get("share", True), "noindex": a.get("noindex", False),
            "canonical": a.get("canonical"), "encoding": a.get("encoding"),
            "charset": a.get("encoding") != "cp1252",
        }
        indexable = not a.get("noindex") and not a.get("canonical")
        entry = {
            "kind": a.get("kind", "article"),
            "delomraden": a["delomraden"], "doc_type": a.get("doc_type", "webbsida"),
            "malgrupp": a.get("malgrupp", []),
            "published": a["published"].isoformat() if a["published"] else None,
            "updated": a["updated"].isoformat() if a["updated"] else None,
            "key_sentence": key_sentence(a["body"]), "indexable": indexable,
        }
        if a.get("noindex"):
            entry["kind"] = "noindex"
        if a.get("canonical"):
            entry["kind"] = "canonical-duplicate"
            entry["canonical"] = a["canonical"]
        if a.get("encoding"):
            entry["kind"] = "windows-1252"
            entry["encoding"] = "windows-1252"
        emit(page, entry, in_sitemap=indexable)

    # ---- documents
    for d in documents:
        rel = file_for(d["path"])
        dest = out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {
            "kind": "document", "format": d["kind"],
            "delomraden": d["delomraden"], "doc_type": d["doc_type"], "malgrupp": d.get("malgrupp", []),
            "published": d["published"].isoformat(), "updated": None,
            "key_sentence": doc_key_sentence(d), "indexable": True,
        }
        if d["kind"] == "pdf":
            hy, split = build_pdf(d, site, dest)
            entry["running_header"] = latin1(d["header"])
            entry["running_footer"] = latin1(d.get("footer", f"{site['name']} | {d['title']}"))
            entry["hyphenated_words"] = hy
            entry["line_split_phrases"] = ["hälso- och sjukvård" for x in split if x == "hälso-"]
        elif d["kind"] == "docx":
            build_docx(d, site, dest)
        else:
            build_pptx(d, site, dest)
        meta["lastmod"][rel] = d["published"].isoformat()
        sitemap.append((d["path"], d["published"].isoformat()))
        manifest.append({"site": site_id, "path": d["path"], "title": d["title"], **entry})

    listed = [a for a in articles if not a.get("noindex") and not a.get("canonical") and not a.get("unlisted")]

    def card(a: dict, query: str = "") -> str:
        date = f' <span class="date">{sv_date(a["published"])}</span>' if a.get("published") else ""
        desc = f"<p>{esc(a['description'])}</p>" if a.get("description") else ""
        return f'<li><a href="{esc(a["path"] + query)}">{esc(a["title"])}</a>{date}{desc}</li>'

    hub_entry = {"kind": "hub", "doc_type": "lista", "malgrupp": [], "published": None, "updated": None,
                 "key_sentence": None, "indexable": False}

    # ---- sub-area hubs
    for slug, label in DELOMRADEN.items():
        items = [a for a in listed + documents if slug in a["delomraden"]]
        lis = "\n".join(card(a) for a in items)
        extlinks = "\n".join(f'<li><a href="{esc(x["href"])}">{esc(x["label"])}</a></li>'
                             for x in site.get("hub_links", {}).get(slug, []))
        content = f"<p>{esc(HUB_INTROS[slug])}</p>\n"
        content += f'<ul class="list">\n{lis}\n</ul>' if lis else "<p>Vi har ännu inget eget material inom området.</p>"
        if extlinks:
            content += f"\n<h2>Mer från andra aktörer</h2>\n<ul>\n{extlinks}\n</ul>"
        page = {"path": f"{hubp}/{slug}/", "title": label, "h1": label,
                "crumbs": [start_crumb, (label, None)], "content": content,
                "description": HUB_INTROS[slug], "share": False}
        emit(page, {**hub_entry, "delomraden": [slug]})

    # ---- news listing (tracking params on links)
    news = sorted([a for a in listed if a.get("news")], key=lambda a: a["published"], reverse=True)
    lis = "\n".join(card(a, "?utm_source=nyhetsbrev&utm_medium=epost") for a in news)
    page = {"path": "/nyheter/", "title": "Nyheter", "h1": "Nyheter", "crumbs": [start_crumb, ("Nyheter", None)],
            "content": f"<p>Senaste nytt från {esc(site['name'])}.</p>\n<ul class=\"news\">\n{lis}\n</ul>", "share": False}
    emit(page, {**hub_entry, "kind": "listing", "delomraden": []})

    # ---- publications listing
    pubs = [a for a in listed if a.get("doc_type") not in ("webbsida", "nyhet")] + documents
    pubs.sort(key=lambda a: a["published"], reverse=True)
    lis = []
    for a in pubs:
        fmt = f" ({a['kind'].upper()})" if a in documents else ""
        lis.append(f'<li><a href="{esc(a["path"])}">{esc(a["title"])}{fmt}</a> <span class="type">{esc(a["doc_type"])}</span></li>')
    ext = "\n".join(f'<li><a href="{esc(x["href"])}">{esc(x["label"])}</a></li>' for x in site.get("publication_links", []))
    content = "<p>Handböcker, vägledningar, rapporter och annat material.</p>\n<ul class=\"publications\">\n" + "\n".join(lis) + "\n</ul>"
    if ext:
        content += f"\n<h2>Publikationer från andra aktörer</h2>\n<ul>\n{ext}\n</ul>"
    page = {"path": "/publikationer/", "title": "Publikationer", "h1": "Publikationer",
            "crumbs": [start_crumb, ("Publikationer", None)], "content": content, "share": False}
    emit(page, {**hub_entry, "kind": "listing", "delomraden": []})

    # ---- section index pages (e.g. kommunen /omsorg-och-stod/)
    for sec in site.get("sections", []):
        items = [a for a in listed if a.get("section") and a["section"][1] == sec["path"]]
        lis = "\n".join(card(a) for a in items)
        page = {"path": sec["path"], "title": sec["title"], "h1": sec["title"],
                "crumbs": [start_crumb, (sec["title"], None)],
                "content": f"<p>{esc(sec['intro'])}</p>\n<ul>\n{lis}\n</ul>", "share": False}
        emit(page, {**hub_entry, "kind": "listing", "delomraden": []})

    # ---- start page
    latest = "\n".join(card(a, "#main" if site_id == "kunskapscentrum" else "") for a in news[:4])
    hubs = "\n".join(f'<li><a href="{h}">{esc(l)}</a></li>' for l, h in nav_items(site))
    puffs = "\n".join(f'<li><a href="{esc(x["href"])}">{esc(x["label"])}</a></li>' for x in site.get("start_links", []))
    content = (f"<p>{esc(site['start_intro'])}</p>\n<h2>Aktuellt</h2>\n<ul>\n{latest}\n</ul>\n"
               f"<h2>Ämnesområden</h2>\n<ul>\n{hubs}\n</ul>\n<h2>Tips</h2>\n<ul>\n{puffs}\n</ul>")
    page = {"path": "/", "title": "Startsida", "h1": site["name"], "crumbs": [("Start", None)],
            "content": content, "share": False, "description": site["start_intro"]}
    emit(page, {**hub_entry, "kind": "start", "delomraden": []})

    # ---- about the site (accessibility + cookies, fragments)
    content = (f'<h2 id="tillganglighet">Tillgänglighet</h2><p>{esc(site["name"])} vill att så många som möjligt '
               "ska kunna använda webbplatsen. Webbplatsen är delvis förenlig med lagen om tillgänglighet till digital "
               "offentlig service. Kontakta oss om du upplever problem.</p>"
               '<h2 id="kakor">Kakor</h2><p>Webbplatsen använder nödvändiga kakor för att komma ihåg dina val och '
               "analyskakor om du samtycker till det.</p>")
    page = {"path": "/om-webbplatsen/", "title": "Om webbplatsen", "h1": "Om webbplatsen",
            "crumbs": [start_crumb, ("Om webbplatsen", None)], "content": content, "share": False}
    emit(page, {**hub_entry, "kind": "info", "delomraden": []})

    # ---- internal pages (disallowed in robots.txt, but linked from every footer)
    content = ('<p>Här finns interna rutiner för medarbetare. Sidorna ska inte indexeras av sökmotorer.</p>'
               '<ul><li><a href="/intern/rutin-hot-och-vald.html">Rutin vid hot och våld mot medarbetare</a></li></ul>')
    page = {"path": "/intern/", "title": "Medarbetarsidor", "h1": "Medarbetarsidor",
            "crumbs": [start_crumb, ("Medarbetarsidor", None)], "content": content, "share": False}
    emit(page, {**hub_entry, "kind": "robots-disallowed", "delomraden": []}, in_sitemap=False)
    body = ("Den interna rutinen beskriver hur medarbetare agerar när en besökare uppträder hotfullt i receptionen.\n\n"
            "Larma via det interna larmsystemet och kontakta närmaste chef. Dokumentera händelsen i "
            "incidentrapporteringssystemet samma dag.")
    page = {"path": "/intern/rutin-hot-och-vald.html", "title": "Rutin vid hot och våld mot medarbetare",
            "h1": "Rutin vid hot och våld mot medarbetare",
            "crumbs": [start_crumb, ("Medarbetarsidor", "/intern/"), ("Rutin vid hot och våld", None)],
            "content": body_html(body), "share": False, "published": dt.date(2023, 2, 1)}
    emit(page, {**hub_entry, "kind": "robots-disallowed", "delomraden": [], "published": "2023-02-01",
                "key_sentence": key_sentence(body)}, in_sitemap=False)

    # ---- robots.txt and sitemap.xml
    robots = ["User-agent: *", "Disallow: /intern/", "Disallow: /sok"]
    robots += site.get("robots_extra", [])
    robots += ["", f"Sitemap: {{{{site:{site_id}}}}}/sitemap.xml", ""]
    (out_root / "robots.txt").write_text("\n".join(robots), encoding="utf-8")
    sm = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path, lm in sitemap:
        sm.append(f"  <url><loc>{esc(site_url(site, path))}</loc><lastmod>{lm}</lastmod></url>")
    sm.append("</urlset>\n")
    (out_root / "sitemap.xml").write_text("\n".join(sm), encoding="utf-8")
    (out_root / "_meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")

    furniture[site_id] = [
        COOKIE_TEXT,
        " ".join(DELOMRADEN.values()),
        site["address"],
        f"© 2025 {site['name']}",
        "Dela sidan",
        "Du är här",
        "Var sidan till hjälp?",
        "Tillgänglighetsredogörelse",
        "Medarbetarsidor (intern)",
        *site.get("furniture_extra", []),
    ]
    return len(articles) + len(documents)


def main() -> None:
    manifest: list[dict] = []
    furniture: dict[str, list[str]] = {}
    SITES.mkdir(exist_ok=True)
    for sid in SITE_ORDER:
        build_site(sid, manifest, furniture)
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (HERE / "furniture.json").write_text(json.dumps(furniture, ensure_ascii=False, indent=1), encoding="utf-8")
    n_html = sum(1 for m in manifest if m["kind"] != "document")
    n_doc = len(manifest) - n_html
    n_idx = sum(1 for m in manifest if m["indexable"])
    print(f"built {len(SITE_ORDER)} sites: {n_html} HTML pages, {n_doc} documents, {n_idx} indexable")
    for m in manifest:
        if m.get("format") == "pdf":
            print(f"  {m['site']}{m['path']}: hyphenated {m['hyphenated_words']}")


if __name__ == "__main__":
    main()
