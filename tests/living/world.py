"""The truth of the living sites: which URLs are live, the marker word each page says now, and how the sites serve it."""

from __future__ import annotations

import hashlib
import html
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime

from .sites import LivingSite, Response

# Night n runs at 02:15 + (n - 1) minutes UTC on START + (n - 1) days (a timer's randomized delay: no two runs are
# exactly whole days apart, so a "7 days since the last fetch" rule never lands on a seconds-wide boundary); the
# edits for night n are made at 14:00 UTC the day before.
START = date(2026, 12, 7)
RUN_AT = time(2, 15)
EDIT_AT = time(14, 0)

_TEXTS = (
    "Våld i nära relationer är ett allvarligt samhällsproblem och socialtjänsten har ett särskilt ansvar för att "
    "ge stöd och skydd till våldsutsatta kvinnor och deras barn.",
    "Kvinnofrid handlar om rätten att leva ett liv fritt från våld, hot och förtryck, i hemmet och i det offentliga rummet.",
    "Hedersrelaterat våld och förtryck drabbar både flickor och pojkar, och skolan är ofta den första som ser tecknen.",
    "Kommunens kvinnojour erbjuder samtal, skyddat boende och hjälp att ta kontakt med polis och rättsväsende.",
    "Barn som upplever våld i hemmet är brottsoffer och har rätt till stöd, även när de inte själva blivit slagna.",
    "Länsstyrelsen samordnar det regionala arbetet mot mäns våld mot kvinnor och följer upp kommunernas insatser.",
    "Sexuellt våld omfattar alla sexuella handlingar utan samtycke, också inom en parrelation eller ett äktenskap.",
    "Digitalt våld kan vara hot, kontroll och kränkningar via mobil och sociala medier, och lämnar ofta spår som kan dokumenteras.",
    "Våldsförebyggande arbete börjar tidigt, med normer om maskulinitet, jämställdhet och respekt i förskola och skola.",
    "Prostitution och människohandel för sexuella ändamål är en del av mäns våld mot kvinnor enligt den nationella strategin.",
    "Yrkesverksamma inom hälso- och sjukvården bör fråga rutinmässigt om våld, eftersom många aldrig själva berättar.",
    "Den som utövar våld kan få behandling och stöd att sluta, vilket också är ett sätt att skydda den som utsätts.",
)
_CONSONANTS = "bdfgklmnprstv"
_VOWELS = "aeiouy"


def day_of(night: int) -> date:
    return START + timedelta(days=night - 1)


def run_time(night: int) -> datetime:
    """When night ``night``'s `kb -q update` runs (the fake clock of that run)."""
    return datetime.combine(day_of(night), RUN_AT, tzinfo=UTC) + timedelta(minutes=night - 1)


def edit_time(night: int) -> datetime:
    """When an edit that night ``night`` should see was made: the afternoon before."""
    return datetime.combine(day_of(night) - timedelta(days=1), EDIT_AT, tzinfo=UTC)


