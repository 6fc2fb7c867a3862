"""Limits and timeouts: the engine's names, refused when wrong, effective over sockets, documented."""

import re
from pathlib import Path

import pytest
from rawhttp import chunked

from lesto import Application, _native

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table(first_column):
    """{name: default} of the README table whose header starts with `first_column`."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index(f"| {first_column} | default"):].split("\n\n", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| `(\w+)` \| (\d+) \|", table, re.M)}


@pytest.mark.parametrize("heading, engine", [("limit", _native.LIMITS),
                                             ("timeout", _native.TIMEOUTS)])
def test_the_readme_documents_every_setting_of_the_engine_with_its_default(heading, engine):
    assert readme_table(heading) == {name: default for name, (default, _) in engine.items()}


@pytest.mark.parametrize("kwargs, message", [
    ({"limits": {"max_chunk_lines": 64}}, "unknown limit max_chunk_lines; known: max_request_line"),
    ({"timeouts": {"idle": 5}}, "unknown timeout idle; known: header"),
    ({"limits": {"max_trailer_bytes": 0}}, "limit max_trailer_bytes must be a positive int, got 0"),
    ({"limits": {"max_chunk_line": "64"}}, "limit max_chunk_line must be a positive int, got '64'"),
    ({"timeouts": {"linger": True}}, "timeout linger must be a positive int, got True"),
])
def test_a_wrong_setting_is_refused_naming_it(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Application(**kwargs)


def test_every_setting_of_the_engine_is_taken_by_the_app():
    app = Application(limits={name: 7 for name in _native.LIMITS},
                      timeouts={name: 7 for name in _native.TIMEOUTS})
    assert app.limits == dict.fromkeys(_native.LIMITS, 7)
    assert app.timeouts == dict.fromkeys(_native.TIMEOUTS, 7)


# The tight app sets max_chunk_line and max_trailer_bytes to 64 (apps/tight_app.py);
# the handlers app keeps the defaults and takes the same requests.
LONG_EXTENSION = chunked("/get-or-post", [b"abc"], extension="e=" + "x" * 80)
LARGE_TRAILERS = chunked("/get-or-post", [b"abc"], trailers=[("X-Trailer", "t" * 80)])


@pytest.mark.parametrize("request_bytes, status, reason", [
    (LONG_EXTENSION, 400, b"chunk size line too long\n"),
    (LARGE_TRAILERS, 431, b"chunked trailer section too large\n"),
], ids=["max_chunk_line", "max_trailer_bytes"])
def test_chunked_limits_set_from_python_bound_the_request(tight_server, handlers_server,
                                                          request_bytes, status, reason):
    with tight_server.connect() as conn:
        conn.send(request_bytes)
        refused = conn.read_response()
    assert (refused.status, refused.body) == (status, reason)
    assert refused.header("Connection") == "close"
    with handlers_server.connect() as conn:
        conn.send(request_bytes)
        assert conn.read_response().body == b"POST ok"
