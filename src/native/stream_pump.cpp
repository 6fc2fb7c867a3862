// stream_pump.cpp: the engine feeds a Response(stream=...)'s pieces to its connection itself.
//
// Python is entered for the app's code only: the producer's own steps. While
// a generator (async or not) gives pieces without waiting and the connection
// takes them, no Task, Future or pump coroutine is made, per response or per
// piece: a 1 MiB stream of 64 KiB pieces is 16 producer steps and 16 sends.
// Anything else hands the rest to lesto/streams.py's pump, from where the
// engine stopped (`carry_on`), in a Task once it waits:
//   - the producer waits on a future (a sleep, a queue): the Task waits for it;
//   - the connection is full: the Task awaits its drain;
//   - the producer failed, the client left, a piece is not bytes or str:
//     the Task raises it, and the pump logs, aborts and closes, as ever;
//   - a source that is not a generator (a file, an iterator class): the
//     Task runs it from the start, and closes it as it ends.
// The pieces are produced on the loop's turn after the request's dispatch
// (`run_streams`, from poll and flush), not inside it: a piece is sent as
// it is written only outside the connection's service (Server::service_now).
#include "engine.hpp"
#include "transfer.hpp"

#include <utility>

namespace lesto::py {

void Engine::start_stream(TransferObject* t) {
    starting_.push_back(reinterpret_cast<TransferObject*>(Py_NewRef(t)));
    // Outside a poll (a handler's Task answered), a flush runs them soon.
    if (starting_.size() == 1 && !polling_) schedule_flush();
}

void Engine::run_streams() {
    if (starting_.empty()) return;
    std::vector<TransferObject*> batch;
    batch.swap(starting_);
    // One stand-in stays current across the producers' steps, as in a round.
    // What they write is flushed by the caller: no flush is scheduled for it.
    flush_follows_ = true;
    PyObject* entered = nullptr;
    for (TransferObject* t : batch) {
        pump(t, &entered);
        Py_DECREF(t);
    }
    leave(&entered);
    flush_follows_ = false;
}

void Engine::carry_on(TransferObject* t, PyObject* pieces, PyObject* first, PyObject* yielded,
                      PyObject* step, PyObject** entered) {
    if (first && yielded) {
        // In flight: `first` yielded `yielded` already, which the pump's
        // first step must hand on before it sends into `first` again.
        PyObject* pair = PyTuple_Pack(2, first, yielded);
        Py_DECREF(first);
        Py_DECREF(yielded);
        first = pair;
    } else if (!first) {
        // The pending exception, raised in the pump (its handlers log it, or
        // know the client left); none: the pump starts the loop.
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        if (type) {
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb && value) PyException_SetTraceback(value, tb);
            first = Py_XNewRef(value);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        }
    }
    PyObject* args[3] = {reinterpret_cast<PyObject*>(t), pieces, first ? first : Py_None};
    PyObject* coro = PyObject_Vectorcall(run_stream_, args, 3, nullptr);
    Py_XDECREF(first);
    // Its first step now, as a Task's would be: a failure is logged at once,
    // and a Task (made only when it must wait) finds it started, so a cancel
    // reaches its finally.
    PyObject* wait_on = nullptr;
    const PySendResult sent = coro ? step_coro(coro, &wait_on, &step, entered) : PYGEN_ERROR;
    PyObject* task = nullptr;
    if (sent == PYGEN_NEXT) {
        task = PyObject_CallFunctionObjArgs(take_over_, coro, wait_on, nullptr);
        Py_DECREF(wait_on);
        if (task && step) {
            // The producer kept its stand-in: from now on it stands for the Task.
            PyObject* r = PyObject_CallMethodOneArg(step, self_->state->str_bind, task);
            if (!r) PyErr_WriteUnraisable(step);
            Py_XDECREF(r);
        }
        if (!task) {
            // No Task to go on in: the response cannot end well.
            PyErr_WriteUnraisable(take_over_);
            transfer_abort(t);
        }
    } else {
        Py_XDECREF(wait_on);
        // The pump lets only what is not an Exception out (KeyboardInterrupt).
        if (sent == PYGEN_ERROR) PyErr_WriteUnraisable(coro ? coro : run_stream_);
    }
    Py_XDECREF(step);
    Py_XDECREF(coro);
    if (task) Py_XSETREF(t->task, task);
}

