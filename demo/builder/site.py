"""Assemble the demo sites from demo/content/<site>.yaml: HTML pages, documents, robots.txt, sitemap, manifest entries."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from demo.builder.markup import as_date, body_html, esc, key_sentence, latin1, sv_date
from demo.builder.office import build_docx, build_pptx
from demo.builder.pdf import build_pdf, running_footer

DEMO = Path(__file__).resolve().parent.parent
CONTENT = DEMO / "content"
SITES = DEMO / "sites"
TEMPLATES = Path(__file__).resolve().parent / "templates"

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
    "hedersrelaterat-vald": "Här samlar vi material om hedersrelaterat våld och förtryck, barnäktenskap, tvångsäktenskap "
                            "och könsstympning.",
    "prostitution-manniskohandel": "Här finns material om prostitution, sexköp och människohandel för sexuella ändamål.",
    "barn-som-upplever-vald": "Här finns material om barn som upplever våld och om barnfridsbrottet.",
    "valdsutovare": "Här samlar vi material om arbete med personer som utövar våld.",
    "skyddat-boende": "Här finns information om skyddat boende, kvinnojourer och placeringar.",
    "forebyggande": "Här samlar vi material om våldsförebyggande arbete.",
    "digitalt-vald": "Här finns material om digitalt våld, näthat och kontroll via nätet.",
}

DEFAULT_LASTMOD = "2025-01-15"  # what the demo server sends for files without a date
COOKIE_TEXT = "Vi använder kakor (cookies) för att webbplatsen ska fungera och för att förbättra din upplevelse."
NEWS_TRACKING = "?utm_source=nyhetsbrev&utm_medium=epost"
INTERN_BODY = ("Den interna rutinen beskriver hur medarbetare agerar när en besökare uppträder hotfullt i receptionen.\n\n"
               "Larma via det interna larmsystemet och kontakta närmaste chef. Dokumentera händelsen i "
               "incidentrapporteringssystemet samma dag.")
HUB_ENTRY: dict[str, Any] = {"kind": "hub", "doc_type": "lista", "malgrupp": [], "published": None, "updated": None,
                             "key_sentence": None, "indexable": False}

Crumbs = list[tuple[str, str | None]]


@dataclass
class Page:
    """What a site template renders."""

    path: str
    title: str
    h1: str
    crumbs: Crumbs
    content: Markup
    description: str | None = None
    ingress: str | None = None
    published: dt.date | None = None
    updated: dt.date | None = None
    related: list[tuple[str, str]] = field(default_factory=list)
    share: bool = True
    feedback: bool = False
    noindex: bool = False
    canonical: str | None = None
    encoding: str | None = None

    @property
    def charset(self) -> bool:
        """Whether the page declares its charset (the windows-1252 page does not)."""
        return self.encoding != "cp1252"


def site_url(site: dict[str, Any], path: str) -> str:
    """An absolute URL with the placeholder the demo server replaces with the site's base URL."""
    return "{{site:" + str(site["id"]) + "}}" + path


def file_for(path: str) -> str:
    """URL path -> relative file path."""
    p = path.lstrip("/")
    if p == "" or p.endswith("/"):
        p += "index.html"
    return p


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["sv_date"] = sv_date
    env.globals.update(site_url=site_url, cookie_text=COOKIE_TEXT)
    return env


def doc_key_sentence(doc: dict[str, Any]) -> str:
    if doc["kind"] == "pptx":
        return str(doc["key_sentence"] if doc.get("key_sentence") else doc["slides"][0]["bullets"][0])
    if doc.get("key_sentence"):
        return str(doc["key_sentence"])
    for s in doc["sections"]:
        try:
            return key_sentence(s["body"])
        except ValueError:
            continue
    raise ValueError(doc["path"])


AUTHOR_LABELS = ("lan", "malsattningar", "superseded_by")  # county, strategy goals, newer version: what kb should find


def author_labels(item: dict[str, Any], site: dict[str, Any]) -> dict[str, Any]:
    """The author's county, goal and version labels of a page or document; the county defaults to the site's."""
    out = {key: item[key] for key in AUTHOR_LABELS if key in item}
    if "lan" not in out and "lan" in site:
        out["lan"] = site["lan"]
    return out


