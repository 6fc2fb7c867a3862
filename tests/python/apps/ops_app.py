"""ops_app: the app the process-model tests run: pids, slow answers, client address, hooks.

Used as `lesto ops_app:app` (cwd tests/python/apps) or `python ops_app.py PORT [WORKERS]`.
`/pid` answers the worker's pid, `/slow/{ms}` after ms milliseconds (noting
"slow-start" in the hook log once it has the request, "slow-cancelled" if
it is cancelled), `/addr` what the request says of its client, `/error`
raises, `/crash` ends the process (exit 3). Startup and shutdown hooks (one sync, one async) append a line to
the file named by OPS_HOOK_LOG, if set; with OPS_FAIL_STARTUP=1 the startup
hook raises. OPS_SLOW_IMPORT=s makes importing this module take s seconds
(after noting "import-begin"), OPS_SLOW_STARTUP=s the async startup hook
(after "startup-begin"): moments of start-up that tests send signals in."""

import asyncio
import os
import sys
import time

from lesto import Application

app = Application()
not_an_app = 42


def hook_log(event):
    path = os.environ.get("OPS_HOOK_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{event} {os.getpid()}\n")


if os.environ.get("OPS_SLOW_IMPORT"):
    hook_log("import-begin")
    time.sleep(float(os.environ["OPS_SLOW_IMPORT"]))


@app.on_startup
def started(app):
    if os.environ.get("OPS_FAIL_STARTUP"):
        raise RuntimeError("startup-failure-marker")
    hook_log("startup-sync")


@app.on_startup
async def started_async(app):
    if os.environ.get("OPS_SLOW_STARTUP"):
        hook_log("startup-begin")
        await asyncio.sleep(float(os.environ["OPS_SLOW_STARTUP"]))
    await asyncio.sleep(0)
    app.loop_seen_at_startup = id(asyncio.get_running_loop())
    hook_log("startup-async")


@app.on_shutdown
async def stopped(app):
    await asyncio.sleep(0)
    same_loop = app.loop_seen_at_startup == id(asyncio.get_running_loop())
    hook_log(f"shutdown-async same-loop={same_loop}")


def pid(request):
    return request.Response(text=str(os.getpid()))


async def slow(request):
    hook_log("slow-start")
    try:
        await asyncio.sleep(int(request.match_dict["ms"]) / 1000)
    except asyncio.CancelledError:
        hook_log("slow-cancelled")
        raise
    return request.Response(text=f"slow {os.getpid()}")


def addr(request):
    return request.Response(json={
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "forwarded_for": request.headers.get("X-Forwarded-For"),
    })


app.router.add_route("/", lambda request: request.Response(text="hello"))
app.router.add_route("/pid", pid)
app.router.add_route("/slow/{ms}", slow)
app.router.add_route("/addr", addr)
app.router.add_route("/error", lambda request: 1 / 0)
app.router.add_route("/crash", lambda request: os._exit(3))

if __name__ == "__main__":
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else None
    app.run(host="127.0.0.1", port=int(sys.argv[1]), worker_num=workers, grace_period=20)
