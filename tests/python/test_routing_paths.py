"""Routing sees the decoded path, as the app does; an encoded slash stays inside its segment."""

import pytest
from rawhttp import get


@pytest.mark.parametrize(
    "sent, route, path",
    [
        ("/caf%C3%A9", "/café", "/café"),
        ("/caf\u00e9".encode().decode("latin-1"), "/café", "/café"),
        ("/a%20b", "/a b", "/a b"),
        ("/x/%7By%7D", "/x/{{y}}", "/x/{y}"),
    ],
)
def test_encoded_literal_routes_match(routing_server, sent, route, path):
    response = routing_server.exchange(get(sent))
    assert response.status == 200
    info = response.json()
    assert (info["route"], info["path"]) == (route, path)


def test_an_encoded_slash_stays_in_its_placeholder(routing_server):
    info = routing_server.exchange(get("/files/a%2Fb%20c")).json()
    assert info["route"] == "/files/{name}"
    assert info["match_dict"] == {"name": "a/b c"}
    assert info["path"] == "/files/a/b c"


def test_placeholders_are_decoded_exactly_once(routing_server):
    info = routing_server.exchange(get("/files/100%252F/meta")).json()
    assert info["route"] == "/files/{name}/meta"
    assert info["match_dict"] == {"name": "100%2F"}


def test_an_unencoded_slash_still_separates_segments(routing_server):
    assert routing_server.exchange(get("/files/a/b")).status == 404


def test_absolute_form_authority_wins_over_host(routing_server):
    request = b"GET http://a.example:81/files/z HTTP/1.1\r\nHost: b.example\r\n\r\n"
    info = routing_server.exchange(request).json()
    assert (info["hostname"], info["port"], info["match_dict"]) == ("a.example", 81, {"name": "z"})