def _article_entry(a: dict[str, Any], site: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry of an article: what the tests and the evaluation expect of it."""
    entry: dict[str, Any] = {
        "kind": a.get("kind", "article"),
        "delomraden": a["delomraden"], "doc_type": a.get("doc_type", "webbsida"),
        "malgrupp": a.get("malgrupp", []),
        "published": a["published"].isoformat() if a["published"] else None,
        "updated": a["updated"].isoformat() if a["updated"] else None,
        "key_sentence": key_sentence(a["body"]), "indexable": not a.get("noindex") and not a.get("canonical"),
        **author_labels(a, site),
    }
    if a.get("noindex"):
        entry["kind"] = "noindex"
    if a.get("canonical"):
        entry["kind"] = "canonical-duplicate"
        entry["canonical"] = a["canonical"]
    if a.get("encoding"):
        entry["kind"] = "windows-1252"
        entry["encoding"] = "windows-1252"
    return entry


class SiteBuilder:
    """Writes one site under demo/sites/<id>/ and appends its pages to the manifest."""

    def __init__(self, env: jinja2.Environment, site_id: str, manifest: list[dict[str, Any]], sites_dir: Path = SITES) -> None:
        data = yaml.safe_load((CONTENT / f"{site_id}.yaml").read_text(encoding="utf-8"))
        self.site: dict[str, Any] = {**data["site"], "id": site_id}
        self.articles: list[dict[str, Any]] = data.get("articles", [])
        self.documents: list[dict[str, Any]] = data.get("documents", [])
        for a in self.articles + self.documents:
            a["published"] = as_date(a.get("published"))
            a["updated"] = as_date(a.get("updated"))
        self.manifest = manifest
        self.template = env.get_template(f"{site_id}.html")
        self.content: Any = env.get_template("content.html").module
        self.out_root = sites_dir / site_id
        self.meta: dict[str, dict[str, str]] = {"lastmod": {}, "content_type": {}}
        self.sitemap: list[tuple[str, str]] = []
        self.nav = [(label, f"{self.site['hub_prefix']}/{slug}/") for slug, label in DELOMRADEN.items()]
        self.listed = [a for a in self.articles if not (a.get("noindex") or a.get("canonical") or a.get("unlisted"))]
        self.news = sorted((a for a in self.listed if a.get("news")), key=lambda a: a["published"], reverse=True)

    @property
    def site_id(self) -> str:
        return str(self.site["id"])

    def build(self) -> int:
        """Write every file of the site; returns the number of articles and documents."""
        if self.out_root.exists():
            shutil.rmtree(self.out_root)
        self.out_root.mkdir(parents=True)
        for i, a in enumerate(self.articles):
            self._article(i, a)
        for d in self.documents:
            self._document(d)
        self._hubs()
        self._listings()
        self._start_and_about()
        self._internal_pages()
        self._robots_and_sitemap()
        return len(self.articles) + len(self.documents)

    def _emit(self, page: Page, entry: dict[str, Any], in_sitemap: bool = True) -> None:
        html_text = self.template.render(site=self.site, page=page, nav=self.nav)
        rel = file_for(page.path)
        dest = self.out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if page.encoding == "cp1252":
            dest.write_bytes(html_text.encode("cp1252"))
            self.meta["content_type"][rel] = "text/html"
        else:
            dest.write_text(html_text, encoding="utf-8")
        lm = page.updated or page.published
        lm_s = lm.isoformat() if lm else DEFAULT_LASTMOD
        self.meta["lastmod"][rel] = lm_s
        if in_sitemap:
            self.sitemap.append((page.path, lm_s))
        self.manifest.append({"site": self.site_id, "path": page.path, "title": page.title, **entry})

    def _title_of(self, path: str) -> str:
        for x in self.articles + self.documents:
            if x["path"] == path:
                return str(x["title"])
        raise KeyError(path)

    def _crumbs_of(self, a: dict[str, Any]) -> Crumbs:
        crumbs: Crumbs = [("Start", "/")]
        if a.get("section"):
            crumbs.append((a["section"][0], a["section"][1]))
        elif a.get("news"):
            crumbs.append(("Nyheter", "/nyheter/"))
        else:
            first = a["delomraden"][0]
            crumbs.append((DELOMRADEN[first], f"{self.site['hub_prefix']}/{first}/"))
        crumbs.append((a["title"], None))
        return crumbs

    def _article(self, i: int, a: dict[str, Any]) -> None:
        related = [(r["label"], r["href"]) if isinstance(r, dict) else (self._title_of(r.split("#")[0].split("?")[0]), r)
                   for r in a.get("related", [])]
        page = Page(a["path"], a["title"], a["title"], self._crumbs_of(a), body_html(a["body"]),
                    description=a.get("description"), ingress=a.get("description"),
                    published=a["published"], updated=a["updated"], related=related,
                    feedback=a.get("feedback", i % self.site.get("feedback_every", 2) == 0),
                    share=a.get("share", True), noindex=a.get("noindex", False),
                    canonical=a.get("canonical"), encoding=a.get("encoding"))
        entry = _article_entry(a, self.site)
        self._emit(page, entry, in_sitemap=entry["indexable"])

    def _document(self, d: dict[str, Any]) -> None:
        rel = file_for(d["path"])
        dest = self.out_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {
            "kind": "document", "format": d["kind"],
            "delomraden": d["delomraden"], "doc_type": d["doc_type"], "malgrupp": d.get("malgrupp", []),
            "published": d["published"].isoformat(), "updated": None,
            "key_sentence": doc_key_sentence(d), "indexable": True,
            **author_labels(d, self.site),
        }
        if d["kind"] == "pdf":
            hyphenated, split = build_pdf(d, self.site, dest)
            entry["running_header"] = latin1(d["header"])
            entry["running_footer"] = latin1(running_footer(d, self.site))
            entry["hyphenated_words"] = hyphenated
            entry["line_split_phrases"] = ["hälso- och sjukvård" for x in split if x == "hälso-"]
        elif d["kind"] == "docx":
            build_docx(d, self.site, dest)
        else:
            build_pptx(d, self.site, dest)
        self.meta["lastmod"][rel] = d["published"].isoformat()
        self.sitemap.append((d["path"], d["published"].isoformat()))
        self.manifest.append({"site": self.site_id, "path": d["path"], "title": d["title"], **entry})

    def _listing(self, path: str, title: str, content: Markup, kind: str) -> None:
        page = Page(path, title, title, [("Start", "/"), (title, None)], content, share=False)
        self._emit(page, {**HUB_ENTRY, "kind": kind, "delomraden": []})

    def _hubs(self) -> None:
        """One page per sub-area listing the site's own material, plus links to other agencies."""
        for slug, label in DELOMRADEN.items():
            items = [a for a in self.listed + self.documents if slug in a["delomraden"]]
            external = self.site.get("hub_links", {}).get(slug, [])
            content = self.content.hub(HUB_INTROS[slug], items, external)
            page = Page(f"{self.site['hub_prefix']}/{slug}/", label, label, [("Start", "/"), (label, None)], content,
                        description=HUB_INTROS[slug], share=False)
            self._emit(page, {**HUB_ENTRY, "delomraden": [slug]})

    def _listings(self) -> None:
        """News (with tracking parameters on the links), publications and the section index pages."""
        self._listing("/nyheter/", "Nyheter", self.content.news(self.site["name"], self.news, NEWS_TRACKING), "listing")
        pubs = [{**a, "format": ""} for a in self.listed if a.get("doc_type") not in ("webbsida", "nyhet")]
        pubs += [{**d, "format": d["kind"]} for d in self.documents]
        pubs.sort(key=lambda a: a["published"], reverse=True)
        content = self.content.publications(pubs, self.site.get("publication_links", []))
        self._listing("/publikationer/", "Publikationer", content, "listing")
        for sec in self.site.get("sections", []):  # e.g. kommunen /omsorg-och-stod/
            items = [a for a in self.listed if a.get("section") and a["section"][1] == sec["path"]]
            self._listing(sec["path"], sec["title"], self.content.section(sec["intro"], items), "listing")

    def _start_and_about(self) -> None:
        latest_query = "#main" if self.site_id == "kunskapscentrum" else ""
        content = self.content.start(self.site["start_intro"], self.news[:4], latest_query, self.nav, self.site.get("start_links", []))
        page = Page("/", "Startsida", self.site["name"], [("Start", None)], content, description=self.site["start_intro"], share=False)
        self._emit(page, {**HUB_ENTRY, "kind": "start", "delomraden": []})
        self._listing("/om-webbplatsen/", "Om webbplatsen", self.content.about(self.site["name"]), "info")

    def _internal_pages(self) -> None:
        """Disallowed in robots.txt, but linked from every footer."""
        entry = {**HUB_ENTRY, "kind": "robots-disallowed", "delomraden": []}
        page = Page("/intern/", "Medarbetarsidor", "Medarbetarsidor", [("Start", "/"), ("Medarbetarsidor", None)],
                    self.content.intern(), share=False)
        self._emit(page, entry, in_sitemap=False)
        title = "Rutin vid hot och våld mot medarbetare"
        page = Page("/intern/rutin-hot-och-vald.html", title, title,
                    [("Start", "/"), ("Medarbetarsidor", "/intern/"), ("Rutin vid hot och våld", None)],
                    body_html(INTERN_BODY), share=False, published=dt.date(2023, 2, 1))
        self._emit(page, {**entry, "published": "2023-02-01", "key_sentence": key_sentence(INTERN_BODY)}, in_sitemap=False)

    def _robots_and_sitemap(self) -> None:
        robots = ["User-agent: *", "Disallow: /intern/", "Disallow: /sok", *self.site.get("robots_extra", []),
                  "", f"Sitemap: {site_url(self.site, '/sitemap.xml')}", ""]
        (self.out_root / "robots.txt").write_text("\n".join(robots), encoding="utf-8")
        sm = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        sm += [f"  <url><loc>{esc(site_url(self.site, path))}</loc><lastmod>{lm}</lastmod></url>" for path, lm in self.sitemap]
        sm.append("</urlset>\n")
        (self.out_root / "sitemap.xml").write_text("\n".join(sm), encoding="utf-8")
        (self.out_root / "_meta.json").write_text(json.dumps(self.meta, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")

    def furniture(self) -> list[str]:
        """Text on every page of the site that is not content (the extraction tests check it is dropped)."""
        return [
            COOKIE_TEXT,
            " ".join(DELOMRADEN.values()),
            self.site["address"],
            f"© 2025 {self.site['name']}",
            "Dela sidan",
            "Du är här",
            "Var sidan till hjälp?",
            "Tillgänglighetsredogörelse",
            "Medarbetarsidor (intern)",
            *self.site.get("furniture_extra", []),
        ]
