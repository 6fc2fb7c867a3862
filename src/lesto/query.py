"""Query strings and urlencoded forms: name=value pairs decoded with the rules of urllib.parse."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .multidict import MultiDict


def parse_pairs(data: bytes, charset: str = "utf-8") -> MultiDict[str]:
    """Decode `a=1&b=x+y&a=%C3%A9` into a MultiDict of str.

    '+' is a space and %XX a byte, as urllib.parse.parse_qsl does; pairs are
    separated by '&' only. A name without '=' or with an empty value is kept
    with the value ''. The bytes are then decoded with `charset`; bytes that
    are not valid in it become U+FFFD, as urllib does.
    """
    # latin-1 maps bytes to characters one to one: parse as text, then take
    # the bytes back out and decode them with the real charset.
    pairs = parse_qsl(data.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return MultiDict((_decode(name, charset), _decode(value, charset)) for name, value in pairs)


def _decode(text: str, charset: str) -> str:
    return text.encode("latin-1").decode(charset, "replace")


def parse_query(query_string: str | bytes | None) -> MultiDict[str]:
    """request.query: the decoded query string; empty when there is none.

    `query_string` is the raw query as the engine gives it, one character per
    byte received (latin-1), so that raw UTF-8 bytes a client sent unescaped
    decode the same as their %XX form. Names and values are UTF-8.
    """
    if not query_string:
        return MultiDict()
    if isinstance(query_string, bytes):
        return parse_pairs(query_string)
    try:
        data = query_string.encode("latin-1")
    except UnicodeEncodeError:  # not from the engine: a str of any characters
        data = query_string.encode("utf-8")
    return parse_pairs(data)
