"""A month of nights: local sites change between real `kb -q update` runs and the index must follow the truth kept here."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from living.runner import LivingMonth, NightResult, faketime_library
from living.scenario import NIGHTS, REQUIRED_KINDS, Rules, build_world
from living.sites import LivingSite

# The grace before a gone URL leaves the index: README "How the crawler treats a source" / settings table,
# `gone_after_runs` (KB_GONE_AFTER_RUNS, default 2): a page gone (404/410, moved) on this many runs in a row is
# removed, so it may stay searchable until night gone_since + GONE_AFTER_RUNS - 1 and no longer. The runs get
# this value through KB_GONE_AFTER_RUNS, so change it here (and only here) if the documented default changes.
GONE_AFTER_RUNS = 2
# An edit of a page listed in no sitemap is searchable after this many nights (1 = the next run), and a URL that
# failed (a link that 404ed before its page existed, a page down for a night) is fetched again after this many.
OFF_SITEMAP_NIGHTS = 1
RETRY_NIGHTS = 1
# A page removed from its site but left in its sitemap with the old lastmod, on a large source (site delta: its
# documents fill more than half its max_pages): the crawler may trust the sitemap lastmod and skip the page for
# 7 days after its last request (crawler/frontier.py SITEMAP_TRUST, "re-validated at least weekly"), so it may stay
# searchable that much longer than the grace. Small sources are revalidated every night and get no such allowance.
SITEMAP_TRUST_NIGHTS = 7
RULES = Rules(GONE_AFTER_RUNS, OFF_SITEMAP_NIGHTS, RETRY_NIGHTS, SITEMAP_TRUST_NIGHTS)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[NightResult]]:
    if faketime_library() is None:
        pytest.fail("the living-site test needs libfaketime: apt-get install faketime (make system-deps installs it)")
    with LivingMonth(tmp_path_factory.mktemp("living"), RULES) as living:
        yield living.run_all()


def test_the_scenario_covers_every_kind_of_change() -> None:
    kinds = frozenset().union(*(n.kinds for n in NIGHTS))
    assert REQUIRED_KINDS <= kinds, sorted(REQUIRED_KINDS - kinds)
    assert len(NIGHTS) >= 8
    assert [n.number for n in NIGHTS] == list(range(1, len(NIGHTS) + 1))


@pytest.mark.slow  # the month: twelve real `kb -q update` processes, ~30–45 s (in `make test`, not `make test-fast`)
@pytest.mark.parametrize("night", [n.number for n in NIGHTS], ids=[f"night{n.number:02d}" for n in NIGHTS])
def test_after_every_night_the_index_equals_the_sites(month: list[NightResult], night: int) -> None:
    result = month[night - 1]
    assert result.up_to_date > 0, f"night {night}: nothing at all was searchable (exit {result.exit_code}): {result.stderr[-500:]}"
    if result.problems:
        pytest.fail(f"night {night} (exit {result.exit_code}), {len(result.problems)} failed expectations:\n" + "\n".join(result.problems),
                    pytrace=False)


@pytest.mark.slow
def test_the_servers_saw_every_night(month: list[NightResult]) -> None:
    # Guards the checks above against a run that never reached the sites (a test that cannot fail).
    for result in month:
        if not result.killed:  # a run killed after its first requests may not have reached every host
            assert all(count > 0 for count in result.requests.values()), (result.night, result.requests)
    assert month[0].body_downloads >= 28


def test_quiet_nights_follow_every_removal_by_more_than_the_grace() -> None:
    # A quiet night must really be quiet: no removal or outage still inside its grace (those are reported, exit 1).
    pending = {"removed for good", "301 same ETag", "301 new ETag", "site 503", "down one night", "soft 404", "302 one night"}
    for quiet in (n for n in NIGHTS if n.quiet):
        for earlier in NIGHTS[: quiet.number - 1]:
            if earlier.kinds & pending:
                assert quiet.number >= earlier.number + GONE_AFTER_RUNS, (quiet.number, earlier.number)


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_the_living_sites_serve_the_truth(tmp_path: Path) -> None:
    # The fixture itself: markers, validators (ETag, Last-Modified only), 304s, date-only and full lastmods, 410, 301, outage.
    sites = {name: LivingSite(name) for name in ("alpha", "beta", "gamma", "delta")}
    for site in sites.values():
        site.start()
    try:
        world = build_world(sites)
        world.publish(1)
        a1 = world.page("alpha", "/nyheter/a1")
        status, headers, body = _get(world.url(a1))
        assert status == 200 and a1.marker.encode() in body
        assert _get(world.url(a1), **{"If-None-Match": headers["ETag"]})[0] == 304
        g1 = world.page("gamma", "/g1")
        status, headers, _ = _get(world.url(g1))
        assert "ETag" not in headers and _get(world.url(g1), **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        news = _get(sites["alpha"].url("/sitemap-nyheter.xml"))[2].decode()
        assert re.search(r"<lastmod>\d{4}-\d{2}-\d{2}</lastmod>", news) and world.url(a1) in news
        assert re.search(r"<lastmod>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\+00:00|Z|\+01:00)</lastmod>", _get(sites["beta"].url("/sitemap.xml"))[2].decode())
        old_marker = a1.marker
        same_etag = _get(sites["beta"].url("/gammal-samma"))[1]["ETag"]
        world.edit("alpha", "/nyheter/a1", 2, why="test")
        world.remove("beta", "/b4", 2, 410, keep_in_sitemap=True)
        world.move("beta", "/gammal-samma", "/ny-samma", 2, new_etag=False)
        world.down["gamma"] = 503
        world.publish(2)
        status, _, body = _get(world.url(a1), **{"If-None-Match": headers.get("ETag", "x")})
        assert status == 200 and a1.marker.encode() in body and old_marker.encode() not in body
        assert _get(sites["beta"].url("/b4"))[0] == 410
        conn = http.client.HTTPConnection("127.0.0.1", int(sites["beta"].base.rsplit(":", 1)[1]), timeout=5)
        conn.request("GET", "/gammal-samma")
        moved = conn.getresponse()
        assert moved.status == 301 and moved.getheader("Location") == sites["beta"].url("/ny-samma")
        conn.close()
        assert _get(sites["beta"].url("/ny-samma"))[1]["ETag"] == same_etag  # a move with the same body and ETag
        assert _get(world.url(g1))[0] == 503 and _get(sites["gamma"].url("/robots.txt"))[0] == 503
        assert [r.night for r in sites["gamma"].requests][-2:] == [2, 2]
    finally:
        for site in sites.values():
            site.stop()
