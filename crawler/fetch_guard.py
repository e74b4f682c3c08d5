"""The SSRF guard of every hop: which URLs may be requested and which addresses their host may resolve to."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from kb.errors import BlockedAddress, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
AddressCheck = Callable[[IPAddress], bool]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver returns for ``host`` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in out:
            out.append(addr)
    return out


def is_global_address(addr: IPAddress) -> bool:
    """True for publicly routable addresses; IPv4-mapped/compatible IPv6 is judged by its IPv4 form."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        elif addr.sixtofour is not None:
            addr = addr.sixtofour
        elif addr.teredo is not None:
            return False
    return bool(addr.is_global) and not addr.is_multicast


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class AddressGuard:
    """Checks a hop's URL and resolves its host, refusing the hop if *any* resolved address is not public.

    ``resolver`` maps a host name to addresses; ``address_check`` decides which addresses count as public
    (default :func:`is_global_address`). Both are seams for tests and the demo.
    """

    def __init__(self, max_url_length: int, resolver: Resolver | None = None, address_check: AddressCheck = is_global_address) -> None:
        self.max_url_length = max_url_length
        self.resolver = resolver or system_resolver
        self.address_check = address_check

    def check_url(self, url: str) -> None:
        """Raise FetchError unless ``url`` is an http(s) URL with a host, within the length cap."""
        if len(url) > self.max_url_length:
            raise FetchError("url_too_long", f"{len(url)} characters", url[:200])
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 — raises on a bad port
        except ValueError as exc:
            raise FetchError("bad_url", str(exc), url) from None
        if parts.scheme not in ("http", "https"):
            raise FetchError("bad_url", f"scheme {parts.scheme or '(none)'!r} not allowed", url)
        if not parts.hostname:
            raise FetchError("bad_url", "no host", url)

    def resolve_checked(self, url: str, allow_private: bool) -> str:
        """Resolve the URL's host and return one address, after checking *every* address it resolves to."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        addresses = self._addresses(url, host, parts.port or default_port(parts.scheme))
        for a in addresses:
            try:
                ip = ipaddress.ip_address(a)
            except ValueError:
                raise BlockedAddress("blocked_address", f"unparseable address {a!r}", url) from None
            if not allow_private and not self.address_check(ip):
                raise BlockedAddress("blocked_address", f"{host} resolves to non-public {a}", url)
        return addresses[0]

    def _addresses(self, url: str, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError("dns", str(exc), url) from None
        if not addresses:
            raise FetchError("dns", "no address", url)
        return addresses
