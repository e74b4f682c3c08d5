"""The month of nights: four sources on three local sites and what changes on them before each nightly run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .sites import LivingSite
from .world import World, edit_time

# delta's 8 documents fill more than half of this (a large source), and a night's requests (a sitemap and at most
# its 8 pages) stay within it.
DELTA_MAX_PAGES = 11
INITIAL = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # when the pages first crawled were last edited


@dataclass(frozen=True)
class Rules:
    """The product's documented timing, as the test holds it to (see tests/test_living_site.py)."""

    gone_after_runs: int  # a URL gone on this many runs in a row is removed (the grace)
    off_sitemap_nights: int  # an edit of a page in no sitemap is searchable after this many nights
    retry_nights: int  # a URL that failed (404, 5xx) is fetched again after this many nights
    sitemap_trust_nights: int = 0  # a removed page left in its sitemap (old lastmod) may be noticed this much later


@dataclass(frozen=True)
class Night:
    number: int
    events: tuple[str, ...]
    kinds: frozenset[str]
    apply: Callable[[World, Rules], None]
    quiet: bool = False  # nothing changed since the last run: exit 0 and no article body downloaded
    kill_after: int = 0  # kill -9 the run once the servers have seen this many requests that night
    clean: bool = False  # nothing is wrong on any site: exit 0

    def __post_init__(self) -> None:
        if self.quiet:
            object.__setattr__(self, "clean", True)


def build_world(sites: dict[str, LivingSite]) -> World:
    """alpha: two sources on one host, a sitemap index with date-only lastmods; beta: full timestamps;
    gamma: no sitemap, Last-Modified without ETag, and one short page."""
    w = World(sites)
    w.sitemap_sites = {"alpha", "beta"}
    w.sitemap_index = {"alpha": ["/sitemap-nyheter.xml", "/sitemap-stod.xml"]}
    news, stod = "/sitemap-nyheter.xml", "/sitemap-stod.xml"
    w.add("alpha", "/nyheter/", "Nyheter om kvinnofrid", INITIAL, night=1, sitemap=news, links=["/nyheter/a1", "/nyheter/a2", "/nyheter/a3"])
    for i, title in enumerate(("Ny handbok om skyddat boende", "Regional kartläggning av våld", "Konferens om hedersförtryck"), start=1):
        w.add("alpha", f"/nyheter/a{i}", title, INITIAL, night=1, sitemap=news)
    w.add("alpha", "/stod/", "Stöd till våldsutsatta", INITIAL, night=1, sitemap=stod, links=["/stod/s1", "/stod/s2", "/stod/utanfor"])
    w.add("alpha", "/stod/s1", "Stödlinjer dygnet runt", INITIAL, night=1, sitemap=stod)
    w.add("alpha", "/stod/s2", "Skyddat boende i länet", INITIAL, night=1, sitemap=stod)
    w.add("alpha", "/stod/utanfor", "Kontakt med kvinnojouren", INITIAL, night=1)
    beta_links = ["/b1", "/b2", "/b3", "/b4", "/gammal-samma", "/gammal-ny"]
    w.add("beta", "/", "Kunskapscentrum mot våld", INITIAL, night=1, sitemap="/sitemap.xml", style="full", links=beta_links)
    titles = ("Metodstöd för socialtjänsten", "Barn som upplever våld", "Riskbedömning i praktiken", "Äldre rapport om våld",
              "Vägledning om tvångsäktenskap", "Våldsutövare och behandling")
    styles = ("full", "zulu", "offset", "full", "zulu", "offset")
    for path, title, style in zip(beta_links, titles, styles, strict=True):
        w.add("beta", path, title, INITIAL, night=1, sitemap="/sitemap.xml", style=style)
    w.no_etag = {"gamma"}
    w.add("gamma", "/", "Kommunens arbete mot våld", INITIAL, night=1, links=["/g1", "/g2", "/g3", "/kontakt"])
    for i, title in enumerate(("Kvinnofridssamordnaren", "Våld i nära relationer", "Utbildning för personal"), start=1):
        w.add("gamma", f"/g{i}", title, INITIAL, night=1)
    w.add("gamma", "/kontakt", "Kontakt", INITIAL, night=1).short = True
    # delta: a large source (stored documents fill more than half its max_pages, see sources_yaml), so the crawler
    # may skip a page whose sitemap lastmod is older than its last fetch (crawler/frontier.py trusts_sitemap):
    # there the date-only lastmod rule is what finds an edit.
    w.sitemap_sites.add("delta")
    w.trusted = {"delta"}
    delta_links = [f"/d{i}" for i in range(1, 8)]
    w.add("delta", "/", "Nationellt kunskapsstöd", INITIAL, night=1, sitemap="/sitemap.xml", links=delta_links)
    delta_titles = ("Stöd till barn i skyddat boende", "Våld i samkönade relationer", "Ekonomiskt våld", "Våld mot kvinnor med funktionsnedsättning",
                    "Stalkning och förföljelse", "Våld under graviditet", "Äldre kvinnor och våld")
    for path, title in zip(delta_links, delta_titles, strict=True):
        w.add("delta", path, title, INITIAL, night=1, sitemap="/sitemap.xml", style="zulu" if path == "/d5" else "date")
    for page in w.pages.values():
        page.why = "first crawl"
    return w


