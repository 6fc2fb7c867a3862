"""tasks_app: handlers that need asyncio.current_task() before and after they first suspend.

Usage: python tasks_app.py PORT.
"""

import asyncio
import sys

import applog

from lesto import Application


async def current(request):
    before = asyncio.current_task() is not None
    await asyncio.sleep(0.001)
    after = asyncio.current_task() is not None
    return request.Response(json={"before": before, "after": after})


async def within_timeout(request):
    async with asyncio.timeout(5):
        await asyncio.sleep(0.001)
    return request.Response(text="in time")


async def timing_out(request):
    try:
        async with asyncio.timeout(0.05):
            await asyncio.sleep(30)
    except TimeoutError:
        return request.Response(code=504, text="timed out")
    return request.Response(text="not reached")


async def task_group(request):
    async def double(n):
        await asyncio.sleep(0.001)
        return 2 * n

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(double(n)) for n in range(3)]
    return request.Response(json=[t.result() for t in tasks])


async def never_suspends(request):
    async with asyncio.timeout(5):
        pass
    return request.Response(text="at once")


async def bare_yields(request):
    # Only bare yields: the engine drives this coroutine itself, no Task.
    task = asyncio.current_task()
    same = True
    for _ in range(3):
        await asyncio.sleep(0)
        same = same and asyncio.current_task() is task
    return request.Response(json={"task": task is not None, "same": same})


async def spin_until_timeout(request):
    try:
        async with asyncio.timeout(0.05):
            while True:
                await asyncio.sleep(0)
    except TimeoutError:
        return request.Response(code=504, text="spun out")


async def cancel_self(request):
    asyncio.current_task().cancel()
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        return request.Response(text="cancelled at the await")
    return request.Response(text="not cancelled")


async def yield_then_wait(request):
    await asyncio.sleep(0)
    await asyncio.sleep(0.001)
    await asyncio.sleep(0)
    return request.Response(text=f"waited {request.path}")


async def task_api(request):
    # The stand-in has no Task behind it until the handler awaits a future.
    stand_in = asyncio.current_task()
    try:
        stand_in.get_name()
        before = "no error"
    except AttributeError as exc:
        before = str(exc)
    await asyncio.sleep(0.001)
    return request.Response(json={"before": before, "after": stand_in.get_name(),
                                  "done": stand_in.done()})


def make_app():
    app = Application()
    app.router.add_route("/current", current)
    app.router.add_route("/within", within_timeout)
    app.router.add_route("/timing-out", timing_out)
    app.router.add_route("/group", task_group)
    app.router.add_route("/at-once", never_suspends)
    app.router.add_route("/bare-yields", bare_yields)
    app.router.add_route("/task-api", task_api)
    app.router.add_route("/spin-timeout", spin_until_timeout)
    app.router.add_route("/cancel-self", cancel_self)
    app.router.add_route("/yield-then-wait/{n}", yield_then_wait)
    return app


if __name__ == "__main__":
    applog.setup()
    make_app().run(host="127.0.0.1", port=int(sys.argv[1]))
