"""HTTPS through the pinned adapter against local TLS servers: name checks, SNI, CA trust, hops, handshake deadline."""

from __future__ import annotations

import ipaddress
import threading
import time

import pytest

from crawler.fetch import Fetcher
from kb.errors import BlockedAddress, FetchError

TLS_NAME = "kb-test.invalid"


def _tls_site(make_site, pki, cert_name=TLS_NAME, host="127.0.0.1"):
    sni: list[str] = []
    site = make_site(host, tls=pki.server_context(cert_name, sni))
    return site, sni


def test_https_fetch_verifies_name_and_sends_sni_while_pinned(make_site, pki, settings):
    site, sni = _tls_site(make_site, pki)
    site.add("/a", "säker sida")
    with Fetcher(settings, resolver=lambda h, p: {TLS_NAME: ["127.0.0.1"]}[h], ca_bundle=pki.ca) as f:
        r = f.fetch(f"https://{TLS_NAME}:{site.port}/a", allow_private=True)
    assert r.body == "säker sida".encode() and r.address == "127.0.0.1"
    assert sni == [TLS_NAME]
    assert site.hits("/a")[0].headers["Host"] == f"{TLS_NAME}:{site.port}"


def test_https_certificate_for_another_name_refused(make_site, pki, settings):
    site, _sni = _tls_site(make_site, pki, cert_name="other.invalid")
    site.add("/a", "fel certifikat")
    with Fetcher(settings, resolver=lambda h, p: ["127.0.0.1"], ca_bundle=pki.ca) as f, pytest.raises(FetchError) as exc:
        f.fetch(f"https://{TLS_NAME}:{site.port}/a", allow_private=True)
    assert exc.value.reason == "tls"
    assert site.requests == []


def test_https_untrusted_ca_refused_by_default(make_site, pki, settings):
    site, _sni = _tls_site(make_site, pki)
    site.add("/a", "okänd utfärdare")
    with Fetcher(settings, resolver=lambda h, p: ["127.0.0.1"]) as f, pytest.raises(FetchError) as exc:
        f.fetch(f"https://{TLS_NAME}:{site.port}/a", allow_private=True)
    assert exc.value.reason == "tls"
    assert site.requests == []


def test_http_to_https_redirect_hop_rechecked(make_site, pki, settings):
    """public.test (127.0.0.2, plain http) redirects to https://kb-test.invalid (127.0.0.3): the TLS hop is checked too."""
    plain = make_site("127.0.0.2")
    secure, sni = _tls_site(make_site, pki, host="127.0.0.3")
    secure.add("/mål", "framme")
    plain.add("/r", status=302, headers={"Location": f"https://{TLS_NAME}:{secure.port}/m%C3%A5l"})
    secure.routes["/m%C3%A5l"] = secure.routes.pop("/mål")
    hosts = {"public.test": ["127.0.0.2"], TLS_NAME: ["127.0.0.3"]}
    public = {"127.0.0.2"}

    def check(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return str(ip) in public

    with Fetcher(settings, resolver=lambda h, p: hosts[h], address_check=check, ca_bundle=pki.ca) as f:
        with pytest.raises(BlockedAddress):
            f.fetch(f"http://public.test:{plain.port}/r")
        assert secure.requests == [] and sni == []  # refused before any connection to the TLS host
        public.add("127.0.0.3")
        r = f.fetch(f"http://public.test:{plain.port}/r")
    assert r.final_url == f"https://{TLS_NAME}:{secure.port}/m%C3%A5l" and r.body == b"framme"
    assert r.redirects == [f"http://public.test:{plain.port}/r"] and r.address == "127.0.0.3"
    assert sni == [TLS_NAME]


def test_tls_handshake_drip_cut_off_by_deadline(settings):
    """A server that accepts TCP and never finishes the TLS handshake is bounded by the deadline.

    (Two guards hold here: ssl's handshake timeout is a total, capped at the remaining deadline, and the watchdog.)
    """
    import socket as socketmod

    listener = socketmod.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    accepted: list[socketmod.socket] = []
    sent: list[int] = []

    def accept_and_drip() -> None:
        conn, _ = listener.accept()
        accepted.append(conn)
        try:
            conn.send(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB announced...
            for _ in range(200):  # ...and dripped one byte at a time (40 s in all)
                conn.send(b"\x02")
                sent.append(1)
                time.sleep(0.2)
        except OSError:
            pass  # the client hung up

    t = threading.Thread(target=accept_and_drip, daemon=True)
    t.start()
    try:
        with Fetcher(settings.replace(fetch_deadline=1.0, read_timeout=2.0), resolver=lambda h, p: ["127.0.0.1"]) as f, pytest.raises(FetchError) as exc:
            f.fetch(f"https://{TLS_NAME}:{port}/", allow_private=True)
    finally:
        t.join(60)  # the server's next sends fail once the client has hung up
        for c in accepted:
            c.close()
        listener.close()
    assert exc.value.reason == "timeout"
    assert len(sent) < 200  # cut mid-handshake, not after the server gave up dripping (no wall-clock bound needed)
