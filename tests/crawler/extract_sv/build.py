"""Build the Swedish agency page set (pages/*.html + gold.json) deterministically: `python tests/crawler/extract_sv/build.py`.

Seven template families modelled on Swedish public-sector CMSs (Sitevision div soup, semantic HTML,
listing pages, accordions, tables, EPiServer, Drupal), 35 pages. Each page records its gold body
blocks (a string, or a list of table cells that must all be present) and probe strings for every kind
of furniture on it. Written before the extractor was tuned; do not edit to fit an extractor.
"""

from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topics import TOPICS, Topic  # noqa: E402

HERE = Path(__file__).resolve().parent
SUB_AREAS = ["Våld i nära relationer", "Sexuellt våld", "Hedersrelaterat våld och förtryck", "Prostitution och människohandel",
             "Barn som upplever våld", "Våldsutövare", "Skyddat boende", "Våldsförebyggande arbete", "Digitalt våld"]
OTHER_AREAS = ["Lantbruk och landsbygd", "Miljö och klimat", "Bygga och bo", "Näringsliv och arbete"]
AGENCIES = ["Länsstyrelsen Västerbyn", "Söderby kommun", "Region Norrsjö", "Myndigheten för trygghet", "Österå stad"]
NAMES = [("Karin Lundqvist", "010-224 10 17"), ("Ahmed Haddad", "0123-456 78"), ("Sofia Berglund", "010-225 33 90"),
         ("Erik Nyström", "0771-12 34 56"), ("Lina Holm", "08-123 456 70")]
TEASERS = [
    ("Ny lägesbild om partnervåld i länet", "Rapporten visar att anmälningarna om sexuellt våld ökade med tolv procent under året."),
    ("Utbildningsdag om hedersrelaterat våld", "Välkommen till en dag om hedersrelaterat våld och förtryck för personal i skolan."),
    ("Medel till skyddat boende fördelade", "Sju kommuner får medel för att utveckla skyddat boende för kvinnor med barn."),
    ("Konferens om människohandel", "Anmäl dig till höstens konferens om prostitution och människohandel i norra Sverige."),
]
COMMENTS = [
    "Tack för en bra sammanfattning, vi använder den i vår utbildning om digitalt våld för lärare.",
    "Finns materialet på fler språk? Vi har många nyanlända som behöver informationen om våldsutövare.",
    "Bra initiativ! Saknar dock något om barn som upplever våld i hemmet.",
]


def e(s: str) -> str:
    return escape(s, quote=False)


# ----------------------------------------------------------------------------- furniture


def cookie(i: int) -> tuple[str, list[str]]:
    v = i % 3
    if v == 0:
        return ('<div class="sv-custom-module env-cookie" id="svid12_ck"><div class="cookie-inner"><p><strong>Vi använder kakor'
                '</strong></p><p>Vi använder nödvändiga kakor för att webbplatsen ska fungera och analyskakor för att förbättra den.'
                '</p><button>Godkänn alla</button><button>Endast nödvändiga</button></div></div>',
                ["nödvändiga kakor för att webbplatsen ska fungera"])
    if v == 1:
        return ('<div id="cc-banner" class="cc-window" role="dialog" aria-label="cookieconsent"><span class="cc-message">'
                'Den här webbplatsen använder cookies för att ge dig en bättre upplevelse.</span> <a class="cc-link" '
                'href="/kakor">Läs mer</a><a class="cc-btn">OK</a></div>', ["använder cookies för att ge dig en bättre upplevelse"])
    return ('<section class="notice-bar"><h2>Kakor på webbplatsen</h2><p>Webbplatsen sparar kakor i din webbläsare för att mäta '
            'besök. Läs mer i vår kakpolicy.</p><a href="#" class="btn">Jag förstår</a></section>',
            ["sparar kakor i din webbläsare"])


def breadcrumbs(i: int, title: str) -> tuple[str, list[str]]:
    v = i % 3
    if v == 0:
        return ('<div class="sv-layout lst-path"><span>Du är här:</span> <a href="/">Startsida</a> / <a href="/samhalle">'
                f'Samhällsplanering och jämställdhet</a> / <span>{e(title)}</span></div>', ["Samhällsplanering och jämställdhet"])
    if v == 1:
        return ('<nav aria-label="Brödsmulor"><ol class="breadcrumb"><li><a href="/">Hem</a></li><li><a href="/stod">'
                f'Stöd och omsorg för vuxna</a></li><li aria-current="page">{e(title)}</li></ol></nav>', ["Stöd och omsorg för vuxna"])
    return ('<ol class="path-list"><li><a href="/">Startsida</a></li><li><a href="/om-oss">Om oss och vårt uppdrag</a></li>'
            f'<li>{e(title)}</li></ol>', ["Om oss och vårt uppdrag"])


