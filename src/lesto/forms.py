"""Form bodies: request.form and request.files, from urlencoded and multipart/form-data requests.

Multipart framing is parsed by python-multipart (the parser Starlette uses);
this module turns its parts into fields and files.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser

from .content_type import parse_header_params
from .multidict import MultiDict
from .query import parse_pairs

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

# python-multipart logs each parse error as a warning before raising it; the
# FormError carries the message, so a client's bad body leaves no log line.
_QUIET = logging.Logger("lesto.forms.multipart")  # noqa: LOG001 (unmanaged: config never re-enables it)
_QUIET.disabled = True


class FormError(ValueError):
    """A form body that cannot be parsed: bad multipart framing, no boundary, a nameless part."""


class UploadedFile:
    """A file part of a multipart/form-data body.

    japronto's File attributes keep their meaning: `type` is the part's media
    type (lower-cased, without parameters; None when the part has no
    Content-Type), `body` its bytes and `name` the file name the client gave
    ('' when a browser sends a file input left empty). Besides those:
    `filename` is that file name again, `field_name` the form field the file
    came in (the key in request.files) and `content_type` the part's whole
    Content-Type value, parameters included (None without one).
    """

    __slots__ = ("body", "content_type", "field_name", "filename", "type")

    def __init__(self, field_name: str, filename: str, content_type: str | None,
                 body: bytes) -> None:
        self.field_name = field_name
        self.filename = filename
        self.content_type = content_type
        self.type = parse_header_params(content_type)[0] or None
        self.body = body

    @property
    def name(self) -> str:
        """The file name, as in japronto (the field is `field_name`)."""
        return self.filename

    def __repr__(self) -> str:
        return (f"UploadedFile(field_name={self.field_name!r}, filename={self.filename!r}, "
                f"content_type={self.content_type!r}, {len(self.body)} bytes)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UploadedFile):
            return NotImplemented
        return (self.field_name, self.filename, self.content_type, self.body) == (
            other.field_name, other.filename, other.content_type, other.body)

    # Unhashable, as it compares by value; typeshed types __hash__ as a method only.
    __hash__ = None  # type: ignore[assignment]


class _Collector:
    """python-multipart callbacks that keep each part's headers and data."""

    def __init__(self) -> None:
        self.parts: list[tuple[list[tuple[bytes, bytes]], bytes]] = []
        self.ended = False
        self._headers: list[tuple[bytes, bytes]] = []
        self._field = bytearray()
        self._value = bytearray()
        self._data = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_part_data": lambda data, start, end: self._data.extend(data[start:end]),
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = []
        self._data = bytearray()

    def _header_end(self) -> None:
        self._headers.append((bytes(self._field).lower(), bytes(self._value)))
        self._field.clear()
        self._value.clear()

    def _part_end(self) -> None:
        self.parts.append((self._headers, bytes(self._data)))

    def _end(self) -> None:
        self.ended = True


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for n, value in headers:
        if n == name:
            # RFC 7578 5.1: names and file names are sent as UTF-8.
            return value.decode("utf-8", "replace")
    return None


def parse_multipart(
    body: bytes, boundary: str | None, charset: str | None
) -> tuple[MultiDict[str], MultiDict[UploadedFile]]:
    """Fields and files of a multipart/form-data body; raises FormError."""
    if not boundary:
        raise FormError("multipart/form-data request without a boundary in its Content-Type")
    collector = _Collector()
    try:
        parser = MultipartParser(boundary.encode("latin-1", "replace"), collector.callbacks())
        parser.logger = _QUIET
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise FormError(f"malformed multipart/form-data body: {exc}") from None
    if not collector.ended:
        raise FormError("multipart/form-data body ends before its closing boundary "
                        f"--{boundary}--")
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, UploadedFile]] = []
    for number, (headers, data) in enumerate(collector.parts, 1):
        disposition, params = parse_header_params(_header(headers, b"content-disposition"))
        if disposition != "form-data" or "name" not in params:
            raise FormError(f"multipart part {number} has no 'Content-Disposition: form-data; "
                            "name=...' header")
        name = params["name"]
        content_type = _header(headers, b"content-type")
        if "filename" in params:
            files.append((name, UploadedFile(name, params["filename"], content_type, data)))
        else:
            part_charset = parse_header_params(content_type)[1].get("charset") or charset
            fields.append((name, data.decode(part_charset or "utf-8", "replace")))
    return MultiDict(fields), MultiDict(files)


def parse_form(
    body: bytes | None, content_type: str | None
) -> tuple[MultiDict[str] | None, MultiDict[UploadedFile] | None]:
    """(form, files) of a request: a MultiDict of str and one of UploadedFile, or None.

    As in japronto, form is None unless `content_type` (the request's
    Content-Type) is urlencoded or multipart/form-data, and files is None
    unless it is multipart/form-data: an app can tell "no form was sent"
    from "an empty form was sent". Without a body they are empty. Field
    values are decoded with the part's charset, else the request's, else
    UTF-8, bytes not valid in it becoming U+FFFD. Raises FormError.
    """
    mime_type, params = parse_header_params(content_type)
    if mime_type not in (URLENCODED, MULTIPART):
        return None, None
    charset = params.get("charset")
    try:
        if mime_type == URLENCODED:
            return parse_pairs(body or b"", charset or "utf-8"), None
        if not body:
            return MultiDict(), MultiDict()
        return parse_multipart(body, params.get("boundary"), charset)
    except LookupError as exc:
        raise FormError(f"form charset is not a text encoding Python knows: {exc}") from None
