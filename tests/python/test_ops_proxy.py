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


def test_configure_off_leaves_the_engines_remote_addr_and_says_http():
    app = Application()
    proxy.configure(app.request_class, False)
    assert "remote_addr" not in vars(app.request_class)  # the C attribute: no cost added
    assert app.request_class.remote_addr is EngineRequest.remote_addr
    assert "scheme" in vars(app.request_class)


def test_configure_on_then_off_again():
    app = Application()
    proxy.configure(app.request_class, True, "10.0.0.1")
    assert isinstance(vars(app.request_class)["remote_addr"], property)
    proxy.configure(app.request_class, False)
    assert "remote_addr" not in vars(app.request_class)


def test_a_scheme_extension_is_the_apps_and_conflicts_with_proxy_headers():
    app = Application()
    app.extend_request(lambda request: "mine", name="scheme", property=True)
    proxy.configure(app.request_class, False)
    assert vars(app.request_class)["scheme"].fget(None) == "mine"
    with pytest.raises(ValueError, match="request.scheme already exists"):
        proxy.configure(app.request_class, True)