def menu_items(prefix: str = "/omraden/") -> str:
    return "".join(f'<li><a href="{prefix}{k}">{e(a)}</a></li>' for k, a in enumerate(SUB_AREAS + OTHER_AREAS))


def share(i: int) -> tuple[str, list[str]]:
    v = i % 3
    if v == 0:
        return ('<div class="sv-layout share-box"><h3>Dela sidan</h3><a href="https://facebook.example/s">Facebook</a> '
                '<a href="https://linkedin.example/s">LinkedIn</a> <a href="mailto:?subject=x">E-post</a></div>', ["Dela sidan", "LinkedIn"])
    if v == 1:
        return ('<div class="social-links"><span>Dela:</span> <a href="#">Facebook</a> <a href="#">X</a> <a href="#">LinkedIn</a>'
                '</div>', ["Dela:", "LinkedIn"])
    return ('<ul class="some"><li><a href="#">Dela på Facebook</a></li><li><a href="#">Dela på LinkedIn</a></li>'
            '<li><a href="#">Skicka som e-post</a></li></ul>', ["Dela på Facebook", "Skicka som e-post"])


def feedback(i: int) -> tuple[str, list[str]]:
    v = i % 3
    if v == 0:
        return ('<div class="sv-custom-module page-feedback"><p>Var sidan till hjälp?</p><button>Ja</button><button>Nej</button>'
                '<div class="thanks" hidden>Tack för ditt svar!</div></div>', ["Var sidan till hjälp?"])
    if v == 1:
        return ('<form class="env-form" action="/feedback" method="post"><fieldset><legend>Hittade du det du sökte?</legend>'
                '<label><input type="radio" name="a">Ja</label><label><input type="radio" name="a">Nej</label>'
                '<label for="fb">Vad kan vi göra bättre?</label><textarea id="fb"></textarea><button>Skicka</button></fieldset></form>',
                ["Hittade du det du sökte?", "Vad kan vi göra bättre?"])
    return ('<section class="rate"><h2>Hjälpte informationen dig?</h2><p>Ditt svar hjälper oss att förbättra webbplatsen.</p>'
            '<a href="?svar=ja" class="knapp">Ja</a> <a href="?svar=nej" class="knapp">Nej</a></section>',
            ["Hjälpte informationen dig?", "Ditt svar hjälper oss att förbättra webbplatsen"])


def contact(i: int) -> tuple[str, list[str]]:
    name, phone = NAMES[i % len(NAMES)]
    mail = name.lower().replace(" ", ".").replace("å", "a").replace("ö", "o")
    v = i % 2
    if v == 0:
        return (f'<div class="sv-portlet contact"><h2>Kontakt</h2><p>{name}<br>Utredare<br>Telefon: {phone}<br><a href="mailto:'
                f'{mail}@example.se">{mail}@example.se</a></p></div>', [name, phone])
    return (f'<div class="box box--grey"><h3>Frågor?</h3><p>Kontakta {name}, samordnare, på {phone} eller via vår '
            f'kundtjänst.</p></div>', [name, phone])


def footer_inner(i: int) -> tuple[str, list[str]]:
    agency = AGENCIES[i % len(AGENCIES)]
    org = f"2021{i:02d}-27{i:02d}"
    return (f'<div class="col"><h2>{agency}</h2><p>Postadress: Box 12{i}, 901 86 Västerby<br>Telefon: 010-225 00 00<br>'
            f'Organisationsnummer {org}</p></div><div class="col"><ul><li><a href="/om">Om webbplatsen</a></li><li><a href="/tg">'
            f'Tillgänglighetsredogörelse</a></li><li><a href="/pu">Behandling av personuppgifter</a></li></ul></div>',
            [f"Organisationsnummer {org}", "Tillgänglighetsredogörelse", "Behandling av personuppgifter"])


