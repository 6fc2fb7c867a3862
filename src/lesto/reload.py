"""Reload mode: watch the app's Python files (watchfiles) and say how to start a worker afresh."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable


def worker_argv() -> list[str]:
    """The command line that started this process, to start each worker the same way.

    A worker started so imports the app anew, with the code on disk now: the
    script (or `-m` module, or `-c` code, or the `lesto` command) runs again,
    with the same interpreter options, and its app.run() serves as a worker,
    told so by the master (workers.WORKER_ENV).
    """
    if sys.argv and sys.argv[0] == "":
        raise RuntimeError("reload=True needs a program started from a file, -m or -c, "
                           "not an interactive session")
    return [sys.executable, *sys.orig_argv[1:]]


def default_dirs() -> list[str]:
    """The working directory and, for a program run from a file, that file's directory."""
    dirs = [os.getcwd()]
    main_file = getattr(sys.modules["__main__"], "__file__", None)
    if main_file:
        dirs.append(os.path.dirname(os.path.abspath(main_file)))
    # A directory inside another one is watched through it.
    dirs = sorted(set(dirs))
    return [d for d in dirs if not any(d != o and d.startswith(o + os.sep) for o in dirs)]


class Watcher:
    """Changes to *.py files under `dirs`, seen by a thread, told on a pipe the master reads."""

    def __init__(self, dirs: Iterable[str]) -> None:
        import watchfiles  # only reload mode needs it

        self.dirs = [os.path.abspath(d) for d in dirs]
        self._watchfiles = watchfiles
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self._stop = threading.Event()
        self._changed: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="lesto-reload", daemon=True)

    def fileno(self) -> int:
        return self._read

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self._read)
        os.close(self._write)

    def changes(self) -> list[str]:
        """The files changed since the last call, relative to the directory watched."""
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass
        with self._lock:
            changed, self._changed = self._changed, []
        return sorted(set(changed))

    def _watch(self) -> None:
        watchfiles = self._watchfiles
        for changes in watchfiles.watch(*self.dirs, watch_filter=watchfiles.PythonFilter(),
                                        stop_event=self._stop, raise_interrupt=False):
            with self._lock:
                self._changed += [self._relative(path) for _, path in changes]
            os.write(self._write, b"!")

    def _relative(self, path: str) -> str:
        for d in self.dirs:
            if path.startswith(d + os.sep):
                return os.path.relpath(path, d)
        return path
