"""Request limits over a real uvicorn (as `kb serve` configures it) with python-requests: 414/431 problem+json, never a reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import requests

from kb.searchmodel import FACET_KEYS, MAX_FILTER_VALUE_CHARS, MAX_QUERY_CHARS, MAX_REQUEST_QUERY_CHARS
from web.http11 import MAX_REQUEST_HEAD_BYTES, MAX_REQUEST_LINE_BYTES, over_limit
from web.security import CSP


def _problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text[:200])
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["content-security-policy"] == CSP and r.headers["cache-control"] == "no-store"
    body: dict[str, Any] = r.json()
    assert body["status"] == status and set(body) == {"type", "title", "status", "detail"}
    return body


@pytest.mark.parametrize("size", [MAX_REQUEST_LINE_BYTES + 1, 200_000, 1_000_000])
@pytest.mark.parametrize("path", ["/sok", "/api/v1/search"])
def test_overlong_request_line_is_a_414_problem_never_a_reset(live_server: Any, size: int, path: str) -> None:
    with requests.Session() as session:
        r = session.get(f"{live_server.url}{path}?q=" + "a" * size, timeout=30)
    body = _problem(r, 414)
    assert body["title"] == "För lång adress" and f"högst {MAX_REQUEST_QUERY_CHARS} tecken" in body["detail"]
    assert r.headers["connection"] == "close"


@pytest.mark.parametrize("size", [MAX_REQUEST_HEAD_BYTES + 1, 300_000])
def test_overlarge_headers_are_a_431_problem(live_server: Any, size: int) -> None:
    r = requests.get(f"{live_server.url}/sok?q=v%C3%A5ld", headers={"X-Stor": "b" * size}, timeout=30)
    assert _problem(r, 431)["title"] == "För stora rubriker"


def test_the_longest_query_the_app_accepts_fits_in_the_request_line(live_server: Any) -> None:
    """1,000 characters of four-byte UTF-8 (12 kB percent-encoded) plus a long value for every filter: answered, not 414."""
    params = [("q", "\U0001d54d" * MAX_REQUEST_QUERY_CHARS)] + [(key, "ö" * MAX_FILTER_VALUE_CHARS) for key in FACET_KEYS]
    target = "/api/v1/search?" + "&".join(f"{k}={quote(v)}" for k, v in params)
    assert len(f"GET {target} HTTP/1.1") < MAX_REQUEST_LINE_BYTES
    r = requests.get(live_server.url + target, timeout=30)
    assert r.status_code == 200 and r.json()["total"] == 0
    longer = requests.get(f"{live_server.url}/api/v1/search", params={"q": "a" * (MAX_REQUEST_QUERY_CHARS + 1)}, timeout=30)
    assert "högst 1000 tecken" in _problem(longer, 400)["detail"]
    page = requests.get(f"{live_server.url}/sok", params={"q": "våld " * 400}, timeout=30)
    assert page.status_code == 200 and page.text.count("har kortats") == 1  # one notice, the parser's
    assert f"kortats till {MAX_QUERY_CHARS} tecken" in page.text
    assert f"<title>”{'våld ' * 12}".rstrip() + "…” – Sök" in page.text.replace("\n", "")  # a short tab title
    assert f'maxlength="{MAX_REQUEST_QUERY_CHARS}"' in page.text  # the search box states the same limit


def test_the_connection_still_serves_after_a_normal_request(live_server: Any) -> None:
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(f"{live_server.url}/api/v1/suggest", params={"q": "kvinno"}, timeout=10).status_code == 200


def test_over_limit() -> None:
    line = b"GET /" + b"a" * (MAX_REQUEST_LINE_BYTES - 20) + b" HTTP/1.1\r\n"
    assert len(line) < MAX_REQUEST_LINE_BYTES and over_limit(line) is None
    assert over_limit(b"GET /" + b"a" * MAX_REQUEST_LINE_BYTES) == 414  # no line end yet, already too long
    assert over_limit(b"GET /" + b"a" * MAX_REQUEST_LINE_BYTES + b" HTTP/1.1\r\n") == 414
    assert over_limit(b"GET / HTTP/1.1\r\n" + b"X: " + b"b" * MAX_REQUEST_HEAD_BYTES) == 431
    assert over_limit(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") is None
