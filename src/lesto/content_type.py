"""Header values with parameters: Content-Type (media type, charset), Content-Disposition (name).

python-multipart's parse_options_header parses them (the multipart parser's
own reading of part headers); this module hands its results over as str.
"""

from __future__ import annotations

from python_multipart.multipart import parse_options_header


def parse_header_params(value: str | None) -> tuple[str, dict[str, str]]:
    """'Text/HTML; Charset="utf-8"; q' -> ('text/html', {'charset': 'utf-8', 'q': ''}).

    The first item and the parameter names (those followed by '=') are
    lower-cased; parameter values are unquoted (`\\"` and `\\\\` undone) and
    otherwise kept as sent, but for a `filename` holding a Windows path
    ('C:\\dir\\f.txt', as old Internet Explorer sent), which is cut to its
    last part. A parameter given twice keeps its last value; RFC 5987
    `name*=` parameters are left out (RFC 7578 4.2 forbids them in forms).
    None or '' gives ('', {}).
    """
    if not value:
        return "", {}
    # The library parses bytes, splitting at ASCII characters only. A
    # request's header value is a character per byte received (latin-1); a
    # multipart part's header is read as UTF-8 (RFC 7578 5.1), so its names
    # and file names may hold any character: UTF-8 carries them through.
    try:
        raw, charset = value.encode("latin-1"), "latin-1"
    except UnicodeEncodeError:
        raw, charset = value.encode("utf-8"), "utf-8"
    first, params = parse_options_header(raw)
    # lower(): python-multipart lower-cases the first item from 0.0.33 on,
    # which needs Python 3.11; on 3.10 pip installs 0.0.32 at most.
    return first.decode(charset, "replace").lower(), {
        name.decode(charset, "replace"): param.decode(charset, "replace")
        for name, param in params.items()
    }


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """A Content-Type value -> (mime_type, charset); None for what is absent.

    'text/html; charset=ISO-8859-1' gives ('text/html', 'iso-8859-1'): both
    lower-cased, as they are case-insensitive (RFC 9110 8.3.1, 8.3.2).
    """
    mime_type, params = parse_header_params(value)
    charset = params.get("charset")
    return mime_type or None, charset.lower() if charset else None
