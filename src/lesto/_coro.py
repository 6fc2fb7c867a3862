"""Resuming a handler coroutine that the engine started and that suspended.

The engine runs an `async def` handler up to its first suspension itself, so a
handler that never awaits anything pending costs no Task. When it does
suspend, the value it yielded has already been taken out of it; the Task made
here yields that same value first, then drives the coroutine to its end.
"""

import types


@types.coroutine
def _continue(coro, yielded):
    send, throw = coro.send, coro.throw
    while True:
        try:
            try:
                value = yield yielded
            except BaseException as exc:  # cancellation included: pass it in
                yielded = throw(exc)
            else:
                yielded = send(value)
        except StopIteration as stop:
            return stop.value


async def _finish(coro, yielded):
    return await _continue(coro, yielded)


def resumer(loop):
    """The engine's hook: resume(coro, yielded) -> Task on `loop`."""
    create_task = loop.create_task

    def resume(coro, yielded):
        if yielded is None:
            # A bare yield (asyncio.sleep(0) and friends) asks only to be
            # resumed on a later iteration with None: exactly what a Task
            # does first, so the coroutine itself can be the Task's.
            return create_task(coro)
        return create_task(_finish(coro, yielded))

    return resume