@dataclass
class Page:
    """One URL of a living site as the truth knows it."""

    site: str
    path: str
    title: str
    marker: str
    lastmod: datetime
    sitemap: str | None = None  # the sitemap path that lists it; None: reachable by links only
    lastmod_style: str = "date"  # "date" (2026-12-06), "full" (…T14:00:00+00:00), "zulu" (…Z), "offset" (+01:00)
    links: list[str] = field(default_factory=list)
    status: int = 200  # 200 live; 404/410 removed; 301 moved; 302 redirected for now; 500/503 down
    moved_to: str | None = None
    markers: list[str] = field(default_factory=list)  # every marker the page ever said
    due: int = 1  # the night after which its current marker must be searchable
    why: str = "first crawl"  # what the current state is, for failure messages
    gone_since: int | None = None  # night since which the URL is not live for good (404/410/301)
    left_in_sitemap: bool = False  # removed, but its sitemap entry (and old lastmod) stays
    stored: bool = False  # has it ever been live (so a search may know it)?
    seed: str = ""  # what its shared paragraphs are picked by (the path unless set; a move keeps it)
    short: bool = False  # a real page of a few words (a contact note): may be stored or skipped, never a failure
    error_page: bool = False  # answers 200 with a "page not found" text (a soft 404): removed like a 404

    def __post_init__(self) -> None:
        self.markers.append(self.marker)

    @property
    def live(self) -> bool:
        return self.status == 200 and not self.error_page

    def body(self) -> bytes:
        if self.error_page:
            return ('<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>Sidan kunde inte hittas</title></head>'
                    "<body><main><h1>Sidan kunde inte hittas</h1><p>Sidan du söker finns inte. Gå till startsidan.</p>"
                    "</main></body></html>").encode()
        if self.short:
            return (f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title></head>'
                    f"<body><main><h1>{html.escape(self.title)}</h1><p>Ring 0123-45 67 89. Kodord {self.marker}.</p></main></body></html>").encode()
        # Three of the shared paragraphs, picked by the page's content seed, and one of its own: no two pages are
        # near-duplicates (which the crawler would rightly group), and a page moved with the same body keeps it.
        pick = random.Random(self.seed or self.path).sample(range(len(_TEXTS)), 3)
        own = (f"Om {self.title.lower()}: här samlar vi stöd, kontaktvägar och kunskap för {self.title.lower()} "
               f"inom arbetet mot våld, med material som uppdateras löpande.")
        texts = [_TEXTS[i] for i in pick] + [own]
        anchors = "".join(f'<li><a href="{html.escape(h)}">{html.escape(h.strip("/") or "start")}</a></li>' for h in self.links)
        paragraphs = "".join(f"<p>{html.escape(t)}</p>" for t in texts)
        return (
            f'<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title></head>'
            f"<body><main><h1>{html.escape(self.title)}</h1>{paragraphs}"
            f"<p>Sidans kodord är {self.marker}. Kvinnofrid och arbetet mot våld beskrivs här för yrkesverksamma och allmänhet.</p>"
            f"<ul>{anchors}</ul></main></body></html>"
        ).encode()

    def lastmod_text(self) -> str:
        when = self.lastmod
        if self.lastmod_style == "date":
            return when.date().isoformat()
        if self.lastmod_style == "zulu":
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.lastmod_style == "offset":
            return when.astimezone(timezone(timedelta(hours=1))).isoformat(timespec="seconds")
        return when.isoformat(timespec="seconds")


