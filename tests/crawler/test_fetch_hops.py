"""The hop chain on a fetch result and the per-hop politeness slot, against real local servers."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest

from crawler.fetch import Fetcher, Hop, RedirectRefused


def test_result_lists_each_hop_with_its_status(site, settings):
    site.add("/a", status=301, headers={"Location": "/b"})
    site.add("/b", status=302, headers={"Location": "/c"})
    site.add("/c", "framme")
    site.add("/p1", status=308, headers={"Location": "/p2"})
    site.add("/p2", status=301, headers={"Location": "/c"})
    with Fetcher(settings) as f:
        mixed = f.fetch(site.url("/a"), allow_private=True)
        permanent = f.fetch(site.url("/p1"), allow_private=True)
        direct = f.fetch(site.url("/c"), allow_private=True)
    assert mixed.hops == [Hop(site.url("/a"), 301), Hop(site.url("/b"), 302)] and mixed.body == b"framme"
    assert mixed.redirects == [site.url("/a"), site.url("/b")] and not mixed.moved_permanently
    assert [h.status for h in permanent.hops] == [308, 301] and permanent.moved_permanently
    assert direct.hops == [] and not direct.moved_permanently


def test_refused_hop_carries_the_chain_up_to_its_target(site, settings):
    site.add("/r", status=307, headers={"Location": "/privat/x"})
    with Fetcher(settings) as f, pytest.raises(RedirectRefused) as exc:
        f.fetch(site.url("/r"), allow_private=True, hop_check=lambda u: "claimed" if "/privat/" in u else None)
    assert exc.value.reason == "claimed" and exc.value.target == site.url("/privat/x")
    assert exc.value.hops == [Hop(site.url("/r"), 307)] and not exc.value.moved_permanently


def test_each_hop_is_sent_in_its_own_slot_and_waiting_does_not_count_against_the_deadline(make_site, settings):
    """The slot of the second host takes longer than the whole deadline to open: the fetch still succeeds."""
    a, b = make_site(), make_site()
    a.add("/r", status=302, headers={"Location": b.url("/mal")})
    b.add("/mal", "framme")
    events: list[str] = []

    @contextmanager
    def slot(url: str):
        events.append("enter " + url)
        if url.startswith(b.base):
            time.sleep(1.2)  # another source's request on host B holds its slot
        try:
            yield
        finally:
            events.append("exit " + url)

    with Fetcher(settings.replace(fetch_deadline=1.0)) as f:
        r = f.fetch(a.url("/r"), allow_private=True, slot=slot)
    assert r.body == b"framme"
    assert events == ["enter " + a.url("/r"), "exit " + a.url("/r"), "enter " + b.url("/mal"), "exit " + b.url("/mal")]


def test_retry_wait_is_spent_holding_the_answering_hosts_slot(site, settings):
    answers = iter([503, 200])

    def busy(handler):
        status = next(answers)
        return site.Page("klar" if status == 200 else "upptagen", status=status, headers={"Retry-After": "0"})

    site.routes["/busy"] = busy
    held: list[bool] = []
    inside = [False]

    @contextmanager
    def slot(url: str):
        inside[0] = True
        try:
            yield
        finally:
            inside[0] = False

    with Fetcher(settings, sleep=lambda s: held.append(inside[0])) as f:
        r = f.fetch(site.url("/busy"), allow_private=True, slot=slot)
    assert r.body == b"klar" and held == [True]