def teasers(i: int, heading: str = "Aktuellt") -> tuple[str, list[str]]:
    picked = [TEASERS[(i + k) % len(TEASERS)] for k in range(2)]
    lis = "".join(f'<li><a href="/nyheter/{k}">{e(t)}</a><p>{e(x)}</p><span class="date">2025-11-0{k + 1}</span></li>'
                  for k, (t, x) in enumerate(picked))
    return (f'<div class="sv-portlet news-list"><h2>{heading}</h2><ul>{lis}</ul><a href="/nyheter">Fler nyheter</a></div>',
            [x for _, x in picked])


def comments(i: int) -> tuple[str, list[str]]:
    picked = [COMMENTS[(i + k) % len(COMMENTS)] for k in range(2)]
    v = i % 2
    if v == 0:
        inner = "".join(f'<article class="comment"><p class="comment-author">Användare {k}</p><p>{e(c)}</p></article>'
                        for k, c in enumerate(picked))
        return f'<section class="comments"><h2>Kommentarer (2)</h2>{inner}</section>', picked
    inner = "".join(f'<li class="comment"><div class="comment-body"><cite>Besökare</cite> skrev:<p>{e(c)}</p></div></li>'
                    for c in picked)
    return (f'<div id="comments"><h3>2 svar</h3><ol class="commentlist">{inner}</ol><div id="respond"><h3>Lämna ett svar</h3>'
            '<form><textarea></textarea><button>Publicera</button></form></div></div>', picked)


# ----------------------------------------------------------------------------- body blocks


def body_html(t: Topic, i: int) -> str:
    paras = "".join(f"<p>{e(p)}</p>" for p in t["paras"])
    paras2 = "".join(f"<p>{e(p)}</p>" for p in t["paras2"])
    items = "".join(f"<li>{e(x)}</li>" for x in t["items"])
    return f'{paras}<h2>{e(t["h2"])}</h2>{paras2}<ul>{items}</ul>'


def gold_article(t: Topic) -> list[str | list[str]]:
    return [t["title"], t["lead"], *t["paras"], t["h2"], *t["paras2"], *t["items"]]


def head(t: Topic, agency: str, extra: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>{e(t["title"])} - {agency}</title>'
            f'<meta name="description" content="{escape(t["lead"])}">{extra}</head>')


def probes_for_menu(gold: list[str | list[str]]) -> list[str]:
    text = " ".join(g if isinstance(g, str) else " ".join(g) for g in gold).lower()
    return [a for a in SUB_AREAS + OTHER_AREAS[:1] if a.lower() not in text]


# ----------------------------------------------------------------------------- templates


def sitevision(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[i % len(AGENCIES)]
    ck, ck_p = cookie(i)
    bc, bc_p = breadcrumbs(i, t["title"])
    sh, sh_p = share(i)
    fb, fb_p = feedback(i)
    ct, ct_p = contact(i)
    ft, ft_p = footer_inner(i)
    tz, tz_p = teasers(i)
    content_class = ["pagecontent", "sv-text-portlet-content main-text", "lst-page-content", "mainbody", "content-col"][i % 5]
    html = (head(t, agency) + '<body class="sv-responsive"><div id="svid10_7f2" class="sv-layout">' + ck
            + '<div class="sv-layout top-area" id="svid10_top"><div class="sv-image-portlet"><a href="/"><img src="/logo.svg" '
            f'alt="{agency}"></a></div><div class="sv-layout menu-horizontal"><ul class="sv-menu">{menu_items()}</ul></div></div>'
            f'<div class="sv-layout sv-column-12">{bc}</div><div class="sv-layout sv-row">'
            f'<div class="sv-layout sv-column-3"><ul class="lst-sub-pages">{menu_items("/sub/")}</ul></div>'
            f'<div class="sv-layout sv-column-6 {content_class}" id="svid12_5c3">'
            f'<div class="sv-text-portlet sv-use-margins"><div class="sv-text-portlet-content"><h1 class="heading">{e(t["title"])}'
            f'</h1></div></div><div class="sv-text-portlet"><div class="sv-text-portlet-content"><p class="ingress">{e(t["lead"])}'
            f'</p></div></div><div class="sv-text-portlet"><div class="sv-text-portlet-content">{body_html(t, i)}</div></div>'
            f'<div class="sv-layout"><p class="date-info">Sidan uppdaterades 2025-0{1 + i % 9}-1{i % 10}</p></div>{sh}{fb}</div>'
            f'<div class="sv-layout sv-column-3">{ct}{tz}</div></div>'
            f'<div class="sv-layout footer-area">{ft}</div></div></body></html>')
    gold = gold_article(t)
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "feedback": fb_p,
                        "contact": ct_p, "footer": ft_p, "teasers": tz_p}


