"""shared: what the four framework apps have in common, so that they answer the same contract.

Every app in this folder serves the same routes (listed in the docstring of
tests/python/test_asgi_frameworks.py) in its framework's own idiom; only
what is not about the framework lives here: the names, the sample file, the
stream contents, the record of background tasks and the digest of an upload.
"""

import asyncio
import hashlib
import os

MIDDLEWARE_HEADER = "x-middleware"  # set on responses by each app's middleware, valued with the app's name
PIECES_HEADER = "x-pieces"  # how many pieces the app read a streamed upload in
FILE_ENV = "ASGI_TEST_FILE"  # the path of the file that GET /file serves; the test creates it
GREETING = "hello from lifespan"  # put in the app's state at startup, returned by GET /state
STREAM_CHUNKS = [f"chunk {i}\n" for i in range(5)]
SSE_EVENTS = [f"tick {i}" for i in range(3)]
WS_SUBPROTOCOL = "chat"  # agreed by WS /ws/{room} when the client offers it
WS_BYE = "bye"  # the text after which WS /ws/{room} closes with WS_CLOSE
WS_CLOSE = (4000, "bye to you")


def ws_reply(room, user, text):
    """What WS /ws/{room}?user= sends back for each text."""
    return f"{room}/{user}: {text}"


TASK_WAIT = 10.0  # generous: only stops a request whose task never runs from hanging


class AppError(Exception):
    """The apps' own error: each app's exception handler turns it into a JSON 418."""

    status = 418

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail

    def payload(self):
        return {"error": "AppError", "detail": self.detail}


class UnhandledError(Exception):
    """Raised by GET /error/unhandled and handled by no app: the framework's 500."""


def sample_file():
    return os.environ[FILE_ENV]


async def stream_chunks():
    for chunk in STREAM_CHUNKS:
        yield chunk
        await asyncio.sleep(0)  # a turn of the loop between pieces, as a real producer would


class TaskLog:
    """Names recorded by background tasks; a request can wait for one to be recorded.

    Waiting, rather than polling, makes the task's effect observable from a
    second request without a sleep: the server may run the task just after
    the response is sent, possibly after the client has already asked.
    """

    def __init__(self):
        self._events = {}

    def _event(self, name):
        return self._events.setdefault(name, asyncio.Event())

    def record(self, name):
        self._event(name).set()

    async def wait(self, name):
        """True once `name` is recorded; False if it is not within TASK_WAIT seconds."""
        try:
            await asyncio.wait_for(self._event(name).wait(), TASK_WAIT)
        except asyncio.TimeoutError:
            return False
        return True


class Digest:
    """Size, SHA-256 and piece count of a body read in pieces."""

    def __init__(self):
        self.size = 0
        self.pieces = 0
        self._sha = hashlib.sha256()

    def update(self, piece):
        if piece:
            self.size += len(piece)
            self.pieces += 1
            self._sha.update(piece)

    def result(self):
        return {"size": self.size, "sha256": self._sha.hexdigest()}
