"""Handing a handler coroutine that the engine started over to an asyncio Task.

The engine drives an `async def` handler itself for as long as it only yields
bare (`await asyncio.sleep(0)`), so such a handler costs no Task
(src/native/coroutines.cpp). When it yields a future instead, the value it
yielded has already been taken out of it; the Task made here yields that same
value first, then drives the coroutine to its end.

An ASGI call's first step is made the same way on Python 3.11. When its code
kept the stand-in of that step (an anyio cancel scope refuses to be left in
another task than it was entered in), no Task can take over: the stand-in
itself drives the call from there, as a Task would (EagerStep.drive).
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
import functools
import sys
from collections.abc import Callable, Coroutine, Generator
from types import FrameType
from typing import Any, TextIO

# asyncio's bookkeeping of the current task (private, but stable from 3.7 to
# 3.13, and what Task.__step itself calls).
# Typed for any task-like object: a stand-in is current as a Task would be.
_enter_task: Callable[[asyncio.AbstractEventLoop, object], None] = asyncio.tasks._enter_task  # type: ignore[assignment]
_leave_task: Callable[[asyncio.AbstractEventLoop, object], None] = asyncio.tasks._leave_task  # type: ignore[assignment]

# A handler's coroutine: what it yields and is sent are asyncio's business.
HandlerCoroutine = Coroutine[Any, Any, Any]
# The name of every ASGI call's Task (Task.get_name()).
ASGI_TASK_NAME = "lesto-asgi-call"


class _Continuation(collections.abc.Coroutine[Any, Any, Any]):
    """The coroutine of a Task that takes over a handler the engine started.

    Its first step hands the Task what the handler last yielded (the engine
    has already taken it out); every later step goes straight to the handler.
    It has no code of its own to start: a cancel() that reaches the Task
    before its first step is thrown into the handler where it waits, as
    asyncio does (an `async def` wrapper would die of it at its first line,
    and the handler would never see the CancelledError).
    """

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: HandlerCoroutine, yielded: Any) -> None:
        self._coro = coro
        self._first = yielded

    def send(self, value: Any) -> Any:
        first = self._first
        if first is not None:
            self._first = None
            return first
        return self._coro.send(value)

    def throw(self, exc: Any, *rest: Any) -> Any:
        self._first = None
        return self._coro.throw(exc, *rest)

    def close(self) -> None:
        self._first = None
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:  # the ABC asks for it; only its Task runs it
        raise TypeError("a handler's continuation is run by its Task, not awaited")


class EagerStep:
    """Stands for a handler's Task while the engine runs the handler's steps itself.

    asyncio.current_task() is this object during those steps, so code that
    needs a task (asyncio.timeout, TaskGroup, anyio's cancel scopes) works.
    A cancel() is recorded. When the coroutine then waits on a future, the
    engine hands it over: to a real Task (`bind`), which this object
    forwards to and replays the cancel on, so a timeout entered before
    cancels the Task; or, for an ASGI call whose code kept this object (an
    anyio cancel scope compares the current task with the one it was
    entered in), this object goes on driving the coroutine as its Task
    (`drive`).
    """

    # __weakref__: anyio keys its task state on the current task weakly; the
    # engine never reuses a stand-in that is weakly referred to (refcount.hpp).
    __slots__ = ("_loop", "_task", "_cancels", "_cancel_msg", "_driven", "_coro", "_context",
                 "_ended", "_fut_waiter", "_must_cancel", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop,
                 driven: set[EagerStep] | None = None) -> None:
        self._loop = loop
        self._task: asyncio.Task[Any] | None = None
        self._cancels = 0
        self._cancel_msg: object = None
        self._driven = driven  # the Scheduler's stand-ins that drive a coroutine
        self._coro: Any = None
        self._context: contextvars.Context | None = None
        self._ended: asyncio.Future[None] | None = None  # set by drive()
        # asyncio.Task's names for what anyio's cancel delivery reads of a task.
        self._fut_waiter: asyncio.Future[Any] | None = None
        self._must_cancel = False

    # ---- driving a coroutine as its Task (asyncio.Task.__step's rules) ----

    def drive(self, coro: Any, yielded: Any, context: contextvars.Context) -> EagerStep:
        """Drive `coro` from here on, as its Task: it yielded `yielded` in its last step."""
        self._coro = coro
        self._context = context
        self._ended = self._loop.create_future()
        if self._driven is not None:
            self._driven.add(self)
        self._must_cancel = self._cancels > 0  # a cancel() of the first step, not delivered
        self._await(yielded)
        return self

    def _await(self, result: Any) -> None:
        if result is None:  # a bare yield: go on at the loop's next turn
            self._loop.call_soon(self._step, context=self._context)
            return
        blocking = getattr(result, "_asyncio_future_blocking", None)
        if blocking:
            if result.get_loop() is not self._loop:
                error = RuntimeError(f"{self!r} got Future {result!r} attached to a different loop")
            else:
                result._asyncio_future_blocking = False
                result.add_done_callback(self._wakeup, context=self._context)
                self._fut_waiter = result
                if self._must_cancel and result.cancel(msg=self._cancel_msg):
                    self._must_cancel = False
                return
        elif blocking is not None:
            error = RuntimeError(f"yield was used instead of yield from in {self!r} with {result!r}")
        else:
            error = RuntimeError(f"Task got bad yield: {result!r}")
        self._loop.call_soon(self._step, error, context=self._context)

    def _wakeup(self, future: asyncio.Future[Any]) -> None:
        try:
            future.result()
        except BaseException as exc:
            self._step(exc)
        else:
            self._step()

    def _step(self, exc: BaseException | None = None) -> None:
        coro = self._coro
        if coro is None:
            return
        if self._must_cancel:
            if not isinstance(exc, asyncio.CancelledError):
                exc = asyncio.CancelledError(*(() if self._cancel_msg is None
                                               else (self._cancel_msg,)))
            self._must_cancel = False
        self._fut_waiter = None
        _enter_task(self._loop, self)
        try:
            result = coro.send(None) if exc is None else coro.throw(exc)
        except StopIteration:
            self._end()
        except (KeyboardInterrupt, SystemExit):
            self._end()
            raise
        except BaseException:  # the ASGI guard answers and logs for the app: nothing is left
            self._end()
        else:
            self._await(result)
        finally:
            _leave_task(self._loop, self)

    def _end(self) -> None:
        self._coro = None
        if self._driven is not None:
            self._driven.discard(self)
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(None)

    def ended(self) -> asyncio.Future[None] | None:
        """A future resolved once the coroutine it drives has ended (None: it drives none)."""
        return self._ended

    def bind(self, task: asyncio.Task[Any]) -> None:
        self._task = task
        for _ in range(self._cancels):
            task.cancel()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def cancel(self, msg: object = None) -> bool:
        if self._task is not None:
            return self._task.cancel(msg)
        if self._ended is not None and self._ended.done():
            return False
        self._cancels += 1
        self._cancel_msg = msg
        if self._ended is not None:  # driving: as Task.cancel
            waiter = self._fut_waiter
            if waiter is not None and waiter.cancel(msg=msg):
                return True
            self._must_cancel = True
        return True

    # Task.cancelling and uncancel are new in Python 3.11, get_context (below)
    # in 3.12; mypy checks this package as 3.10, the oldest it supports,
    # hence their ignores (unused on a newer one). On an older Python a bound
    # stand-in fails there as the Task itself would.
    def cancelling(self) -> int:
        if self._task is not None:
            return self._task.cancelling()  # type: ignore[attr-defined,no-any-return,unused-ignore]
        return self._cancels

    def uncancel(self) -> int:
        if self._task is not None:
            return self._task.uncancel()  # type: ignore[attr-defined,no-any-return,unused-ignore]
        self._cancels = max(0, self._cancels - 1)
        return self._cancels

    def done(self) -> bool:
        if self._task is not None:
            return self._task.done()
        return self._ended is not None and self._ended.done()

    # The rest of the Task API, once a Task has taken over. Spelled out rather
    # than forwarded by __getattr__: with a __getattr__, every attribute read
    # of this object, the engine's included, takes CPython's slow path.
    def _bound(self, name: str) -> asyncio.Task[Any]:
        if self._task is None:
            raise AttributeError(
                f"{name!r}: the engine runs this handler without an asyncio Task "
                "(it has awaited no future yet)")
        return self._task

    def get_name(self) -> str:
        if self._ended is not None:
            return ASGI_TASK_NAME
        return self._bound("get_name").get_name()

    def set_name(self, value: object) -> None:
        self._bound("set_name").set_name(value)

    def get_coro(self) -> Any:
        if self._ended is not None:
            return self._coro
        return self._bound("get_coro").get_coro()

    def get_context(self) -> contextvars.Context:
        return self._bound("get_context").get_context()  # type: ignore[attr-defined,no-any-return,unused-ignore]

    def add_done_callback(self, fn: Callable[[asyncio.Task[Any]], object], *,
                          context: contextvars.Context | None = None) -> None:
        self._bound("add_done_callback").add_done_callback(fn, context=context)

    def remove_done_callback(self, fn: Callable[[asyncio.Task[Any]], object]) -> int:
        return self._bound("remove_done_callback").remove_done_callback(fn)

    def result(self) -> Any:
        return self._bound("result").result()

    def exception(self) -> BaseException | None:
        return self._bound("exception").exception()

    def cancelled(self) -> bool:
        return self._bound("cancelled").cancelled()

    def get_stack(self, *, limit: int | None = None) -> list[FrameType]:
        return self._bound("get_stack").get_stack(limit=limit)

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        self._bound("print_stack").print_stack(limit=limit, file=file)


class Scheduler:
    """What the engine needs from asyncio to run handler coroutines on `loop`.

    The engine reads these attributes once (ServerConfig(scheduler=...)):
    `loop`; `call_soon(callback)`, the loop's; `take_over(coro, yielded)`,
    a Task that drives a handler coroutine the engine started, from the
    value it last yielded; `run_task(coro, context)`, a Task for a
    coroutine the engine did not start (an ASGI app's), in `context`,
    started at once where asyncio can (3.12; before, the engine makes its
    first step); `stand_in(loop)`, what asyncio.current_task()
    is while the engine runs a step itself; and asyncio's `enter_task` and
    `leave_task`, which make it current.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.call_soon = loop.call_soon
        create_task = loop.create_task

        def take_over(coro: HandlerCoroutine, yielded: Any) -> asyncio.Task[Any]:
            if yielded is None:
                # A bare yield (asyncio.sleep(0) and friends) asks only to be
                # resumed on a later iteration with None: exactly what a Task
                # does first, so the coroutine itself can be the Task's.
                return create_task(coro)
            return create_task(_Continuation(coro, yielded))

        self.take_over = take_over
        if sys.version_info >= (3, 12):
            def run_task(coro: HandlerCoroutine, context: contextvars.Context) -> asyncio.Task[Any]:
                # Its first step runs now, inside the Task: an app that never
                # waits ends here, without a trip through the loop.
                return asyncio.Task(coro, loop=loop, eager_start=True,  # type: ignore[call-arg,unused-ignore]
                                    name=ASGI_TASK_NAME, context=context)
        elif sys.version_info >= (3, 11):
            def run_task(coro: HandlerCoroutine, context: contextvars.Context) -> asyncio.Task[Any]:
                # The engine makes the first step itself, as this Task (asgi/guard.cpp).
                # Named: a Task given no name formats "Task-N" with printf.
                return asyncio.Task(coro, loop=loop, name=ASGI_TASK_NAME,
                                    context=context)  # type: ignore[call-arg,unused-ignore]
        else:
            def run_task(coro: HandlerCoroutine, context: contextvars.Context) -> asyncio.Task[Any]:
                # 3.10's tasks take no context: the Task copies the current one and
                # makes every step itself.
                return create_task(coro)
        self.run_task = run_task
        # The stand-ins that drive an ASGI call's coroutine themselves (EagerStep.drive):
        # like Tasks, they are cancelled and awaited when the worker shuts down.
        self.driven: set[EagerStep] = set()
        self.stand_in = functools.partial(EagerStep, driven=self.driven)
        # asyncio's own bookkeeping of the current task (private, but stable
        # from 3.7 to 3.13 and what Task.__step itself calls).
        self.enter_task = getattr(asyncio.tasks, "_enter_task", None)
        self.leave_task = getattr(asyncio.tasks, "_leave_task", None)

    def cancel_driven(self) -> list[asyncio.Future[None]]:
        """Cancel the coroutines stand-ins drive, as asyncio.run does its tasks; their ends."""
        ends = []
        for step in list(self.driven):
            step.cancel()
            end = step.ended()
            if end is not None:
                ends.append(end)
        return ends