def semantic(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[(i + 1) % len(AGENCIES)]
    ck, ck_p = cookie(i + 1)
    bc, bc_p = breadcrumbs(i + 1, t["title"])
    sh, sh_p = share(i + 1)
    fb, fb_p = feedback(i + 1)
    ct, ct_p = contact(i + 1)
    ft, ft_p = footer_inner(i + 1)
    tz, tz_p = teasers(i + 1, "Senaste nytt")
    wrap = i % 2 == 0
    body = (f'<h1>{e(t["title"])}</h1><p class="lead">{e(t["lead"])}</p>{body_html(t, i)}'
            f'<p class="updated">Senast uppdaterad: 2025-10-{10 + i}</p>')
    body = f'<article class="page">{body}</article>' if wrap else f'<div class="text-content">{body}</div>'
    html = (head(t, agency) + f'<body><a class="skip" href="#main">Till huvudinnehåll</a>{ck}<header class="site-header">'
            f'<a href="/" class="logo">{agency}</a><nav aria-label="Huvudmeny"><ul>{menu_items()}</ul></nav></header>'
            f'<main id="main">{bc}{body}{sh}{fb}{ct}{tz}</main><footer class="site-footer">{ft}</footer>'
            '</body></html>')
    gold = gold_article(t)
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "feedback": fb_p,
                        "contact": ct_p, "footer": ft_p, "teasers": tz_p}


LISTINGS = ["Nyheter om mäns våld mot kvinnor", "Publikationer", "Pressmeddelanden", "Kalender", "Aktuellt från regionen"]


def listing(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[(i + 2) % len(AGENCIES)]
    title = LISTINGS[i % len(LISTINGS)]
    intro = f"Här samlar vi {title.lower()} från {agency}. Listan uppdateras varje vecka."
    items = [TOPICS[(i * 3 + k) % len(TOPICS)] for k in range(5)]
    ck, ck_p = cookie(i + 2)
    bc, bc_p = breadcrumbs(i + 2, title)
    ft, ft_p = footer_inner(i + 2)
    ct, ct_p = contact(i + 2)
    lis = "".join(f'<li class="list-item"><h2><a href="/nyheter/{x["slug"]}">{e(x["title"])}</a></h2><span class="meta">'
                  f'2025-0{1 + k}-15</span><p>{e(x["lead"])}</p></li>' for k, x in enumerate(items))
    pager = ('<div class="pagination-wrapper"><a href="?page=1" class="pagination-first">Första</a> <a href="?page=1">1</a> '
             '<a href="?page=2">2</a> <a href="?page=3">3</a> <a href="?page=2" rel="next">Nästa sida</a></div>')
    if i % 2 == 0:
        layout = (f'<header><nav class="menu"><ul>{menu_items()}</ul></nav></header><main>{bc}<h1>{e(title)}</h1>'
                  f'<p class="intro">{e(intro)}</p><ul class="news-listing">{lis}</ul>{pager}</main><aside>{ct}</aside>'
                  f'<footer>{ft}</footer>')
    else:
        layout = (f'<div class="sv-layout top"><ul class="sv-menu">{menu_items()}</ul></div><div class="sv-layout">{bc}</div>'
                  f'<div class="sv-layout sv-row"><div class="sv-layout sv-column-8 listing-page"><h1>{e(title)}</h1>'
                  f'<div class="sv-text-portlet"><p>{e(intro)}</p></div><div class="sv-portlet sv-archive-portlet"><ul>{lis}</ul>'
                  f'</div>{pager}</div><div class="sv-layout sv-column-4">{ct}</div></div><div class="sv-layout bottom">{ft}</div>')
    html = head({**t, "title": title}, agency) + f'<body>{ck}{layout}</body></html>'
    gold: list[str | list[str]] = [title, intro, *[b for x in items for b in (x["title"], x["lead"])]]
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "footer": ft_p, "contact": ct_p,
                        "pagination": ["Nästa sida"]}


