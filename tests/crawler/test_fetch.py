"""The Fetcher against real local servers: SSRF guard, redirects, caps, deadlines, retries, conditional GET."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import time
import tracemalloc
import zlib
from functools import lru_cache

import pytest

from crawler.fetch import Fetcher, gunzip_capped, is_global_address
from kb.errors import BlockedAddress, FetchError


@lru_cache(maxsize=1)
def _bomb() -> bytes:
    return gzip.compress(b"\0" * 60_000_000, compresslevel=9)


def _reason(exc_info: pytest.ExceptionInfo[FetchError]) -> str:
    return exc_info.value.reason


def test_get_sends_user_agent_and_returns_body(site, settings):
    site.add("/a", "hej på dig")
    with Fetcher(settings) as f:
        r = f.fetch(site.url("/a"), allow_private=True)
    assert r.status == 200 and r.body == "hej på dig".encode() and r.final_url == site.url("/a")
    assert site.hits("/a")[0].headers["User-Agent"] == settings.user_agent


def test_loopback_refused_without_allow_private(site, settings):
    site.add("/a", "hemligt")
    with Fetcher(settings) as f, pytest.raises(BlockedAddress) as exc:
        f.fetch(site.url("/a"))
    assert _reason(exc) == "blocked_address"
    assert site.requests == []


@pytest.mark.parametrize(
    "addr, public",
    [
        ("127.0.0.1", False), ("10.1.2.3", False), ("169.254.169.254", False), ("100.64.0.1", False),
        ("::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False), ("fe80::1", False),
        ("fc00::1", False), ("0.0.0.0", False), ("2002:7f00:1::", False), ("224.0.0.1", False),
        ("8.8.8.8", True), ("::ffff:8.8.8.8", True), ("2a00:1450:4001::1", True),
    ],
)
def test_address_classification(addr, public):
    assert is_global_address(ipaddress.ip_address(addr)) is public


@pytest.fixture
def public_site(make_site):
    """A server on 127.0.0.2 that the Fetcher is told to treat as a public host called public.test."""
    site = make_site("127.0.0.2")
    hosts = {"public.test": ["127.0.0.2"], "mixed.test": ["127.0.0.2", "10.0.0.7"], "meta.test": ["169.254.169.254"]}

    def resolver(host: str, port: int) -> list[str]:
        return hosts[host]

    def check(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return str(ip) == "127.0.0.2" or is_global_address(ip)

    return site, resolver, check


def test_public_redirect_to_private_addresses_refused(public_site, make_site, settings):
    site, resolver, check = public_site
    victim = make_site("127.0.0.1")
    victim.add("/secret", "hemligt")
    site.add("/ok", "publik sida")
    site.add("/to-loopback", status=302, headers={"Location": victim.url("/secret")})
    site.add("/to-metadata", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    site.add("/to-meta-name", status=302, headers={"Location": "http://meta.test/latest/"})
    site.add("/to-mixed", status=302, headers={"Location": f"http://mixed.test:{site.port}/ok"})
    with Fetcher(settings, resolver=resolver, address_check=check) as f:
        assert f.fetch(f"http://public.test:{site.port}/ok").body == b"publik sida"
        for path in ("/to-loopback", "/to-metadata", "/to-meta-name", "/to-mixed"):
            with pytest.raises(BlockedAddress):
                f.fetch(f"http://public.test:{site.port}{path}")
    assert victim.requests == []
    assert site.paths().count("/ok") == 1  # the mixed.test hop never connected


def test_connection_goes_to_the_checked_address(site, settings):
    """The name is unresolvable by the system: success proves the socket used the pinned, checked address."""
    site.add("/a", "pinned")
    with Fetcher(settings, resolver=lambda h, p: ["127.0.0.1"]) as f:
        r = f.fetch(f"http://kb-pinned.invalid:{site.port}/a", allow_private=True)
    assert r.body == b"pinned" and r.address == "127.0.0.1"
    assert site.hits("/a")[0].headers["Host"] == f"kb-pinned.invalid:{site.port}"


def test_redirect_to_other_scheme_refused(site, settings):
    site.add("/r", status=302, headers={"Location": "file:///etc/passwd"})
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/r"), allow_private=True)
    assert _reason(exc) == "bad_url"


def test_redirect_followed_and_loop_detected(site, settings):
    site.add("/old", status=301, headers={"Location": "/new"})
    site.add("/new", "ny")
    site.add("/l1", status=302, headers={"Location": "/l2"})
    site.add("/l2", status=302, headers={"Location": "/l1"})
    with Fetcher(settings) as f:
        r = f.fetch(site.url("/old"), allow_private=True)
        assert r.final_url == site.url("/new") and r.redirects == [site.url("/old")] and r.body == b"ny"
        with pytest.raises(FetchError) as exc:
            f.fetch(site.url("/l1"), allow_private=True)
    assert _reason(exc) == "redirect_loop"
    assert site.paths().count("/l1") == 1


def test_redirect_cap(site, settings):
    for i in range(20):
        site.add(f"/c{i}", status=302, headers={"Location": f"/c{i + 1}"})
    with Fetcher(settings.replace(max_redirects=3)) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/c0"), allow_private=True)
    assert _reason(exc) == "too_many_redirects"
    assert len(site.requests) == 4


def test_hop_check_refuses_redirect_target_before_requesting_it(site, settings):
    site.add("/r", status=302, headers={"Location": "/privat/x"})
    site.add("/privat/x", "privat")
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/r"), allow_private=True, hop_check=lambda u: "robots" if "/privat/" in u else None)
    assert _reason(exc) == "robots"
    assert site.hits("/privat/x") == []


def test_gzip_bomb_stops_at_cap_with_flat_memory(site, settings):
    site.add("/bomb", _bomb(), headers={"Content-Encoding": "gzip"})
    with Fetcher(settings.replace(max_bytes=2_000_000)) as f:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as exc:
                f.fetch(site.url("/bomb"), allow_private=True)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert _reason(exc) == "too_large"
    assert peak < 12_000_000  # 60 MB decoded would be far above; the cap plus a bounded step is below


def test_gzip_and_deflate_bodies_decoded(site, settings):
    text = "Kvinnofrid och våld i nära relationer. " * 50
    site.add("/gz", gzip.compress(text.encode()), headers={"Content-Encoding": "gzip"})
    site.add("/df", zlib.compress(text.encode()), headers={"Content-Encoding": "deflate"})
    with Fetcher(settings) as f:
        assert f.fetch(site.url("/gz"), allow_private=True).body.decode() == text
        assert f.fetch(site.url("/df"), allow_private=True).body.decode() == text


def test_gunzip_capped_refuses_bomb():
    with pytest.raises(FetchError) as exc:
        gunzip_capped(_bomb(), 1_000_000)
    assert _reason(exc) == "too_large"


def test_content_length_over_cap_refused_unread(site, settings):
    site.add("/big", b"x" * 300_000)
    with Fetcher(settings.replace(max_bytes=100_000)) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/big"), allow_private=True)
    assert _reason(exc) == "too_large"


def test_drip_cut_off_by_deadline(site, settings):
    """A body of 1,000 bytes sent one every 0.1 s: the client hangs up mid-body (no wall-clock bound needed)."""
    sent: list[int] = []
    ended = threading.Event()

    def drip(h):
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "1000")
            h.end_headers()
            for _ in range(1000):
                h.wfile.write(b"x")
                h.wfile.flush()
                sent.append(1)
                time.sleep(0.1)
        finally:
            ended.set()
        return None

    site.routes["/drip"] = drip
    with Fetcher(settings.replace(fetch_deadline=1.0, read_timeout=2.0)) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/drip"), allow_private=True)
    assert _reason(exc) == "timeout"
    assert ended.wait(60)  # the server notices the hang-up at one of its next writes
    assert len(sent) < 1000  # cut mid-body, not after the last byte


def test_silent_server_read_timeout(site, settings):
    def silent(h):
        time.sleep(1.5)
        return site.Page("sent")

    site.routes["/slow"] = silent
    with Fetcher(settings.replace(read_timeout=0.5)) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/slow"), allow_private=True)
    assert _reason(exc) == "timeout"


def test_429_retry_after_honoured(site, settings):
    calls = []

    def limited(h):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return site.Page("vänta", status=429, headers={"Retry-After": "1"})
        return site.Page("klart")

    site.routes["/r"] = limited
    with Fetcher(settings) as f:
        assert f.fetch(site.url("/r"), allow_private=True).body == b"klart"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95


def test_retry_after_over_cap_gives_up_at_once(site, settings):
    site.add("/r", "vänta", status=429, headers={"Retry-After": "3600"})
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/r"), allow_private=True)
    assert _reason(exc) == "http_429" and len(site.requests) == 1


def test_503_retried_with_backoff_then_fails(site, settings):
    site.add("/down", "nere", status=503)
    waits: list[float] = []
    with Fetcher(settings.replace(retries=3), sleep=waits.append) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/down"), allow_private=True)
    assert _reason(exc) == "http_503"
    assert len(site.requests) == 4
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]


def test_conditional_get_not_modified(site, settings):
    site.add("/a", "innehåll", etag='"v1"')
    with Fetcher(settings) as f:
        first = f.fetch(site.url("/a"), allow_private=True)
        assert first.headers["etag"] == '"v1"' and not first.not_modified
        second = f.fetch(site.url("/a"), allow_private=True, etag='"v1"')
    assert second.not_modified and second.body == b"" and second.status == 304
    assert site.hits("/a")[1].headers["If-None-Match"] == '"v1"'


def test_http_errors_and_raise_http_false(site, settings):
    with Fetcher(settings) as f:
        with pytest.raises(FetchError) as exc:
            f.fetch(site.url("/missing"), allow_private=True)
        assert _reason(exc) == "http_404"
        site.add("/boom", "fel", status=500)
        with pytest.raises(FetchError) as exc:
            f.fetch(site.url("/boom"), allow_private=True)
        assert _reason(exc) == "http_500"
        assert f.fetch(site.url("/missing"), allow_private=True, raise_http=False).status == 404


def test_huge_url_rejected_without_request(site, settings):
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/" + "a" * 5000), allow_private=True)
    assert _reason(exc) == "url_too_long"
    assert site.requests == []


def test_unsupported_type_refused_before_body(site, settings):
    site.add("/bild.png", b"\x89PNG" + b"0" * 1000, content_type="image/png")
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/bild.png"), allow_private=True, accept_type=lambda ct, url: not (ct or "").startswith("image/"))
    assert _reason(exc) == "unsupported_type"


def test_connection_refused(settings, site):
    port = site.port
    site.stop()
    with Fetcher(settings) as f, pytest.raises(FetchError) as exc:
        f.fetch(f"http://127.0.0.1:{port}/", allow_private=True)
    assert _reason(exc) == "connection"


def _watchdogs() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "kb-fetch-watchdog" and t.is_alive()]


def test_header_drip_cut_off_by_deadline(site, settings):
    """Status line and headers one byte every 0.2 s: read_timeout never trips, the total deadline must."""

    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"p" * 200 + b"\r\nContent-Length: 2\r\n\r\nok"
    sent: list[int] = []
    ended = threading.Event()

    def drip_headers(h):
        try:
            for byte in head:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                sent.append(byte)
                time.sleep(0.2)
            h.close_connection = True
        finally:
            ended.set()
        return None

    site.routes["/drip"] = drip_headers
    started = time.monotonic()
    with Fetcher(settings.replace(fetch_deadline=1.0, read_timeout=2.0)) as f, pytest.raises(FetchError) as exc:
        f.fetch(site.url("/drip"), allow_private=True)
    elapsed = time.monotonic() - started
    assert _reason(exc) == "timeout"
    assert elapsed > 0.9, elapsed  # not before the deadline
    assert _watchdogs() == []
    assert ended.wait(60)
    assert len(sent) < len(head)  # cut while the headers were still arriving


def test_watchdog_gone_after_normal_fetches(site, settings):
    site.add("/a", "hej")
    with Fetcher(settings) as f:
        for _ in range(5):
            f.fetch(site.url("/a"), allow_private=True)
    assert _watchdogs() == []