def sources_yaml(sites: dict[str, LivingSite], delay: float) -> str:
    a, b, c, d = sites["alpha"].base, sites["beta"].base, sites["gamma"].base, sites["delta"].base
    rows: list[tuple[str, str, str, str, list[str], list[str]]] = [
        ("alpha-nyheter", "Länsstyrelsen nyheter", "Länsstyrelsen", f"{a}/nyheter/", [f"{a}/nyheter/"], [f"{a}/sitemap.xml"]),
        ("alpha-stod", "Länsstyrelsen stöd", "Länsstyrelsen", f"{a}/stod/", [f"{a}/stod/"], [f"{a}/sitemap.xml"]),
        ("beta", "Kunskapscentrum", "Kunskapscentrum", f"{b}/", [f"{b}/"], [f"{b}/sitemap.xml"]),
        ("gamma", "Kommunen", "Kommunen", f"{c}/", [f"{c}/"], []),
        ("delta", "Nationellt kunskapsstöd", "Myndigheten", f"{d}/", [f"{d}/"], [f"{d}/sitemap.xml"]),
    ]
    out = ["sources:"]
    for sid, name, org, start, allow, sitemaps in rows:
        out += [
            f"  - id: {sid}",
            f"    name: {name}",
            f"    organisation: {org}",
            f"    start_urls: [{start}]",
            f"    allow: [{', '.join(allow)}]",
            f"    sitemaps: [{', '.join(sitemaps)}]",
            f"    delay: {delay}",
            "    allow_private_network: true",
            "    delomraden: [vald-i-nara-relationer]",
        ]
        if sid == "delta":
            out.append(f"    max_pages: {DELTA_MAX_PAGES}")
    return "\n".join(out) + "\n"


def _nothing(w: World, r: Rules) -> None:
    pass


def _night2(w: World, r: Rules) -> None:
    w.edit("alpha", "/nyheter/a1", 2, why="edited the day it was fetched, sitemap lastmod date-only")
    w.edit("beta", "/b1", 2, why="edited, sitemap lastmod a full timestamp")
    w.edit("alpha", "/stod/utanfor", 2, why="edited, listed in no sitemap", lag=r.off_sitemap_nights)
    w.add("alpha", "/nyheter/a4", "Nytt stöd till kommunerna", edit_time(2), night=2, sitemap="/sitemap-nyheter.xml", why="new page in the sitemap")
    w.edit("alpha", "/nyheter/", 2, why="listing edited the day it was fetched (new link), date-only lastmod",
           links=["/nyheter/a1", "/nyheter/a2", "/nyheter/a3", "/nyheter/a4"])
    w.edit("delta", "/d1", 2, why="edited the day it was fetched, date-only lastmod (large source: sitemap trusted)")
    coming = w.add("gamma", "/g-kommande", "Ny stödmottagning öppnar", edit_time(2), night=2)
    coming.status, coming.why = 404, "linked before it exists"
    w.edit("gamma", "/g1", 2, why="edited (now links to a page not yet published), in no sitemap", lag=r.off_sitemap_nights,
           links=["/g-kommande"])


def _night3(w: World, r: Rules) -> None:
    coming = w.page("gamma", "/g-kommande")
    coming.status, coming.lastmod = 200, edit_time(3)
    coming.due, coming.why = 3 + r.retry_nights - 1, "published after its link answered 404 the night before"
    w.edit("alpha", "/nyheter/a4", 3, why="edited the day it was first fetched, date-only lastmod")
    for site, path, status in (("beta", "/b3", 500), ("alpha", "/stod/s2", 503)):
        page = w.page(site, path)
        page.status, page.why = status, f"answers {status} tonight only (must be kept)"
    w.page("alpha", "/nyheter/a2").status = 404  # one night of maintenance
    w.edit("delta", "/d1", 3, why="edited again the day it was refetched, date-only lastmod (large source)")
    w.edit("delta", "/d2", 3, why="edited, date-only lastmod (large source)")


