"""pytest fixtures for testing a Lesto or ASGI app in-process: `client` and `async_client`.

pytest loads this module itself once Lesto is installed (the `pytest11`
entry point). Define an `app` fixture returning your app; then

    def test_home(client):              # a lesto.testing.TestClient, entered
        assert client.get("/").status_code == 200

    @pytest.mark.anyio                  # or pytest-asyncio
    async def test_home_async(async_client):
        assert (await async_client.get("/")).status_code == 200

A fixture of the same name in your own conftest.py takes precedence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import AsyncTestClient, TestClient


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    """A TestClient for the `app` fixture, its startup hooks run (shutdown hooks after the test)."""
    from .testing import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def async_client(app: object) -> AsyncIterator[AsyncTestClient]:
    """An AsyncTestClient for the `app` fixture on the test's event loop, entered (async tests)."""
    from .testing import AsyncTestClient

    async with AsyncTestClient(app) as test_client:
        yield test_client
