"""Reading a request body: as text in the request's charset, as JSON (with orjson)."""

from __future__ import annotations

import json
from typing import Any

import orjson

DEFAULT_CHARSET = "utf-8"
_UTF8_NAMES = ("utf-8", "utf8")


class InvalidJSON(json.JSONDecodeError):
    """request.json: the body is not JSON.

    A json.JSONDecodeError (so a ValueError), as japronto's was: `msg` says
    what is wrong, `doc` is the text parsed, `pos`/`lineno`/`colno` where.
    """


def decode_text(body: bytes, charset: str | None) -> str:
    """`body` decoded with `charset` (utf-8 when None); strict.

    Raises UnicodeDecodeError for bytes that are not valid in the charset and
    LookupError, naming the charset, for a charset Python does not know as a
    text encoding.
    """
    charset = charset or DEFAULT_CHARSET
    try:
        return body.decode(charset)
    except LookupError as exc:
        raise LookupError(
            f"request charset {charset!r} is not a text encoding Python knows ({exc})"
        ) from None


def parse_json(body: bytes, charset: str | None) -> Any:
    """`body` parsed as JSON; raises InvalidJSON saying what is wrong and where.

    JSON is UTF-8 (RFC 8259 8.1); a body that declares another charset is
    decoded with it first.
    """
    try:
        if charset is None or charset in _UTF8_NAMES:
            return orjson.loads(body)
        return orjson.loads(decode_text(body, charset))
    except orjson.JSONDecodeError as exc:
        raise InvalidJSON(f"request body is not valid JSON: {exc.msg}", exc.doc, exc.pos) from None
    except UnicodeDecodeError as exc:
        doc = body.decode(charset or DEFAULT_CHARSET, "replace")
        raise InvalidJSON(
            f"request body is not valid JSON: not valid {charset} text ({exc.reason})", doc,
            exc.start,
        ) from None
