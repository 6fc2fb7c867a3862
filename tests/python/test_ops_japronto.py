"""What japronto apps use: log_request, app.loop, on real processes (apps/compat_app.py)."""

import re
import sys

import pytest
from conftest import free_port
from ops_helpers import Lesto, wait_until

from lesto import Application

ACCESS_LINE = re.compile(r'lesto\.access INFO 127\.0\.0\.1 "GET /loop HTTP/1\.1" 200 ')


@pytest.fixture
def run(tmp_path):
    """run(args, env=) -> a started process running `args` (cwd: the test apps)."""
    started = []

    def start(args, *, env=None, port=None, port_arg=True):
        server = Lesto(args, tmp_path / f"{len(started)}.log", env=env, port=port,
                       port_arg=port_arg)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.kill()


def loop_report(server):
    return server.get("/loop").json()


def test_app_run_from_python_serves_on_app_loop(run):
    port = free_port()
    server = run([sys.executable, "compat_app.py"], env={"COMPAT_PORT": str(port)}, port=port,
                 port_arg=False)
    # app.loop, made and used before run(), is the loop the single process serves on:
    # the task started on it before run() keeps running.
    first = loop_report(server)
    assert first["same_as_before_run"] and first["app_loop_is_running_loop"]
    wait_until(lambda: loop_report(server)["ticks"] > first["ticks"], "the ticks to go on")
    # log_request=True: the access log.
    wait_until(lambda: ACCESS_LINE.search(server.log()), "the access line")
    assert server.stop() == 0
    assert not server.problems()


def test_forked_workers_run_loops_of_their_own_and_say_so_of_app_loop(run):
    port = free_port()
    server = run([sys.executable, "compat_app.py"], env={"COMPAT_PORT": str(port),
                                                          "COMPAT_WORKERS": "2"},
                 port=port, port_arg=False)
    assert "app.loop was made before run(): each worker runs a loop of its own" in server.log()
    report = loop_report(server)
    assert not report["same_as_before_run"]
    assert report["app_loop_is_running_loop"]
    assert server.stop() == 0
    assert not server.problems()


# ---- the API, without a server -------------------------------------------------------


def test_log_request_sets_the_access_log():
    assert Application(log_request=True).access_log is True
    assert Application(log_request=False, debug=True).access_log is False
    assert Application().access_log is None  # on with debug


def test_log_request_must_be_a_bool():
    with pytest.raises(TypeError, match=r"log_request must be True, False or None .*'yes'"):
        Application(log_request="yes")


def test_protocol_factory_is_refused_with_a_pointer_to_the_readme():
    with pytest.raises(TypeError, match="protocol_factory= is not supported.*Differences from "
                                        "japronto"):
        Application(protocol_factory=object)


def test_app_loop_before_run_is_made_once():
    app = Application()
    loop = app.loop
    try:
        assert app.loop is loop
        assert not loop.is_running()
    finally:
        loop.close()
    assert app.loop is not loop  # a closed loop is replaced at the next use
    app.loop.close()
