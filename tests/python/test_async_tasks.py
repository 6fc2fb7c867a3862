"""Async handlers see a current task from their first line: asyncio.timeout and TaskGroup work.

The engine runs a handler's steps itself while it only yields bare (no Task);
a stand-in is asyncio's current task meanwhile, and forwards to the real
Task once one takes the handler over (it awaited a future, or was cancelled).
"""

import sys

import pytest
from conftest import _checked
from memory_server import memory_session_server
from rawhttp import get

_memory = memory_session_server("tasks_app")


@pytest.fixture
def tasks_server(_memory):
    """apps/tasks_app.py, served in memory: what a handler sees of asyncio needs no socket."""
    yield from _checked(_memory)

# For the handlers that use asyncio.timeout or TaskGroup; the stand-in
# itself is the same on 3.10, and its other tests run there too.
needs_311 = pytest.mark.skipif(sys.version_info < (3, 11),
                               reason="asyncio.timeout and TaskGroup are 3.11+")
ON_310 = sys.version_info < (3, 11)


def test_current_task_exists_before_and_after_suspending(tasks_server):
    assert tasks_server.exchange(get("/current")).json() == {"before": True, "after": True}


@needs_311
def test_timeout_entered_before_suspending(tasks_server):
    assert tasks_server.exchange(get("/within")).body == b"in time"


@needs_311
def test_timeout_expiring_after_suspending_cancels_the_handler(tasks_server):
    response = tasks_server.exchange(get("/timing-out"))
    assert (response.status, response.body) == (504, b"timed out")


@needs_311
def test_task_group(tasks_server):
    assert tasks_server.exchange(get("/group")).json() == [0, 2, 4]


@needs_311
def test_timeout_in_a_handler_that_never_suspends(tasks_server):
    with tasks_server.connect() as conn:
        conn.send(get("/at-once") * 50)
        assert [r.body for r in conn.read_responses(50)] == [b"at once"] * 50


def test_bare_yields_keep_one_current_task(tasks_server):
    assert tasks_server.exchange(get("/bare-yields")).json() == {"task": True, "same": True}


@needs_311
def test_timeout_cancels_a_handler_that_only_yields_bare(tasks_server):
    response = tasks_server.exchange(get("/spin-timeout"))
    assert (response.status, response.body) == (504, b"spun out")


def test_cancelling_the_current_task_raises_at_the_next_await(tasks_server):
    assert tasks_server.exchange(get("/cancel-self")).body == b"cancelled at the await"


def test_pipelined_mix_of_driven_and_task_handlers_answers_in_order(tasks_server):
    paths = ["/bare-yields", "/at-once", "/yield-then-wait/1", "/cancel-self", "/group",
             "/yield-then-wait/2", "/bare-yields"] * 6
    if ON_310:
        paths = [p for p in paths if p not in ("/at-once", "/group")]
    expected = {
        "/bare-yields": b'{"task":true,"same":true}',
        "/at-once": b"at once",
        "/cancel-self": b"cancelled at the await",
        "/group": b"[0,2,4]",
    }
    with tasks_server.connect() as conn:
        conn.send(b"".join(get(p) for p in paths))
        bodies = [r.body for r in conn.read_responses(len(paths))]
    assert bodies == [expected.get(p, f"waited {p}".encode()) for p in paths]


def test_the_stand_in_speaks_for_the_task_once_there_is_one(tasks_server):
    got = tasks_server.exchange(get("/task-api")).json()
    assert "without an asyncio Task" in got["before"]
    assert got["after"].startswith("Task-") and got["done"] is False
