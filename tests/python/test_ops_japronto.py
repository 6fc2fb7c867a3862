"""What japronto apps and deployments use: log_request, app.loop, --worker-num, --script and
an app.run() at import, on real processes (apps/compat_app.py, apps/ops_app.py)."""

import asyncio
import re
import subprocess
import sys

import pytest
from conftest import APPS_DIR, HOST, free_port
from ops_helpers import LESTO, SERVING, WAIT, Lesto, killed_after, wait_until

from lesto import Application

ACCESS_LINE = re.compile(r'lesto\.access INFO 127\.0\.0\.1 "GET /loop HTTP/1\.1" 200 ')
IGNORED = "app.run() called while the lesto command imports the app: ignored"


@pytest.fixture
def run(tmp_path):
    """run(args, env=) -> a started process running `args` (cwd: the test apps)."""
    with killed_after() as started:
        def start(args, *, env=None, port=None, port_arg=True):
            server = Lesto(args, tmp_path / f"{len(started)}.log", env=env, port=port,
                           port_arg=port_arg)
            started.append(server)
            return server.start()

        yield start


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


# ---- the command ---------------------------------------------------------------------


def test_the_command_ignores_an_app_run_at_import_and_serves_on_the_apps_loop(run):
    # compat_app.py calls app.run() at import, on $COMPAT_PORT: ignored, --port applies.
    server = run([*LESTO, "compat_app:app", "--host", HOST], env={"COMPAT_PORT": "1"})
    assert IGNORED in server.log()
    first = loop_report(server)
    assert first["same_as_before_run"] and first["app_loop_is_running_loop"]
    wait_until(lambda: loop_report(server)["ticks"] > first["ticks"], "the ticks to go on")
    assert server.stop() == 0
    assert not server.problems()


def test_worker_num_is_workers(run):
    server = run([*LESTO, "ops_app:app", "--host", HOST, "--worker-num", "2"])
    assert f"(2 workers, master pid {server.pid})" in server.log()
    assert len(server.workers(2)) == 2
    assert server.stop() == 0


@pytest.mark.parametrize("workers", [None, "2"])
def test_script_serves_through_the_files_own_app_run(run, workers):
    port = free_port()
    env = {"COMPAT_PORT": str(port), **({"COMPAT_WORKERS": workers} if workers else {})}
    server = run([*LESTO, "--script", "compat_app.py"], env=env, port=port, port_arg=False)
    assert IGNORED not in server.log()
    assert f"{SERVING} http://127.0.0.1:{port}" in server.log()
    assert server.get("/").body == b"hello"
    assert loop_report(server)["app_loop_is_running_loop"]
    assert server.stop() == 0
    assert not server.problems()


def test_script_runs_the_file_as_main(run, tmp_path):
    # As `python FILE` would: an app.run() under `if __name__ == "__main__"`
    # serves too (japronto ran the file under another name).
    script = tmp_path / "guarded.py"
    script.write_text(
        "import os, sys\n"
        f"sys.path.insert(0, {str(APPS_DIR)!r})\n"
        "from ops_app import app\n"
        "if __name__ == '__main__':\n"
        "    app.run(host='127.0.0.1', port=int(os.environ['GUARDED_PORT']))\n")
    port = free_port()
    server = run([*LESTO, "--script", str(script)], env={"GUARDED_PORT": str(port)}, port=port,
                 port_arg=False)
    assert server.get("/").body == b"hello"
    assert server.stop() == 0


@pytest.mark.parametrize("args, code, message", [
    (["--script", "compat_app.py", "--port", "9000"], 2,
     "--port: with --script, the script's app.run(...) call sets these; pass them to it"),
    (["--script", "compat_app.py", "--worker-num", "2", "--reload"], 2,
     "--workers, --reload: with --script"),
    (["--script", "no_such_script.py"], 1, "script 'no_such_script.py' not found"),
])
def test_script_refuses_what_it_cannot_apply(args, code, message):
    result = subprocess.run([*LESTO, *args], cwd=APPS_DIR, capture_output=True, text=True,
                            timeout=WAIT, stdin=subprocess.DEVNULL)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


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


def test_a_loop_set_before_run_is_app_loop_until_closed():
    app = Application()
    assert not app.has_loop  # asking makes none
    loop = asyncio.new_event_loop()
    app.loop = loop  # run() without workers serves on app.loop
    try:
        assert app.has_loop and app.loop is loop
    finally:
        loop.close()
    assert not app.has_loop
