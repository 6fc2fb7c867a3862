"""Behind a reverse proxy: request.remote_addr and request.scheme from X-Forwarded-For/-Proto.

Only a peer listed in `forwarded_allow_ips` is believed. Without proxy
headers, `remote_addr` is the engine's own attribute and costs nothing more.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from ._native import Request

R = TypeVar("R", bound=Request)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Trust = Callable[[str], bool]

DEFAULT_ALLOW_IPS = "127.0.0.1"
SCHEMES = ("http", "https")


def parse_allow_ips(spec: str | Iterable[str]) -> tuple[Network, ...] | None:
    """'127.0.0.1, 10.0.0.0/8, ::1' -> a tuple of networks; '*' -> None (every peer).

    Raises ValueError naming the entry that is neither an address nor a network.
    """
    if isinstance(spec, str):
        spec = spec.split(",")
    entries = [entry.strip() for entry in spec if entry.strip()]
    if "*" in entries:
        return None
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"forwarded_allow_ips: {entry!r} is not an IP address or network") \
                from None
    return tuple(networks)


def make_trust(networks: tuple[Network, ...] | None) -> Trust:
    """A function telling whether an address (a string) is in `networks` (None: all are)."""
    if networks is None:
        return lambda address: True

    @functools.lru_cache(maxsize=1024)
    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in networks)

    return trusted


def client_address(peer: str, forwarded_for: list[str], trusted: Trust) -> str:
    """The client's address: `peer` unless it is trusted and X-Forwarded-For says more.

    `forwarded_for` lists the hops in order ('client, proxy1, proxy2'); each
    trusted proxy appended the address it received from. Read from the
    right, the first untrusted address is the client: what a client wrote
    into the header itself stays to the left of it and is ignored. When every
    hop is trusted, the leftmost is the client.
    """
    if not forwarded_for or not trusted(peer):
        return peer
    hops = [hop.strip() for hop in ",".join(forwarded_for).split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not trusted(hop):
            return hop
    return hops[0] if hops else peer


def forwarded_scheme(peer: str, forwarded_proto: list[str], trusted: Trust,
                     own: str = "http") -> str:
    """What a trusted peer says in X-Forwarded-Proto (its last value), else `own`.

    `own` is the connection's scheme: 'https' when Lesto itself speaks TLS.
    """
    if forwarded_proto and trusted(peer):
        values = [v.strip().lower() for v in ",".join(forwarded_proto).split(",") if v.strip()]
        if values and values[-1] in SCHEMES:
            return values[-1]
    return own


def trusted_proxies(forwarded_allow_ips: str | Iterable[str] | None = None) -> Trust:
    """The trust function of `forwarded_allow_ips` (None: DEFAULT_ALLOW_IPS); see parse_allow_ips."""
    allow = DEFAULT_ALLOW_IPS if forwarded_allow_ips is None else forwarded_allow_ips
    return make_trust(parse_allow_ips(allow))


def _own_scheme(request: Request) -> str:
    """The engine's request.scheme ('https' over TLS), which the proxy's property hides."""
    scheme: str = vars(Request)["scheme"].__get__(request)
    return scheme


def request_class(base: type[R], trusted: Trust | None = None) -> type[R]:
    """The class of the requests the engine makes for an app whose request class is `base`.

    `base` itself is never changed. With `trusted` None (no proxy headers),
    `base`: its `scheme` is the engine's ('https' over TLS), or the app's
    (extend_request). With `trusted`, a trust function (trusted_proxies), a
    subclass whose `remote_addr` and `scheme` come from X-Forwarded-For and
    X-Forwarded-Proto when the peer is trusted; a `scheme` of the app's is
    then a ValueError.
    """
    if trusted is None:
        return base
    if any("scheme" in vars(k) for k in base.__mro__ if k is not Request):
        raise ValueError("proxy headers: request.scheme already exists (an extend_request "
                         "name?); rename it")

    def remote_addr(request: Request) -> str:
        """The client's address: X-Forwarded-For's when the peer is a trusted proxy."""
        return client_address(request.peer_addr, request.headers.getall("X-Forwarded-For"),
                              trusted)

    def scheme(request: Request) -> str:
        """'https' or 'http': X-Forwarded-Proto's when the peer is a trusted proxy."""
        return forwarded_scheme(request.peer_addr, request.headers.getall("X-Forwarded-Proto"),
                                trusted, _own_scheme(request))

    return _subclass(base, remote_addr=property(remote_addr), scheme=property(scheme))


def _subclass(base: type[R], **attributes: object) -> type[R]:
    return cast("type[R]", type(base.__name__, (base,),
                                {"__slots__": (), "__module__": base.__module__, **attributes}))