void Engine::pump(TransferObject* t, PyObject** entered) {
    PyObject* source = t->source;
    PyTypeObject* type = Py_TYPE(source);
    const bool async = type->tp_as_async && type->tp_as_async->am_aiter;
    PyObject* pieces = async ? type->tp_as_async->am_aiter(source) : PyObject_GetIter(source);
    if (!pieces) {
        carry_on(t, source, nullptr, nullptr, nullptr, entered);  // the pump says what was wrong
        return;
    }
    // A generator, async or not, has nothing left to close once exhausted;
    // another iterator may (a file's close(), an aclose() to await): the
    // pump runs those from the start, and closes them as it ends.
    const bool generator = async ? PyAsyncGen_CheckExact(pieces) : PyGen_CheckExact(pieces);
    const bool gone = !find(t->conn_id);  // the pump only closes the source then
    if (gone)
        PyErr_SetString(self_->state->client_disconnected, "the client closed the connection");
    if (!generator || gone) {
        carry_on(t, pieces, nullptr, nullptr, nullptr, entered);
        Py_DECREF(pieces);
        return;
    }
    PyObject* step = nullptr;  // the stand-in the producer keeps, once it keeps one
    enum class Next { piece, end, wait, error };
    // The next piece into `piece`, made under a stand-in; when it must wait,
    // `aw` the awaitable in flight and `yielded` what it yielded.
    auto next_piece = [&](PyObject*& piece, PyObject*& aw, PyObject*& yielded) {
        if (!async) {
            piece = PyIter_Next(pieces);
            if (piece) return Next::piece;
            return PyErr_Occurred() ? Next::error : Next::end;
        }
        aw = Py_TYPE(pieces)->tp_as_async->am_anext(pieces);
        if (!aw) return Next::error;
        const PySendResult sent = step_coro(aw, &yielded, &step, entered, true);
        if (sent == PYGEN_NEXT) return Next::wait;
        Py_CLEAR(aw);
        if (sent == PYGEN_RETURN) {
            piece = std::exchange(yielded, nullptr);
            return Next::piece;
        }
        if (!PyErr_ExceptionMatches(PyExc_StopAsyncIteration)) return Next::error;
        PyErr_Clear();
        return Next::end;
    };
    for (;;) {
        // Cancelled (it cancelled its own task): the pump's Task delivers it
        // at the producer's next wait, as asyncio would at its next step.
        if (step && cancel_pending(step)) {
            carry_on(t, pieces, nullptr, nullptr, step, entered);
            break;
        }
        PyObject *piece = nullptr, *aw = nullptr, *yielded = nullptr;
        const Next next = next_piece(piece, aw, yielded);
        if (next == Next::wait) {
            carry_on(t, pieces, aw, yielded, step, entered);
            break;
        }
        if (next == Next::error) {
            carry_on(t, pieces, nullptr, nullptr, step, entered);
            break;
        }
        if (next == Next::end) {
            PyObject* r = transfer_end(t);
            if (!r) {
                carry_on(t, pieces, nullptr, nullptr, step, entered);
                break;
            }
            Py_DECREF(r);
            Py_XDECREF(step);  // an exhausted generator has nothing left to close
            break;
        }
        PyObject* r = transfer_write_piece(t, piece);
        Py_DECREF(piece);
        if (!r) {
            carry_on(t, pieces, nullptr, nullptr, step, entered);
            break;
        }
        const bool full = r == Py_False;
        Py_DECREF(r);
        if (full) {
            // The Task waits for room, then goes on.
            PyObject* drained = transfer_drain(t);
            carry_on(t, pieces, drained, nullptr, step, entered);
            break;
        }
    }
    Py_DECREF(pieces);
}

}  // namespace lesto::py