def accordion(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[(i + 3) % len(AGENCIES)]
    ck, ck_p = cookie(i)
    bc, bc_p = breadcrumbs(i, t["title"])
    sh, sh_p = share(i + 2)
    fb, fb_p = feedback(i + 2)
    ft, ft_p = footer_inner(i + 3)
    tz, tz_p = teasers(i + 2)
    v = i % 4
    acc = ""
    for k, (q, a) in enumerate(t["faq"]):
        if v == 0:
            acc += (f'<h3 class="accordion-heading"><button class="accordion-trigger" aria-expanded="false" aria-controls="p{k}">'
                    f'{e(q)}</button></h3><div id="p{k}" class="accordion-panel" hidden><p>{e(a)}</p></div>')
        elif v == 1:
            acc += f'<details class="expandable"><summary>{e(q)}</summary><p>{e(a)}</p></details>'
        elif v == 2:
            acc += (f'<div class="env-collapse"><button class="env-button env-collapse-toggle" aria-expanded="false">{e(q)}'
                    f'</button><div class="env-collapse__content" style="display: none"><p>{e(a)}</p></div></div>')
        else:
            acc += (f'<div class="faq-item"><button type="button" class="faq-question js-toggle">{e(q)}</button>'
                    f'<div class="faq-answer collapse"><p>{e(a)}</p></div></div>')
    content = (f'<h1>{e(t["title"])}</h1><p class="preamble">{e(t["lead"])}</p>{body_html(t, i)}<h2>Vanliga frågor</h2>'
               f'<div class="accordion">{acc}</div>')
    if i % 2 == 0:
        layout = (f'<header><ul class="main-menu">{menu_items()}</ul></header>{bc}<main><div class="content">{content}</div>'
                  f'{sh}{fb}</main><aside class="sidebar">{tz}</aside><footer>{ft}</footer>')
    else:
        layout = (f'<div class="sv-layout"><ul class="sv-menu">{menu_items()}</ul></div><div class="sv-layout">{bc}</div>'
                  f'<div class="sv-layout sv-row"><div class="sv-layout sv-column-8 pagecontent">{content}{sh}{fb}</div>'
                  f'<div class="sv-layout sv-column-4">{tz}</div></div><div class="sv-layout">{ft}</div>')
    html = head(t, agency) + f'<body>{ck}{layout}</body></html>'
    gold = [*gold_article(t), *[x for qa in t["faq"] for x in qa]]
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "feedback": fb_p,
                        "footer": ft_p, "teasers": tz_p}


def table(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[(i + 4) % len(AGENCIES)]
    ck, ck_p = cookie(i + 1)
    bc, bc_p = breadcrumbs(i + 2, t["title"])
    sh, sh_p = share(i)
    ct, ct_p = contact(i + 3)
    ft, ft_p = footer_inner(i + 4)
    rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in t["table"])
    tbl = (f'<table class="table"><caption>Översikt: {e(t["title"].lower())}</caption><thead><tr><th>Vad</th><th>Värde</th>'
           f'<th>Kommentar</th></tr></thead><tbody>{rows}</tbody></table>')
    wrapped = f'<div class="{["table-responsive", "sv-table-wrapper", "scroll-x"][i % 3]}">{tbl}</div>'
    content = f'<h1>{e(t["title"])}</h1><p class="ingress">{e(t["lead"])}</p>{body_html(t, i)}{wrapped}'
    if i % 2 == 0:
        layout = (f'<div id="header"><div class="nav-main"><ul>{menu_items()}</ul></div></div><div id="wrapper">{bc}'
                  f'<div id="content" class="main">{content}{sh}</div><div id="right">{ct}</div></div><div id="footer">{ft}</div>')
    else:
        layout = (f'<header><nav><ul>{menu_items()}</ul></nav></header><main>{bc}<article>{content}</article>'
                  f'<aside class="contact-aside">{ct}</aside>{sh}</main><footer>{ft}</footer>')
    html = head(t, agency) + f'<body>{ck}{layout}</body></html>'
    gold: list[str | list[str]] = [*gold_article(t), *[[c for c in r if c] for r in t["table"]]]
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "contact": ct_p,
                        "footer": ft_p}


