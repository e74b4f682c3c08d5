"""Bounded bodies: streamed reads with a size cap, gzip/deflate decoded with a bounded output per step (bomb-safe)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

import requests
import urllib3

from kb.errors import FetchError

CHUNK = 16 * 1024
MAX_DECOMPRESS_STEP = 64 * 1024


class Decoder:
    """Content-Encoding decoding with a bounded output per step, so a compression bomb stops at the cap with flat memory."""

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        self._deflate_first = False
        if enc in ("", "identity"):
            self._z: Any = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
            self._deflate_first = True
        else:
            raise FetchError("bad_encoding", f"unsupported Content-Encoding {encoding!r}")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._z is None:
            yield data
            return
        pending = data
        while pending:
            try:
                out = self._z.decompress(pending, MAX_DECOMPRESS_STEP)
            except zlib.error as exc:
                if self._deflate_first:  # raw deflate without zlib header
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._deflate_first = False
                    continue
                raise FetchError("bad_encoding", str(exc)) from None
            self._deflate_first = False
            if out:
                yield out
            pending = self._z.unconsumed_tail
            if self._z.eof:
                return


def gunzip_capped(data: bytes, max_bytes: int) -> bytes:
    """Decompress a gzip file (e.g. sitemap.xml.gz) refusing more than ``max_bytes`` of output."""
    decoder = Decoder("gzip")
    out = bytearray()
    for chunk in decoder.feed(data):
        out += chunk
        if len(out) > max_bytes:
            raise FetchError("too_large", f"gzip output over {max_bytes} bytes")
    return bytes(out)


def read_body(response: requests.Response, headers: dict[str, str], cap: int, url: str, remaining: Callable[[], float]) -> bytes:
    """The decoded body, refused over ``cap`` bytes (by Content-Length before reading, else while reading).

    ``remaining()`` is the time left before the fetch's deadline; the read stops with ``timeout`` once it is spent.
    """
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > cap and not headers.get("content-encoding"):
        raise FetchError("too_large", f"Content-Length {length} > {cap}", url)
    decoder = Decoder(headers.get("content-encoding", ""))
    out = bytearray()
    try:
        while True:
            # read1 returns what has arrived (a plain read blocks until the whole chunk is in,
            # which would let a drip-feeding server outlast the deadline).
            raw = response.raw.read1(CHUNK, decode_content=False)
            if not raw:
                break
            for piece in decoder.feed(raw):
                out += piece
                if len(out) > cap:
                    raise FetchError("too_large", f"body over {cap} bytes", url)
            if remaining() < 0:
                raise FetchError("timeout", "body not complete within the deadline", url)
    except FetchError:
        raise
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        raise FetchError("timeout", str(exc)[:200], url) from None
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise FetchError("connection", str(exc)[:200], url) from None
    return bytes(out)
