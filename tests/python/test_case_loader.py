"""Unit tests of cases.py, the loader of tests/cases/*.cases (no server involved)."""

import pytest
from cases import CaseFormatError, parse_cases, parse_literals


def test_literals_with_every_escape():
    assert parse_literals(r'"a\r\n\t\0\\\"\x41\xff"') == [b'a\r\n\t\0\\"A\xff']


def test_literals_concatenate_and_repeat():
    assert parse_literals('"ab"*3 "c" "-"* 2') == [b"ababab", b"c", b"--"]


@pytest.mark.parametrize("text, message", [
    ('"abc', "unterminated"),
    ('"a\\', "dangling backslash"),
    ('"\\q"', "unknown escape"),
    ('"\\x4"', "two hex digits"),
    ('"a"*', "count of 1 to 7 digits"),
    ('"a"*12345678', "count of 1 to 7 digits"),
    ("abc", "expected a string literal"),
])
def test_bad_literals_are_refused(text, message):
    with pytest.raises(CaseFormatError, match=message):
        parse_literals(text)


def test_a_case_with_every_key():
    text = r"""
# a comment
[case full]
request: "POST /p?q=1 HTTP/1.1\r\n" "Host: h\r\nContent-Length: 2\r\n\r\nokGET"
expect: complete
method: POST
target: /p?q=1
path: /p
query: "q=1"
has_query: true
version: 1.1
host: h
header: "Host" "h"
header: "Content-Length" "2"
body: "o" "k"
keep_alive: true
expect_continue: false
rest: "GET"

[case error]
request: "BAD\r\n\r\n"
expect: 400
reason: bad
"""
    full, error = parse_cases(text, "t")
    assert full.request.endswith(b"okGET")
    assert full.complete() and full.status == 0
    assert (full.method, full.target, full.path, full.query, full.host) == (
        b"POST", b"/p?q=1", b"/p", b"q=1", b"h")
    assert full.has_query is True and full.keep_alive is True and full.expect_continue is False
    assert full.version_minor == 1
    assert full.headers == [(b"Host", b"h"), (b"Content-Length", b"2")]
    assert full.body == b"ok" and full.rest == b"GET"
    assert full.request_size() == len(full.request) - 3
    assert (full.line, error.line) == (3, 20)
    assert not error.complete() and error.status == 400 and error.reason == b"bad"
    assert error.id() == "t_error"


@pytest.mark.parametrize("text, message", [
    ('[case a]\nrequest: "x"\n[case a]\nrequest: "y"', "t.cases:3: duplicate case name"),
    ('request: "x"', "t.cases:1: key outside a case"),
    ('[case a]\nexpect: complete', "t.cases:1: case has no request"),
    ('[case a]\nrequest: "x"\nrest: "y"', "t.cases:1: rest is not a suffix"),
    ('[case a]\nrequest: "x"\nexpect: 400\npath: /', "error case cannot expect request fields"),
    ('[case a]\nrequest: "x"\nexpect: 600', "t.cases:3: expect: status out of range"),
    ('[case a]\nrequest: "x"\nexpect: maybe', "expect must be 'complete' or a status"),
    ('[case a]\nrequest: "x"\nversion: 2.0', "version must be 1.0 or 1.1"),
    ('[case a]\nrequest: "x"\nkeep_alive: yes', "expected true or false"),
    ('[case a]\nrequest: "x"\nheader: "only-name"', "header needs two literals"),
    ('[case a]\nrequest: "x"\ncolour: red', "unknown key 'colour'"),
    ('[case a]\nrequest "x"', "expected 'key: value'"),
    ("[case a", "must end with ']'"),
    ("[case ]", "case without a name"),
])
def test_malformed_files_name_file_line_and_problem(text, message):
    with pytest.raises(CaseFormatError, match=message):
        parse_cases(text, "t")