def _night4(w: World, r: Rules) -> None:
    for site, path in (("beta", "/b3"), ("alpha", "/stod/s2"), ("alpha", "/nyheter/a2")):
        page = w.page(site, path)
        was = page.status
        page.status, page.due, page.why = 200, 4 + r.retry_nights - 1, f"back after one night of {was}"
    w.remove("alpha", "/nyheter/a3", 4, 404)
    w.edit("alpha", "/nyheter/", 4, why="listing edited (a link removed), date-only lastmod",
           links=["/nyheter/a1", "/nyheter/a2", "/nyheter/a4"])
    w.remove("beta", "/b4", 4, 410, keep_in_sitemap=True)
    w.remove("delta", "/d3", 4, 410, keep_in_sitemap=True)
    w.remove("delta", "/d4", 4, 404)
    w.edit("delta", "/", 4, why="listing edited (a link removed), date-only lastmod (large source)",
           links=["/d1", "/d2", "/d5", "/d6", "/d7"])
    w.move("beta", "/gammal-samma", "/ny-samma", 4, new_etag=False)
    w.move("beta", "/gammal-ny", "/ny-ny", 4, new_etag=True)
    w.edit("beta", "/", 4, why="listing edited (links to the moved pages), full timestamp",
           links=["/b1", "/b2", "/b3", "/ny-samma", "/ny-ny"])


def _night5(w: World, r: Rules) -> None:
    w.down["gamma"] = 503
    w.edit("delta", "/d2", 5, why="edited while its site's sitemap answers 500 (large source: known pages must be revalidated)")
    w.broken_sitemaps[("delta", "/sitemap.xml")] = 500
    for page in w.pages.values():
        if page.site == "gamma" and page.live:
            page.why = "its whole site answers 503 tonight (must lose nothing)"


def _night6(w: World, r: Rules) -> None:
    w.broken_sitemaps.clear()
    del w.down["gamma"]
    for page in w.pages.values():
        if page.site == "gamma" and page.live:
            page.why = "its site is back after a night of 503"
    w.add("beta", "/b5", "Ny vägledning om digitalt våld", edit_time(6), night=6, why="new page, linked only (in no sitemap)")
    w.edit("beta", "/", 6, why="listing edited (new link), full timestamp", links=["/b1", "/b2", "/b3", "/ny-samma", "/ny-ny", "/b5"])
    w.edit("beta", "/b2", 6, why="edited, sitemap lastmod with a +01:00 offset")
    w.page("beta", "/b2").lastmod_style = "offset"
    w.add("alpha", "/stod/s3", "Samtalsstöd för unga", edit_time(6), night=6, sitemap="/sitemap-stod.xml", why="new page in the sitemap")
    w.edit("delta", "/d5", 6, why="edited, lastmod a UTC timestamp with Z (large source)")
    w.edit("alpha", "/stod/", 6, why="listing edited (new link), date-only lastmod",
           links=["/stod/s1", "/stod/s2", "/stod/utanfor", "/stod/s3"])


def _night8(w: World, r: Rules) -> None:
    w.edit("alpha", "/stod/utanfor", 8, why="edited again, listed in no sitemap", lag=r.off_sitemap_nights)
    w.edit("beta", "/ny-samma", 8, why="moved page edited, lastmod a UTC timestamp with Z")
    w.remove("gamma", "/g3", 8, 404)
    w.edit("gamma", "/", 8, why="listing edited (a link removed), in no sitemap", lag=r.off_sitemap_nights,
           links=["/g1", "/g2", "/kontakt"])
    b3 = w.page("beta", "/b3")
    b3.status, b3.moved_to, b3.why = 302, "/", "302 to the start page tonight only (must be kept)"
    w.soft_remove("alpha", "/stod/s1", 8)
    w.edit("alpha", "/stod/", 8, why="listing edited (a link removed), date-only lastmod",
           links=["/stod/s2", "/stod/utanfor", "/stod/s3"])
    w.add("delta", "/d8", "Ny rapport om våld i nära relationer", edit_time(8), night=8, sitemap="/sitemap.xml",
          why="new page in the sitemap (large source)")
    early = w.add("beta", "/b6", "Kommande rapport om våld mot äldre", edit_time(8), night=8, sitemap="/sitemap.xml", style="zulu")
    early.status, early.why = 404, "listed in the sitemap before it exists"