def episerver(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[i % len(AGENCIES)]
    ck, ck_p = cookie(i + 2)
    bc, bc_p = breadcrumbs(i, t["title"])
    sh, sh_p = share(i + 1)
    fb, fb_p = feedback(i)
    ct, ct_p = contact(i + 1)
    ft, ft_p = footer_inner(i)
    tz, tz_p = teasers(i + 3, "Nyheter")
    login = ('<div class="login-box"><h2>Logga in</h2><label>Användarnamn<input type="text" name="u"></label><label>Lösenord'
             '<input type="password" name="p"></label><input type="submit" value="Logga in"></div>')
    main_attr = ['id="MainContent" class="main-content"', 'class="col-md-8 content-column"', 'class="EPi-page"'][i % 3]
    html = (head(t, agency) + '<body class="startpage"><form method="post" action="./" id="aspnetForm"><div class="aspNetHidden">'
            '<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKLTk2NjE3NjY3N2Rk"></div>' + ck
            + f'<div class="header"><div class="container"><a href="/" class="brand">{agency}</a>{login}<div class="quick">'
            f'<ul class="mainmenu">{menu_items()}</ul></div></div></div><div class="container"><div class="row">{bc}</div>'
            f'<div class="row"><div class="col-md-4 left"><div class="subnav-list"><ul>{menu_items("/s/")}</ul></div></div>'
            f'<div {main_attr}><h1>{e(t["title"])}</h1><div class="introduction"><p>{e(t["lead"])}</p></div>'
            f'<div class="EPi-xhtml">{body_html(t, i)}</div>{sh}{fb}</div><div class="col-md-3 right">{ct}{tz}</div></div></div>'
            f'<div class="footer-wrap">{ft}</div></form></body></html>')
    gold = gold_article(t)
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "feedback": fb_p,
                        "contact": ct_p, "footer": ft_p, "teasers": tz_p, "login": ["Användarnamn"]}


def drupal(t: Topic, i: int) -> tuple[str, list[str | list[str]], dict[str, list[str]]]:
    agency = AGENCIES[(i + 1) % len(AGENCIES)]
    ck, ck_p = cookie(i + 1)
    bc, bc_p = breadcrumbs(i + 1, t["title"])
    sh, sh_p = share(i + 2)
    ct, ct_p = contact(i)
    ft, ft_p = footer_inner(i + 1)
    tz, tz_p = teasers(i + 1, "Relaterade nyheter")
    cm, cm_p = comments(i)
    html = (head(t, agency) + '<body class="path-node page-node-type-article"><div class="dialog-off-canvas-main-canvas">'
            f'<div class="layout-container">{ck}<div class="region region-header"><div id="block-sitebranding" class="block">'
            f'<a href="/">{agency}</a></div></div><div class="region region-primary-menu"><div id="block-mainnavigation" '
            f'class="block block-menu"><ul class="menu menu--main">{menu_items()}</ul></div></div><div class="region '
            f'region-breadcrumb"><div id="block-breadcrumbs" class="block">{bc}</div></div><div class="layout-content">'
            '<div class="region region-content"><div id="block-mainpagecontent" class="block block-system-main-block">'
            f'<article class="node node--type-article node--view-mode-full"><h1 class="page-title"><span>{e(t["title"])}</span></h1>'
            '<div class="node__content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary">'
            f'<p><strong>{e(t["lead"])}</strong></p>{body_html(t, i)}</div>{sh}{cm}</div></article></div></div></div>'
            f'<aside class="layout-sidebar-second"><div class="region region-sidebar-second">{ct}{tz}</div></aside>'
            f'<div class="region region-footer">{ft}</div></div></div></body></html>')
    gold = gold_article(t)
    return html, gold, {"menu": probes_for_menu(gold), "cookie": ck_p, "breadcrumbs": bc_p, "share": sh_p, "contact": ct_p,
                        "footer": ft_p, "teasers": tz_p, "comments": cm_p}


TEMPLATES = {"sitevision": sitevision, "semantic": semantic, "listing": listing, "accordion": accordion, "table": table,
             "episerver": episerver, "drupal": drupal}
PER_TEMPLATE = 5


def build(out: Path = HERE) -> list[dict[str, object]]:
    """Write pages/*.html and gold.json; returns the gold records."""
    pages = out / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, object]] = []
    for ti, (name, fn) in enumerate(TEMPLATES.items()):
        for k in range(PER_TEMPLATE):
            topic = TOPICS[(ti * PER_TEMPLATE + k) % len(TOPICS)]
            html, gold, furniture = fn(topic, k)
            fname = f"{name}-{k + 1}.html"
            (pages / fname).write_text(html, encoding="utf-8")
            records.append({"file": fname, "template": name, "url": f"https://www.myndighet.example.se/{name}/{topic['slug']}",
                            "gold": gold, "furniture": furniture})
    (out / "gold.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return records


if __name__ == "__main__":
    print(f"{len(build())} pages written to {HERE}")  # noqa: T201
