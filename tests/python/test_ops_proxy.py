"""Proxy headers as pure functions: trusted peers, the X-Forwarded-For walk, the scheme, install."""

import pytest

from lesto import Application, proxy
from lesto._native import Request as EngineRequest

LOCAL = proxy.make_trust(proxy.parse_allow_ips("127.0.0.1, 10.0.0.0/8, ::1"))


def test_allow_ips_are_addresses_and_networks_or_star():
    assert proxy.parse_allow_ips("*") is None
    assert proxy.parse_allow_ips(["10.1.2.3", " "]) == (proxy.ipaddress.ip_network("10.1.2.3"),)
    with pytest.raises(ValueError, match="'nope' is not an IP address or network"):
        proxy.parse_allow_ips("127.0.0.1,nope")


@pytest.mark.parametrize("address, trusted", [
    ("127.0.0.1", True), ("10.200.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("127.0.0.2", False), ("203.0.113.7", False), ("unknown", False), ("", False),
])
def test_trust(address, trusted):
    assert LOCAL(address) is trusted


@pytest.mark.parametrize("peer, forwarded_for, client", [
    ("127.0.0.1", [], "127.0.0.1"),  # no header: the peer
    ("127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # untrusted peer: header ignored
    # A client's own X-Forwarded-For stays left of what the proxy appended.
    ("127.0.0.1", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),
    ("127.0.0.1", ["203.0.113.7, 10.0.0.2"], "203.0.113.7"),  # through two trusted proxies
    ("127.0.0.1", ["203.0.113.7", "10.0.0.2"], "203.0.113.7"),  # repeated header lines
    ("127.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # every hop trusted: the leftmost
    ("127.0.0.1", [" , "], "127.0.0.1"),
    ("127.0.0.1", ["unknown"], "unknown"),
])
def test_client_address_walks_from_the_right(peer, forwarded_for, client):
    assert proxy.client_address(peer, forwarded_for, LOCAL) == client


@pytest.mark.parametrize("peer, proto, scheme", [
    ("127.0.0.1", ["https"], "https"),
    ("127.0.0.1", ["HTTPS "], "https"),
    ("127.0.0.1", ["http, https"], "https"),
    ("127.0.0.1", ["gopher"], "http"),
    ("127.0.0.1", [], "http"),
    ("203.0.113.9", ["https"], "http"),
])
def test_forwarded_scheme(peer, proto, scheme):
    assert proxy.forwarded_scheme(peer, proto, LOCAL) == scheme


def test_without_proxy_headers_remote_addr_and_scheme_are_the_engines():
    app = Application()
    served = proxy.request_class(app.request_class)
    assert issubclass(served, app.request_class)
    assert served.remote_addr is EngineRequest.remote_addr  # the C attribute: no cost added
    assert served.scheme is EngineRequest.scheme  # 'https' when the engine speaks TLS


def test_proxy_headers_replace_remote_addr_and_leave_the_apps_class_alone():
    app = Application()
    before = dict(vars(app.request_class))
    served = proxy.request_class(app.request_class, proxy.trusted_proxies("10.0.0.1"))
    assert isinstance(vars(served)["remote_addr"], property)
    assert served.peer_addr is EngineRequest.peer_addr  # what the properties start from
    assert dict(vars(app.request_class)) == before


def test_run_refuses_unknown_forwarded_allow_ips_before_serving():
    with pytest.raises(ValueError, match="'nope' is not an IP address or network"):
        Application().run(proxy_headers=True, forwarded_allow_ips="nope")


def test_scheme_is_the_engines_and_cannot_be_an_extension():
    app = Application()
    with pytest.raises(ValueError, match="request.scheme already exists"):
        app.extend_request(lambda request: "mine", name="scheme", property=True)


def test_a_scheme_of_the_apps_request_class_conflicts_with_proxy_headers():
    class Mine(EngineRequest):
        scheme = property(lambda request: "mine")

    assert proxy.request_class(Mine) is Mine
    with pytest.raises(ValueError, match="request.scheme already exists"):
        proxy.request_class(Mine, proxy.trusted_proxies())
