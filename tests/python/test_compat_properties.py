"""Hypothesis through the engine, in memory: header names as japronto showed them, request data as JSON.

One server per loop for the whole module (the fixture is per test, not per
example: its log check covers every example of the test).
"""

import string
import urllib.parse

import pytest
from conftest import _checked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memory_server import memory_session_server
from rawhttp import get, post

_compat_process = memory_session_server("compat_data_app")


@pytest.fixture
def compat(_compat_process):
    yield from _checked(_compat_process)


EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def japronto_name(name):
    """japronto's header name rule: a letter after a letter lower case, any other letter upper case."""
    out = []
    after_letter = False
    for c in name:
        letter = c in string.ascii_letters
        out.append((c.lower() if after_letter else c.upper()) if letter else c)
        after_letter = letter
    return "".join(out)


# RFC 9110 token characters.
TOKEN = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
# Names the server reads itself (framing, connection, host): they would change the exchange.
SERVER_NAMES = {"host", "content-length", "transfer-encoding", "connection", "expect", "upgrade",
                "te", "trailer", "keep-alive", "proxy-connection"}

names = st.text(TOKEN, min_size=1, max_size=24).filter(lambda n: n.lower() not in SERVER_NAMES)
# Field values: visible ASCII with spaces inside, none at the ends (the parser trims them).
values = st.text(string.ascii_letters + string.digits + string.punctuation + " ", max_size=20).map(
    str.strip)


@st.composite
def any_case(draw, name):
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in name)


@st.composite
def header_lines(draw):
    """1-6 header lines; some names come again in another case."""
    lines = draw(st.lists(st.tuples(names, values), min_size=1, max_size=6))
    for _ in range(draw(st.integers(0, 2))):
        name, _ = draw(st.sampled_from(lines))
        lines.append((draw(any_case(name)), draw(values)))
    return lines


@given(data=st.data())
@EXAMPLES
def test_header_names_follow_japrontos_rule_and_lookup_ignores_case(compat, data):
    lines = data.draw(header_lines())
    asked, _ = data.draw(st.sampled_from(lines))
    variant = data.draw(any_case(asked))
    response = compat.exchange(get("/names?v=" + urllib.parse.quote(variant, safe=""),
                                   headers=lines))
    assert response.status == 200, response
    info = response.json()
    assert info["raw"] == ["Host"] + [japronto_name(name) for name, _ in lines]
    # One name per header, in first appearance, shown alike whatever case each line used.
    assert info["names"] == list(dict.fromkeys(info["raw"]))
    sent = [value for name, value in lines if name.lower() == variant.lower()]
    assert info["getall"] == sent
    assert info["get"] == ", ".join(sent)
    assert info["in"] is True


def exchange_three(server, make_request, attr):
    """Response(json=mapping), the pairs the handler read, and the mapping nested: one connection."""
    with server.connect() as conn:
        for prefix in ("json", "seen", "nested"):
            conn.send(make_request(f"/{prefix}/{attr}"))
        encoded, seen, nested = conn.read_responses(3)
    assert encoded.status == seen.status == nested.status == 200, (encoded, seen, nested)
    return encoded.json(), seen.json(), nested.json()


def assert_encodes_what_the_handler_saw(encoded, seen, nested):
    assert list(encoded.items()) == [tuple(pair) for pair in seen]
    assert nested == {"value": encoded, "list": [encoded, {"again": encoded}]}


# Any text but lone surrogates (which no client can send as UTF-8).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
pairs = st.lists(st.tuples(texts, texts), max_size=6)


def urlencoded(items):
    return "&".join(f"{urllib.parse.quote(n, safe='')}={urllib.parse.quote(v, safe='')}"
                    for n, v in items)


@given(items=pairs)
@EXAMPLES
def test_query_encodes_as_the_mapping_the_handler_saw(compat, items):
    query = urlencoded(items)
    encoded, seen, nested = exchange_three(compat, lambda path: get(f"{path}?{query}"), "query")
    assert_encodes_what_the_handler_saw(encoded, seen, nested)
    assert encoded == dict(items)  # a repeated name: its last value


@given(items=pairs)
@EXAMPLES
def test_form_encodes_as_the_mapping_the_handler_saw(compat, items):
    body = urlencoded(items).encode()
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    encoded, seen, nested = exchange_three(compat, lambda path: post(path, body, headers=form),
                                           "form")
    assert_encodes_what_the_handler_saw(encoded, seen, nested)
    assert encoded == dict(items)


@given(lines=header_lines())
@EXAMPLES
def test_headers_encode_as_the_mapping_the_handler_saw(compat, lines):
    encoded, seen, nested = exchange_three(compat, lambda path: get(path, headers=lines),
                                           "headers")
    assert_encodes_what_the_handler_saw(encoded, seen, nested)
    expected = {"Host": "localhost"}
    for name, value in lines:  # a repeated name: its values joined by ", "
        shown = japronto_name(name)
        expected[shown] = f"{expected[shown]}, {value}" if shown in expected else value
    assert encoded == expected
