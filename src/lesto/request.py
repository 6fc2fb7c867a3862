"""Request: what a handler receives; hot attributes live in the C++ base type, derived ones here."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import _native
from .body import decode_text, parse_json
from .content_type import parse_content_type
from .cookies import parse_cookies
from .forms import UploadedFile, parse_form
from .host import parse_host
from .multidict import MultiDict
from .query import parse_query

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on

    from .app import Application

T = TypeVar("T")


class _cached(functools.cached_property[T]):
    """An attribute computed on first access, then kept on the request.

    The value lands in the request's instance dict, which the engine empties
    before it hands the object to the next request; `extra` stays the app's.
    A computation that raises is not kept: the next access raises again.
    functools.cached_property itself needs a `__dict__` attribute, which the
    engine's type does not show, and takes a lock on Python < 3.12.
    """

    def __set_name__(self, owner: type[object], name: str) -> None:
        super().__set_name__(owner, name)
        self.name = name  # attrname's value, as a str for the type checker

    @overload
    def __get__(self, request: None, owner: type[object] | None = None) -> Self: ...
    @overload
    def __get__(self, request: object, owner: type[object] | None = None) -> T: ...

    def __get__(self, request: object, owner: type[object] | None = None) -> Self | T:
        if request is None:
            return self
        value = self.func(request)
        # No data descriptor of this name: the instance dict wins from now on.
        object.__setattr__(request, self.name, value)
        return value


def _first_header(request: _native.Request, name: str) -> str | None:
    values = request.headers.getall(name)
    return values[0] if values else None


class Request(_native.Request):
    """An HTTP request.

    From the engine: `method`, `path`, `version`, `query_string`, `headers`,
    `body`, `match_dict`, `keep_alive`, `remote_addr`, `route` and `extra`,
    read lazily from its parsed views; `request.Response(...)` builds a
    response. Derived here, each computed on first access and kept for the
    rest of the request: `query`, `mime_type`, `encoding`, `text`, `json`,
    `form`, `files`, `cookies`, `hostname`, `port`. `app` is the Application.
    """

    __slots__ = ()

    # None here; each Application's request class names its app, and only
    # those classes are instantiated: to a handler, `request.app` is never None.
    app: Application = None  # type: ignore[assignment]

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives: an async iterator of bytes pieces.

        In a `stream_body=True` route the pieces come as the client sends
        them, each read from the socket only when asked for (the client is
        held back meanwhile); elsewhere the whole body is one piece. A body
        that cannot be read to its end (the client left, or broke its
        framing) raises lesto.ClientDisconnected.
        """
        reader = self.body_reader
        if reader is None:
            body = self.body
            if body:
                yield body
            return
        while piece := await reader.read():
            yield piece

    async def read(self) -> bytes:
        """The whole body as bytes (b'' without one), also in a `stream_body=True` route."""
        if self.body_reader is None:
            return self.body or b""
        return b"".join([piece async for piece in self.stream()])

    @_cached
    def query(self) -> MultiDict[str]:
        """The query string decoded ('+' a space, %XX a byte, UTF-8): a MultiDict.

        `query['a']` is the last value of `a`, `query.getall('a')` every one;
        empty without a query string. A name without '=' has the value ''.
        """
        return parse_query(self.query_string)

    @_cached
    def _content_type(self) -> tuple[str | None, str | None]:
        return parse_content_type(_first_header(self, "Content-Type"))

    @_cached
    def mime_type(self) -> str | None:
        """The media type of Content-Type, lower-cased ('text/html'); None without one."""
        return self._content_type[0]

    @_cached
    def encoding(self) -> str | None:
        """The charset of Content-Type, lower-cased ('iso-8859-1'); None without one."""
        return self._content_type[1]

    @_cached
    def text(self) -> str | None:
        """The body decoded with `encoding` (UTF-8 when none); None without a body.

        Strict: bytes not valid in the charset raise UnicodeDecodeError.
        """
        body = self.body
        return None if body is None else decode_text(body, self.encoding)

    @_cached
    def json(self) -> Any:
        """The body parsed as JSON (orjson); None when there is no body or it is empty.

        A body that is not JSON raises lesto.body.InvalidJSON, a
        json.JSONDecodeError saying what is wrong and where.
        """
        body = self.body
        return None if not body else parse_json(body, self.encoding)

    @_cached
    def _form_and_files(self) -> tuple[MultiDict[str] | None, MultiDict[UploadedFile] | None]:
        return parse_form(self.body, _first_header(self, "Content-Type"))

    @_cached
    def form(self) -> MultiDict[str] | None:
        """Fields of a urlencoded or multipart/form-data body: a MultiDict of str.

        None when the Content-Type is neither (as in japronto); empty without
        a body. A malformed multipart body raises lesto.forms.FormError.
        """
        return self._form_and_files[0]

    @_cached
    def files(self) -> MultiDict[UploadedFile] | None:
        """File parts of a multipart/form-data body: a MultiDict of UploadedFile.

        Keyed by field; each has japronto's `type`, `body` and `name` (the file
        name), and `filename`, `field_name`, `content_type`. None when the
        Content-Type is not multipart/form-data (as in japronto).
        """
        return self._form_and_files[1]

    @_cached
    def cookies(self) -> dict[str, str]:
        """The Cookie header as a dict of name to str value (see lesto.cookies)."""
        return parse_cookies("; ".join(self.headers.getall("Cookie")))

    @_cached
    def _host(self) -> tuple[str | None, int | None]:
        # `host` is an absolute-form target's authority, which wins over the
        # Host header (RFC 9112 3.2.2), else the Host header itself.
        return parse_host(self.host)

    @_cached
    def hostname(self) -> str | None:
        """The host's name, lower-cased, IDNA decoded, IPv6 unbracketed; None without one."""
        return self._host[0]

    @_cached
    def port(self) -> int | None:
        """The host's port as an int; None when it names none."""
        return self._host[1]
