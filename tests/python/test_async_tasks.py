"""Async handlers see a current task from their first line: asyncio.timeout and TaskGroup work.

The engine runs a handler's first step itself (no Task when it never
suspends); a stand-in is asyncio's current task meanwhile, and forwards to
the real Task once the handler suspends.
"""

import sys

import pytest
from rawhttp import get

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11+")


def test_current_task_exists_before_and_after_suspending(tasks_server):
    assert tasks_server.exchange(get("/current")).json() == {"before": True, "after": True}


def test_timeout_entered_before_suspending(tasks_server):
    assert tasks_server.exchange(get("/within")).body == b"in time"


def test_timeout_expiring_after_suspending_cancels_the_handler(tasks_server):
    response = tasks_server.exchange(get("/timing-out"))
    assert (response.status, response.body) == (504, b"timed out")


def test_task_group(tasks_server):
    assert tasks_server.exchange(get("/group")).json() == [0, 2, 4]


def test_timeout_in_a_handler_that_never_suspends(tasks_server):
    with tasks_server.connect() as conn:
        conn.send(get("/at-once") * 50)
        assert [r.body for r in conn.read_responses(50)] == [b"at once"] * 50
