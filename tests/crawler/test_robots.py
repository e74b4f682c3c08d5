"""robots.txt through the Fetcher: rules, Crawl-delay, Sitemap lines, 404 allow-all, 5xx/timeout skip."""

from __future__ import annotations

import time

from crawler.fetch import Fetcher
from crawler.robots import RobotsCache

ROBOTS = """User-agent: *
Disallow: /privat/
Crawl-delay: 0.4
Sitemap: {base}/sitemap.xml

User-agent: kb-kunskapsbank
Disallow: /bara-for-oss/
Crawl-delay: 2
"""


def test_rules_delay_and_sitemaps(site, settings):
    site.add("/robots.txt", ROBOTS.format(base=site.base), content_type="text/plain")
    with Fetcher(settings) as f:
        cache = RobotsCache(f, settings)
        rules = cache.get(site.url("/x"), allow_private=True)
        again = cache.get(site.url("/y"), allow_private=True)
    assert rules is again and site.paths() == ["/robots.txt"]  # cached per origin
    ua = settings.user_agent
    assert not rules.allowed(site.url("/bara-for-oss/a"), ua)  # the group naming our agent wins
    assert rules.allowed(site.url("/privat/a"), ua)
    assert rules.crawl_delay == 2.0
    assert rules.effective_delay(0.5) == 2.0 and rules.effective_delay(5.0) == 5.0
    assert rules.sitemaps == [site.url("/sitemap.xml")]


def test_generic_group_applies_to_us(site, settings):
    site.add("/robots.txt", "User-agent: *\nDisallow: /privat/\n", content_type="text/plain")
    with Fetcher(settings) as f:
        rules = RobotsCache(f, settings).get(site.url("/"), allow_private=True)
    assert not rules.allowed(site.url("/privat/x"), settings.user_agent)
    assert rules.allowed(site.url("/publikt"), settings.user_agent)


def test_404_allows_everything(site, settings):
    with Fetcher(settings) as f:
        rules = RobotsCache(f, settings).get(site.url("/"), allow_private=True)
    assert not rules.unreachable and rules.allowed(site.url("/vad/som/helst"), settings.user_agent)


def test_5xx_makes_host_unreachable(site, settings):
    site.add("/robots.txt", "fel", status=500)
    with Fetcher(settings) as f:
        rules = RobotsCache(f, settings).get(site.url("/"), allow_private=True)
    assert rules.unreachable and rules.reason == "robots_http_500"
    assert not rules.allowed(site.url("/"), settings.user_agent)


def test_timeout_makes_host_unreachable(site, settings):
    def slow(h):
        time.sleep(1.0)
        return site.Page("User-agent: *\nAllow: /\n")

    site.routes["/robots.txt"] = slow
    with Fetcher(settings.replace(read_timeout=0.3)) as f:
        rules = RobotsCache(f, settings).get(site.url("/"), allow_private=True)
    assert rules.unreachable and rules.reason == "robots_timeout"


def test_windows_1252_robots_parsed(site, settings):
    site.add("/robots.txt", "# Tillgänglighet\nUser-agent: *\nDisallow: /sök/\n".encode("cp1252"), content_type="text/plain")
    with Fetcher(settings) as f:
        rules = RobotsCache(f, settings).get(site.url("/"), allow_private=True)
    assert rules.allowed(site.url("/annat"), settings.user_agent)


def test_robots_refused_for_private_host_without_allowance(site, settings):
    site.add("/robots.txt", "User-agent: *\nAllow: /\n")
    with Fetcher(settings) as f:
        rules = RobotsCache(f, settings).get(site.url("/"))
    assert rules.unreachable and rules.reason == "robots_blocked_address"
    assert site.requests == []
