"""request.cookies: the Cookie header parsed the way browsers write it, not by RFC grammar."""

from __future__ import annotations

import re

# What http.cookies writes inside a quoted value: \ooo octal escapes and \X.
_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    octal, char = match.groups()
    return chr(int(octal, 8)) if octal else char


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _ESCAPE.sub(_unescape, value[1:-1])
    return value


def parse_cookies(header: str | None) -> dict[str, str]:
    """'a=1; b="x y"; c' -> {'a': '1', 'b': 'x y', '': 'c'}.

    Tolerant, like browsers and Django: pairs split at ';', a pair without
    '=' is a value with an empty name (what browsers do), surrounding spaces
    dropped, a later pair of the same name wins. A double-quoted value is
    unquoted with the escapes http.cookies.SimpleCookie writes, so a cookie
    that a Lesto Response set with a SimpleCookie comes back as it was set.
    Nothing is percent-decoded. One bad pair never hides the others (a strict
    SimpleCookie.load stops at the first one it dislikes). `header` is the
    value as request.headers gives it, a character per byte; bytes that form
    UTF-8 are read as UTF-8.
    """
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    try:  # the engine gives header bytes as latin-1; browsers send cookies in UTF-8
        header = header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    for chunk in header.split(";"):
        if "=" in chunk:
            name, _, value = chunk.partition("=")
        else:
            name, value = "", chunk
        name, value = name.strip(), value.strip()
        if name or value:
            cookies[name] = _unquote(value)
    return cookies
