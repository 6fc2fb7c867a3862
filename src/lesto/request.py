"""Request: what a handler receives; hot attributes live in the C++ base type."""

from . import _native


class Request(_native.Request):
    """An HTTP request.

    `method`, `path`, `version`, `query_string`, `headers`, `body`,
    `match_dict`, `keep_alive`, `remote_addr`, `route` and `extra` are read
    lazily from the engine's parsed views; `request.Response(...)` builds a
    response.
    """

    __slots__ = ()
