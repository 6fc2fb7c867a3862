"""MultiDict: a read-only mapping that keeps every value of a repeated name (query, form, files)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar, overload

from . import _native

V = TypeVar("V")
D = TypeVar("D")


@_native.json_as_dict
class MultiDict(Mapping[str, V], Generic[V]):
    """Name-value pairs in the order received.

    As a mapping, a name gives its last value, which is what `dict(pairs)`
    gives (and what japronto's plain dict held): `query['page']`,
    `query.get('page', '1')`. A name sent several times keeps all its values:
    `getall(name)` returns them in order, `multi_items()` returns every pair.
    Names iterate in the order of their first appearance.
    Response(json=multidict) encodes dict(multidict): each name's last value.
    """

    __slots__ = ("_last", "_pairs")

    def __init__(self, pairs: Iterable[tuple[str, V]] = ()) -> None:
        self._pairs = list(pairs)
        self._last = dict(self._pairs)

    def __getitem__(self, name: str) -> V:
        return self._last[name]

    def __contains__(self, name: object) -> bool:
        return name in self._last

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    @overload
    def getall(self, name: str) -> list[V]: ...
    @overload
    def getall(self, name: str, default: D) -> list[V] | D: ...

    def getall(self, name: str, default: D | None = None) -> list[V] | D:
        """Every value of `name`, in the order received; `default` (or []) if absent."""
        values = [value for n, value in self._pairs if n == name]
        if values:
            return values
        return [] if default is None else default

    def multi_items(self) -> list[tuple[str, V]]:
        """Every (name, value) pair in the order received, repeats included."""
        return list(self._pairs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"

    def __str__(self) -> str:
        # japronto's query and form were dicts, and apps print them (its own
        # request example formats `{0.query}`): show the mapping as
        # `dict(self)` does, the last value of a repeated name. repr() keeps
        # every pair.
        return str(dict(self))
