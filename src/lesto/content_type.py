"""Header values with parameters: Content-Type (media type, charset), Content-Disposition (name)."""

from __future__ import annotations


def _split_params(value: str) -> list[str]:
    """Split at ';' outside double quotes."""
    parts = []
    start = 0
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if quoted and c == "\\":
            i += 1  # the escaped character, whatever it is
        elif c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    parts.append(value[start:])
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # Only \\ and \" are undone: a Windows path a client sent as a
        # filename keeps its backslashes (browsers do not escape them).
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_header_params(value: str | None) -> tuple[str, dict[str, str]]:
    """'Text/HTML; Charset="utf-8"; q' -> ('text/html', {'charset': 'utf-8', 'q': ''}).

    The first item and the parameter names are lower-cased; parameter values
    are unquoted and otherwise kept as sent. A parameter given twice keeps its
    first value. None or '' gives ('', {}).
    """
    if not value:
        return "", {}
    first, *rest = _split_params(value)
    params: dict[str, str] = {}
    for item in rest:
        name, _, param_value = item.partition("=")
        name = name.strip().lower()
        if name and name not in params:
            params[name] = _unquote(param_value.strip())
    return first.strip().lower(), params


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """A Content-Type value -> (mime_type, charset); None for what is absent.

    'text/html; charset=ISO-8859-1' gives ('text/html', 'iso-8859-1'): both
    lower-cased, as they are case-insensitive (RFC 9110 8.3.1, 8.3.2).
    """
    mime_type, params = parse_header_params(value)
    charset = params.get("charset")
    return mime_type or None, charset.lower() if charset else None