@dataclass
class World:
    """The sites, their pages and sitemaps; ``publish`` turns the truth into the servers' route tables."""

    sites: dict[str, LivingSite]
    pages: dict[tuple[str, str], Page] = field(default_factory=dict)
    sitemap_index: dict[str, list[str]] = field(default_factory=dict)  # site -> child sitemap paths under /sitemap.xml
    sitemap_sites: set[str] = field(default_factory=set)  # sites with a /sitemap.xml (index or urlset)
    down: dict[str, int] = field(default_factory=dict)  # site -> status of a whole-site outage tonight
    no_etag: set[str] = field(default_factory=set)  # sites that send Last-Modified only (If-Modified-Since → 304)
    trusted: set[str] = field(default_factory=set)  # sites of a large source: the crawler may trust their sitemap lastmods
    broken_sitemaps: dict[tuple[str, str], int] = field(default_factory=dict)  # (site, sitemap path) -> status tonight
    _counter: int = 0

    def new_marker(self) -> str:
        self._counter += 1
        n, letters = self._counter * 7919 + 104729, []
        for _ in range(4):
            n, c = divmod(n, len(_CONSONANTS))
            n, v = divmod(n, len(_VOWELS))
            letters.append(_CONSONANTS[c] + _VOWELS[v])
        return "".join(letters) + "q"

    def url(self, page: Page) -> str:
        return self.sites[page.site].url(page.path)

    def add(self, site: str, path: str, title: str, when: datetime, *, night: int, sitemap: str | None = None,
            style: str = "date", links: list[str] | None = None, why: str = "new page") -> Page:
        page = Page(site, path, title, self.new_marker(), when, sitemap, style, list(links or []), due=night, why=why)
        self.pages[(site, path)] = page
        return page

    def page(self, site: str, path: str) -> Page:
        return self.pages[(site, path)]

    def edit(self, site: str, path: str, night: int, *, why: str, lag: int = 1, when: datetime | None = None,
             links: list[str] | None = None) -> Page:
        """A new marker (and so a new body and ETag); searchable after night ``night + lag - 1``."""
        page = self.page(site, path)
        page.marker = self.new_marker()
        page.markers.append(page.marker)
        page.lastmod = when or edit_time(night)
        if links is not None:
            page.links = links
        page.due, page.why = night + lag - 1, why
        return page

    def remove(self, site: str, path: str, night: int, status: int, *, keep_in_sitemap: bool = False) -> Page:
        page = self.page(site, path)
        page.status, page.gone_since, page.why = status, night, f"removed ({status})"
        if keep_in_sitemap:
            page.left_in_sitemap = True
        else:
            page.sitemap = None
        return page

    def soft_remove(self, site: str, path: str, night: int) -> Page:
        """The page now answers 200 with a "not found" text; its links and sitemap entry go."""
        page = self.page(site, path)
        page.error_page, page.gone_since, page.sitemap, page.why = True, night, None, "turned into a 200 'page not found' (soft 404)"
        return page

    def move(self, site: str, old: str, new: str, night: int, *, new_etag: bool) -> Page:
        """A 301 from ``old`` to ``new``; with ``new_etag`` the text changes too, else the body (and ETag) stay the same."""
        page = self.page(site, old)
        moved = Page(site, new, page.title, page.marker, page.lastmod if not new_etag else edit_time(night), page.sitemap,
                     page.lastmod_style, list(page.links), due=night, seed=page.seed or page.path,
                     why="moved here by a 301 with the " + ("same ETag" if not new_etag else "new ETag"))
        moved.markers = list(page.markers)
        if new_etag:
            moved.marker = self.new_marker()
            moved.markers.append(moved.marker)
        self.pages[(site, new)] = moved
        page.status, page.moved_to, page.gone_since, page.sitemap = 301, new, night, None
        page.why = f"moved by a 301 to {new}"
        return moved

    def publish(self, night: int) -> None:
        """Route tables for tonight's run; remembers which pages have been live."""
        for name, site in self.sites.items():
            routes: dict[str, Response] = {}
            for page in (p for p in self.pages.values() if p.site == name):
                if page.status == 200:
                    page.stored = page.stored or page.live
                    body = page.body()
                    etag = None if name in self.no_etag else '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                    routes[page.path] = Response(200, body, etag=etag, last_modified=format_datetime(page.lastmod, usegmt=True))
                elif page.status in (301, 302):
                    routes[page.path] = Response(page.status, b"", location=site.url(page.moved_to or "/"))
                else:
                    routes[page.path] = Response(page.status, f"<html><body><h1>Fel {page.status}</h1></body></html>".encode())
            routes["/robots.txt"] = Response(200, self._robots(name).encode(), "text/plain; charset=utf-8")
            routes.update(self._sitemaps(name))
            for (where, path), status in self.broken_sitemaps.items():
                if where == name:
                    routes[path] = Response(status, b"<html><body><h1>Internal Server Error</h1></body></html>")
            outage = self.down.get(name)
            with site.lock:
                site.routes = routes
                site.outage = Response(outage, "<html><body><h1>Tillfälligt ur drift</h1></body></html>".encode()) if outage else None
                site.night = night

    def _robots(self, name: str) -> str:
        lines = ["User-agent: *", "Disallow: /intern/"]
        if name in self.sitemap_sites:
            lines.append(f"Sitemap: {self.sites[name].url('/sitemap.xml')}")
        return "\n".join(lines) + "\n"

    def _urlset(self, name: str, sitemap: str) -> bytes:
        entries = "".join(
            f"<url><loc>{html.escape(self.url(p))}</loc><lastmod>{p.lastmod_text()}</lastmod></url>"
            for p in sorted(self.pages.values(), key=lambda p: p.path)
            if p.site == name and p.sitemap == sitemap
        )
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'.encode()

    def _sitemaps(self, name: str) -> dict[str, Response]:
        if name not in self.sitemap_sites:
            return {}
        xml = "application/xml"
        children = self.sitemap_index.get(name)
        if not children:
            return {"/sitemap.xml": Response(200, self._urlset(name, "/sitemap.xml"), xml)}
        site = self.sites[name]
        index = "".join(f"<sitemap><loc>{site.url(c)}</loc></sitemap>" for c in children)
        out = {"/sitemap.xml": Response(200, (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>').encode(), xml)}
        out.update({c: Response(200, self._urlset(name, c), xml) for c in children})
        return out

    def is_sitemap(self, path: str) -> bool:
        return path == "/robots.txt" or path.startswith("/sitemap")
