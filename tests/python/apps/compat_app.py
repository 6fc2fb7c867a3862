"""compat_app: a japronto-style app: log_request, app.loop used before run(), app.run() at import.

As japronto's examples do, the module calls app.run() at import, unguarded:
`lesto compat_app:app` ignores that call (the command line decides), while
`lesto --script compat_app.py` and `python compat_app.py` serve through it,
on 127.0.0.1:$COMPAT_PORT with $COMPAT_WORKERS workers if set. Before
run(), a task started on `app.loop` counts ticks: `/loop` tells whether the
server runs on that loop (the ticks go on) and whether `app.loop` is the
running loop.
"""

import asyncio
import os

from lesto import Application

app = Application(log_request=True)
ticks = 0


async def count_ticks():
    global ticks
    while True:
        ticks += 1
        await asyncio.sleep(0.01)


async def prepare():
    return asyncio.ensure_future(count_ticks())


loop_before_run = app.loop
ticker = app.loop.run_until_complete(prepare())


def loop(request):
    running = asyncio.get_running_loop()
    return request.Response(json={
        "ticks": ticks,
        "same_as_before_run": running is loop_before_run,
        "app_loop_is_running_loop": app.loop is running,
    })


app.router.add_route("/", lambda request: request.Response(text="hello"))
app.router.add_route("/loop", loop)

workers = os.environ.get("COMPAT_WORKERS")
app.run(host="127.0.0.1", port=int(os.environ.get("COMPAT_PORT", "8080")),
        worker_num=int(workers) if workers else None)
