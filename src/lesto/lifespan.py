"""The ASGI lifespan protocol, driven from a worker's startup and shutdown hooks.

The app's lifespan coroutine runs in a task of its own for the whole life of
the worker: `startup` sends lifespan.startup and waits for its answer before
the worker accepts; `shutdown` sends lifespan.shutdown after the connections
are drained. With mode "auto", an app whose lifespan raises before it
answers the startup is taken for one without lifespan support and served
without it (uvicorn's rule); with "on" that is a failed startup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .logs import error_log

Message = MutableMapping[str, Any]
AsgiApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Message]],
                    Callable[[Message], Awaitable[None]]], Awaitable[None]]

MODES = ("auto", "on", "off")


class LifespanFailed(RuntimeError):
    """The app said lifespan.startup.failed (or shutdown.failed): its message is ours."""


class Lifespan:
    """One worker's lifespan conversation with the app; `state` goes into every request's scope."""

    def __init__(self, app: AsgiApp, mode: str = "auto") -> None:
        if mode not in MODES:
            raise ValueError(f"lifespan must be one of {', '.join(MODES)}, not {mode!r}")
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[Message] | None = None
        self._answers: asyncio.Queue[Message] | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False

    async def startup(self) -> None:
        """Run the app's startup; returns once it said lifespan.startup.complete."""
        if self.mode == "off":
            return
        self._inbox, self._answers = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                 "state": self.state}
        self._task = asyncio.get_running_loop().create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._answer()
        if answer is None:  # the app's lifespan ended without answering
            exc = self._task.exception() if self._task.done() else None
            if self.mode == "auto":
                error_log.info("the ASGI app does not support lifespan (%s): serving without it",
                               f"{type(exc).__name__}: {exc}" if exc else "it returned")
                return
            raise LifespanFailed("the ASGI app's lifespan ended before answering "
                                 "lifespan.startup") from exc
        if answer.get("type") == "lifespan.startup.failed":
            raise LifespanFailed(f"ASGI lifespan startup failed: {answer.get('message', '')}")
        if answer.get("type") != "lifespan.startup.complete":
            raise LifespanFailed(f"ASGI lifespan: unexpected message {answer.get('type')!r} "
                                 "in answer to lifespan.startup")
        self._started = True

    async def shutdown(self) -> None:
        """Run the app's shutdown (after the connections were drained)."""
        if not self._started or self._inbox is None or self._task is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        answer = await self._answer()
        if answer is not None and answer.get("type") == "lifespan.shutdown.failed":
            raise LifespanFailed(f"ASGI lifespan shutdown failed: {answer.get('message', '')}")
        if not self._task.done():
            await asyncio.wait({self._task}, timeout=1.0)

    async def _answer(self) -> Message | None:
        """The app's next message, or None when its lifespan coroutine ended first."""
        assert self._answers is not None and self._task is not None
        getting = asyncio.ensure_future(self._answers.get())
        await asyncio.wait({getting, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getting.done():
            return getting.result()
        getting.cancel()
        return None

    async def _run(self, scope: dict[str, Any]) -> None:
        assert self._inbox is not None and self._answers is not None
        inbox, answers = self._inbox, self._answers

        async def receive() -> Message:
            return await inbox.get()

        async def send(message: Message) -> None:
            await answers.put(message)

        try:
            await self.app(scope, receive, send)
        except BaseException as exc:
            if self._started and isinstance(exc, Exception):
                error_log.error("the ASGI app's lifespan raised after startup", exc_info=exc)
            raise