def _night11(w: World, r: Rules) -> None:
    # Tonight's run is killed mid-crawl: yesterday's index keeps serving; the edits are due the night after.
    for site, path in (("alpha", "/nyheter/a2"), ("beta", "/b2"), ("gamma", "/g2"), ("delta", "/d7")):
        w.edit(site, path, 11, lag=2, why="edited before a night whose run was killed (kill -9) mid-crawl",
               when=edit_time(11))
    w.add("alpha", "/stod/s4", "Stöd efter separation", edit_time(11), night=12, sitemap="/sitemap-stod.xml",
          why="new page before a night whose run was killed")
    w.edit("alpha", "/stod/", 11, lag=2, why="listing edited (new link) before the killed night",
           links=["/stod/s2", "/stod/utanfor", "/stod/s3", "/stod/s4"])


def _night12(w: World, r: Rules) -> None:
    for page in w.pages.values():
        if page.due == 12:
            page.why = "edited before the killed night 11; the next run must catch up"


def _night9(w: World, r: Rules) -> None:
    w.edit("alpha", "/nyheter/a1", 9, why="edited again, date-only lastmod")
    w.edit("delta", "/d6", 9, why="edited, date-only lastmod (large source)")
    b3 = w.page("beta", "/b3")
    b3.status, b3.moved_to, b3.due, b3.why = 200, None, 9 + r.retry_nights - 1, "back after a night of 302"
    early = w.page("beta", "/b6")  # published; its sitemap lastmod is still the one it had while it answered 404
    early.status, early.due, early.why = 200, 9 + r.retry_nights - 1, "published after its sitemap entry answered 404"
    w.edit("beta", "/b1", 9, why="edited again, full timestamp")


NIGHTS: tuple[Night, ...] = (
    Night(1, ("first crawl: 5 sources, 4 hosts, 28 pages",), frozenset({"two sources on one host", "short page", "no ETag", "large source"}),
          _nothing, clean=True),
    Night(2, ("a1: same-day edit, date-only lastmod", "b1: edit, full timestamp", "stod/utanfor: edit outside the sitemap",
              "a4: new page", "nyheter/: same-day edit", "g1: new link to /g-kommande (404)",
              "d1: same-day edit (large source)"),
          frozenset({"date-only edit", "full-timestamp edit", "off-sitemap edit", "new page", "404 before it exists"}), _night2),
    Night(3, ("g-kommande: published", "a4: same-day edit of a new page", "b3: 500 tonight", "stod/s2: 503 tonight",
              "a2: 404 tonight", "d1: same-day edit again; d2: edit"),
          frozenset({"date-only edit", "down one night", "404 before it exists"}), _night3),
    Night(4, ("b3, s2, a2: back", "a3: removed (404)", "b4: removed (410), left in the sitemap",
              "gammal-samma → ny-samma: 301, same ETag", "gammal-ny → ny-ny: 301, new ETag",
              "d3: removed (410), left in the sitemap; d4: removed (404)"),
          frozenset({"removed for good", "301 same ETag", "301 new ETag"}), _night4),
    Night(5, ("gamma: whole site 503", "delta: sitemap 500, d2 edited"), frozenset({"site 503", "sitemap down"}), _night5),
    Night(6, ("gamma, delta sitemap: back", "b5: new page, links only", "b2: edit, +01:00 lastmod", "stod/s3: new page", "d5: edit, Z"),
          frozenset({"new page", "full-timestamp edit"}), _night6),
    Night(7, ("quiet",), frozenset({"quiet"}), _nothing, quiet=True),
    Night(8, ("stod/utanfor: edit outside the sitemap", "ny-samma: edit, Z timestamp", "g3: removed (404)",
              "b6: in the sitemap, 404", "d8: new page", "stod/s1: now a 200 'not found' page",
              "b3: 302 tonight"), frozenset({"off-sitemap edit", "removed for good", "404 before it exists", "soft 404", "302 one night"}), _night8),
    Night(9, ("a1: edit, date-only", "b1: edit, full timestamp", "b6: published", "d6: edit", "b3: back"),
          frozenset({"date-only edit", "full-timestamp edit"}), _night9),
    Night(10, ("quiet",), frozenset({"quiet"}), _nothing, quiet=True),
    Night(11, ("a2, b2, g2, d7, stod/: edits; stod/s4: new page", "run killed (kill -9) mid-crawl"), frozenset({"killed run"}),
          _night11, kill_after=20),
    Night(12, ("the run after the killed one: catches up",), frozenset({"killed run"}), _night12, clean=True),
)

REQUIRED_KINDS = frozenset({
    "date-only edit", "full-timestamp edit", "off-sitemap edit", "new page", "404 before it exists", "down one night",
    "removed for good", "301 same ETag", "301 new ETag", "site 503", "two sources on one host", "quiet", "short page", "no ETag", "large source", "killed run", "soft 404", "302 one night", "sitemap down",
})
