"""Reload mode: editing the app's code replaces the workers; broken code leaves the old ones serving."""

import signal
import sys

import pytest
from conftest import HOST
from ops_helpers import LESTO, Lesto, copy_app, wait_until

HANDLER = '''
import os


def hello(request):
    return request.Response(text=f"{text} {{os.getpid()}}")
'''


@pytest.fixture
def app_dir(tmp_path):
    directory = tmp_path / "app"
    directory.mkdir()
    copy_app("ops_reload_app", directory)
    copy_app("ops_reload_handlers", directory)
    return directory


def write_handler(app_dir, text):
    (app_dir / "ops_reload_handlers.py").write_text(HANDLER.format(text=text))


def serving(server, text):
    """Wait until / answers `text` (a worker with the new code took over); its pid."""
    def answer():
        body = server.get("/").body.decode()
        return body.rpartition(" ")[2] if body.rpartition(" ")[0] == text else None

    return int(wait_until(answer, f"/ to answer {text!r}:\n{server.log()}"))


def start(args, app_dir, tmp_path, **kwargs):
    # No .pyc: an edit within the second that keeps the size would look unchanged.
    server = Lesto(args, tmp_path / "reload.log", cwd=app_dir,
                   env={"PYTHONDONTWRITEBYTECODE": "1"}, **kwargs)
    return server


def test_cli_reload_follows_edits_and_survives_a_syntax_error(app_dir, tmp_path):
    server = start([*LESTO, "ops_reload_app:app", "--reload", "--host", HOST], app_dir, tmp_path)
    server.start()
    try:
        first = serving(server, "version 1")
        assert server.workers() == {first}

        write_handler(app_dir, "version 2")
        second = serving(server, "version 2")
        assert second != first
        server.wait_for_log("workers replaced")

        (app_dir / "ops_reload_handlers.py").write_text("def hello(request:\n")
        server.wait_for_log("SyntaxError")
        server.wait_for_log("before serving; the running workers go on until the next change")
        assert server.get("/").body.decode() == f"version 2 {second}"
        assert server.workers() == {second}

        write_handler(app_dir, "version 3")
        third = serving(server, "version 3")
        server.wait_for_log("workers replaced", count=2)
        assert server.workers() == {third}
        assert server.proc.poll() is None  # one master all along
    finally:
        code = server.stop()
    assert code == 0
    assert "changed: ops_reload_handlers.py" in server.log()


def test_app_run_reload_reruns_the_script_for_each_worker(app_dir, tmp_path):
    server = start([sys.executable, "ops_reload_app.py"], app_dir, tmp_path, port_arg=False)
    server.args.append(str(server.port))
    server.start()
    try:
        serving(server, "version 1")
        write_handler(app_dir, "version 2")
        serving(server, "version 2")
    finally:
        code = server.stop()
    assert code == 0


def test_reload_starts_even_when_the_first_code_is_broken(app_dir, tmp_path):
    (app_dir / "ops_reload_handlers.py").write_text("def hello(request:\n")
    server = start([*LESTO, "ops_reload_app:app", "--reload", "--host", HOST], app_dir, tmp_path)
    server.start(wait_for="before serving; the running workers go on until the next change")
    assert "SyntaxError" in server.log()
    write_handler(app_dir, "fixed")
    server.wait_for_log("Lesto serving on")
    serving(server, "fixed")
    server.signal(signal.SIGINT)  # Ctrl-C: a graceful stop too
    assert server.wait() == 0
