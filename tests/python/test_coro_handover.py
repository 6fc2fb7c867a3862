"""A handler the engine started, handed to a Task when it awaits a future (lesto._coro).

The engine steps a handler until it yields; when what it yielded is a future,
a Task made by Scheduler.take_over takes the handler over from that point. These
tests step a real coroutine the same way and drive the Task on a real loop.
"""

import asyncio

import pytest
import uvloop

from lesto._coro import Scheduler

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@pytest.fixture(params=sorted(LOOPS))
def loop(request):
    loop = LOOPS[request.param]()
    yield loop
    loop.close()


def started(loop, handler):
    """The handler's coroutine stepped to its first yield, as the engine does it."""
    coro = handler()
    yielded = coro.send(None)
    assert isinstance(yielded, asyncio.Future)
    return coro, yielded


def test_the_task_resumes_the_handler_with_the_future_s_result(loop):
    seen = []

    async def handler():
        seen.append(await fut)
        return "done"

    fut = loop.create_future()
    coro, yielded = started(loop, handler)
    task = Scheduler(loop).take_over(coro, yielded)
    loop.call_soon(fut.set_result, 42)
    assert loop.run_until_complete(task) == "done"
    assert seen == [42]


def test_a_cancel_before_the_task_s_first_step_reaches_the_handler(loop):
    # The race a client that sends a request and closes at once can cause: the
    # Task is cancelled in the same loop iteration that created it.
    seen = []

    async def handler():
        try:
            await fut
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        seen.append("resumed")

    fut = loop.create_future()
    coro, yielded = started(loop, handler)
    task = Scheduler(loop).take_over(coro, yielded)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(task)
    assert seen == ["cancelled"]


def test_a_cancel_while_waiting_reaches_the_handler(loop):
    seen = []

    async def handler():
        try:
            await fut
        except asyncio.CancelledError:
            seen.append("cancelled")
            return "cleaned up"

    fut = loop.create_future()
    coro, yielded = started(loop, handler)
    task = Scheduler(loop).take_over(coro, yielded)
    loop.call_soon(task.cancel)
    assert loop.run_until_complete(task) == "cleaned up"
    assert seen == ["cancelled"]
