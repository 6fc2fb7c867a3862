"""Headers: the case-insensitive, multi-valued mapping behind request.headers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar, overload

from . import _native

D = TypeVar("D")


@_native.json_as_dict
class Headers(Mapping[str, str]):
    """Request headers in arrival order.

    Lookup ignores case; names iterate as japronto showed them: a letter after
    a letter lower case, any other upper case ('x-0a' -> 'X-0A'). A name sent
    several times maps to its values joined by ", " (RFC 9110 5.3); `getall`
    returns them one by one. Response(json=headers) encodes dict(headers).
    """

    __slots__ = ("_pairs", "_index")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)
        self._index: dict[str, tuple[str, str]] | None = None

    def _lookup(self) -> dict[str, tuple[str, str]]:
        """Lower-cased name -> (name as first received, values joined), built on first use."""
        index = self._index
        if index is None:
            index = {}
            for name, value in self._pairs:
                key = name.lower()
                if key in index:
                    index[key] = (index[key][0], index[key][1] + ", " + value)
                else:
                    index[key] = (name, value)
            self._index = index
        return index

    def __getitem__(self, name: str) -> str:
        return self._lookup()[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._lookup().values())

    def __len__(self) -> int:
        return len(self._lookup())

    @overload
    def getall(self, name: str) -> list[str]: ...
    @overload
    def getall(self, name: str, default: D) -> list[str] | D: ...

    def getall(self, name: str, default: D | None = None) -> list[str] | D:
        """All values of `name`, in the order received; `default` (or []) if absent."""
        key = name.lower()
        values = [value for n, value in self._pairs if n.lower() == key]
        if values:
            return values
        return [] if default is None else default

    def raw(self) -> list[tuple[str, str]]:
        """The header lines as (name as shown, value) pairs, repeats included."""
        return list(self._pairs)

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"

    def __str__(self) -> str:
        # As MultiDict's: japronto's headers were a dict, and apps print them.
        return str(dict(self))
