"""HTTP requests to URLs that integrators give us (media to download, webhook targets),
refused when they lead inside our network (SSRF).

The host name is resolved once and every address it resolves to must be public (not
loopback, private, link-local such as 169.254.169.254, carrier-grade NAT, multicast,
reserved or unspecified, in IPv4 or IPv6, including IPv4-mapped IPv6). The request then goes
to that checked address itself (the Host header and TLS server name keep the name), so a
second DNS answer cannot swap in an internal address. Redirects are never followed.

``OUTBOUND_HTTP_ALLOWED_NETWORKS`` lists networks an installation trusts anyway (an
integrator's server on the same private network; the tests' loopback receiver).
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

from integrations.errors import UnsafeUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked URL: the address to connect to and the name to present."""

    url: str  # with the address in place of the host name
    host: str  # the Host header (name and port as given)
    server_name: str  # TLS server name


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(net, strict=False)
        for net in getattr(settings, "OUTBOUND_HTTP_ALLOWED_NETWORKS", [])
    ]


def address_is_public(address: IPAddress) -> bool:
    """True for an address on the public Internet (or in an allowed network)."""
    if any(address in net for net in _allowed_networks()):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_is_public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(code="url_unresolvable") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def url_check(url: str) -> Target:
    """The URL's checked target; 400 ``unsafe_url`` when it is not plain HTTP(S) or any of
    its addresses is internal."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl(code="url_invalid")
    if parts.username or parts.password:
        raise UnsafeUrl(code="url_invalid")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(parts.hostname, port)
    if not addresses or not all(address_is_public(a) for a in addresses):
        raise UnsafeUrl(extra={"host": parts.hostname})
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{port}"
    host = parts.netloc.rsplit("@", 1)[-1]
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host=host,
        server_name=parts.hostname,
    )


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: httpx.Headers
    body: bytes
    truncated: bool
    latency_ms: int


class ResponseTooLarge(Exception):
    """The answer's body passed the allowed size."""


@functools.cache
def _client() -> httpx.Client:
    """One client per process (thread-safe, keeps connections): building one loads the CA
    bundle, which costs more than a webhook's request."""
    return httpx.Client(follow_redirects=False, limits=httpx.Limits(max_connections=200))


def safe_request(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
    truncate: bool = False,
) -> Answer:
    """One request to a checked URL within ``timeout`` seconds overall, reading at most
    ``max_bytes`` of the answer (``ResponseTooLarge`` beyond, or the first ``max_bytes`` when
    ``truncate``). Raises ``UnsafeUrl`` and ``httpx.HTTPError`` (timeouts included)."""
    target = url_check(url)
    started = time.monotonic()
    request_headers = {**(headers or {}), "Host": target.host}
    with _client().stream(
        method,
        target.url,
        headers=request_headers,
        content=content,
        timeout=httpx.Timeout(timeout),
        extensions={"sni_hostname": target.server_name},
    ) as response:
        body = bytearray()
        truncated = False
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > max_bytes:
                if not truncate:
                    raise ResponseTooLarge()
                del body[max_bytes:]
                truncated = True
                break
            if time.monotonic() - started > timeout:
                raise httpx.ReadTimeout("answer too slow")
    return Answer(
        status_code=response.status_code,
        headers=response.headers,
        body=bytes(body),
        truncated=truncated,
        latency_ms=int((time.monotonic() - started) * 1000),
    )
