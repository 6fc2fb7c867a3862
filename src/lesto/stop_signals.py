"""SIGTERM and SIGINT caught from the first moment of start-up, until a loop's handlers take over.

An orchestrator may send SIGTERM as soon as the port accepts connections,
or earlier. Left to their default actions, the signals would kill the
process (SIGTERM) or raise KeyboardInterrupt anywhere (SIGINT). `catch()`,
the first thing the CLI and `app.run()` do, records them instead; whoever
takes over (a worker's event loop, the master's loop) installs its own
handlers and then `take()`s what was recorded, so that no signal falls
between the two. A signal's handler is process-wide: so is this record.
"""

from __future__ import annotations

import signal
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_caught: list[int] = []


def _record(signum: int, frame: FrameType | None) -> None:
    _caught.append(signum)


def catch() -> None:
    """Record SIGTERM and SIGINT from now on (what was recorded so far is kept)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _record)


def take() -> list[int]:
    """The stop signals recorded since the last call, oldest first."""
    caught = _caught[:]
    del _caught[: len(caught)]
    return caught
