// coroutines.cpp: driving `async def` handlers.
//
// The engine runs a handler coroutine itself for as long as the coroutine
// only yields bare (asyncio.sleep(0) and other "let the loop run" points):
// each one that yields waits in `ready_`, and one loop callback per round
// resumes them all. No asyncio Task, Handle, context copy or done-callback
// is made per request on that path. When a coroutine yields a future, or a
// cancellation is pending for it, a real Task takes it over (Scheduler.take_over
// in lesto/_coro.py) and the same Suspended object becomes its done-callback.
//
// While the engine runs a step, a stand-in (EagerStep) is asyncio's current
// task, so asyncio.timeout, TaskGroup and current_task() work; a stand-in
// that someone kept (a timeout holds it) stays with its coroutine, and its
// recorded cancels are replayed on the Task that takes over.
#include "engine.hpp"
#include "refcount.hpp"

#include "asgi/asgi.hpp"

#include <structmember.h>

#include <cstddef>

namespace lesto::py {

struct SuspendedObject {
    PyObject_HEAD
    vectorcallfunc vectorcall;  // as a Task's done-callback
    ServerObject* server;
    RequestObject* request;
    PyObject* coro;  // while the engine drives it; null once a Task does
    PyObject* step;  // the stand-in it runs under, when it must keep its own; else null
    std::uint64_t conn_id;
    std::uint64_t seq;
    bool in_error_handler;
};

namespace {

/// Called by the Task that took the coroutine over, once it is done.
PyObject* Suspended_call(SuspendedObject* s, PyObject* const* args, std::size_t nargsf, PyObject*) {
    if (PyVectorcall_NARGS(nargsf) != 1) {
        PyErr_SetString(PyExc_TypeError, "a Suspended is called with the finished task");
        return nullptr;
    }
    Engine* e = s->server->engine;
    Connection* conn = e ? e->find(s->conn_id) : nullptr;
    if (!conn || !conn->owes(s->seq)) {
        // Closed first, or answered 503 at the end of a stop: the task was
        // cancelled and the slot's reference to it released then.
        if (e && s->request->done_callbacks) {
            e->done(s->request);
            e->run_done_callbacks();
        }
        Py_RETURN_NONE;
    }
    PyObject* task = args[0];
    PyObject* result = PyObject_CallMethodNoArgs(task, s->server->state->str_result);
    e->complete(*conn, s->seq, s->request, result, s->in_error_handler);
    Py_DECREF(task);  // the reference the pipeline slot held as its token
    e->answered_later(s->conn_id);
    Py_RETURN_NONE;
}

void Suspended_dealloc(SuspendedObject* s) {
    PyTypeObject* type = Py_TYPE(s);
    Py_XDECREF(s->coro);  // never resumed (the server closed): closing it runs its finally blocks
    Py_XDECREF(s->step);
    Py_XDECREF(s->request);
    Py_XDECREF(s->server);
    type->tp_free(s);
    Py_DECREF(type);
}

PyMemberDef Suspended_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(SuspendedObject, vectorcall), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot Suspended_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Suspended_dealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, Suspended_members},
    {0, nullptr},
};

}  // namespace

PyType_Spec suspended_spec = {
    "lesto._native._Suspended",
    sizeof(SuspendedObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Suspended_slots,
};

// ---- running steps ---------------------------------------------------------------

bool Engine::cancel_pending(PyObject* step) {
    PyObject* n = PyObject_GetAttr(step, self_->state->str_cancels_attr);
    const bool pending = n && PyObject_IsTrue(n) == 1;
    if (!n) PyErr_Clear();
    Py_XDECREF(n);
    return pending;
}

bool Engine::enter(PyObject* step) {
    PyObject* args[2] = {loop_, step};
    PyObject* r = PyObject_Vectorcall(enter_task_, args, 2, nullptr);
    Py_XDECREF(r);
    return r != nullptr;
}

void Engine::leave(PyObject** entered) {
    if (!*entered) return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);  // a handler's exception may be pending
    PyObject* args[2] = {loop_, *entered};
    PyObject* r = PyObject_Vectorcall(leave_task_, args, 2, nullptr);
    if (!r) PyErr_WriteUnraisable(leave_task_);
    Py_XDECREF(r);
    Py_CLEAR(*entered);
    PyErr_Restore(type, value, tb);
}

Py_ssize_t Engine::own_refs(PyObject* step, PyObject** entered) const noexcept {
    return (step == step_) + (entered && *entered == step ? 2 : 0);
}

PySendResult Engine::step_coro(PyObject* coro, PyObject** yielded, PyObject** step,
                               PyObject** entered, bool keep) {
    if (!enter_task_) return PyIter_Send(coro, Py_None, yielded);
    PyObject* st = *step;
    if (!st) {
        // Any free stand-in will do: no one holds it, so no one can tell
        // (refcount.hpp, facts 1-3).
        if (!step_ || !refcount::only_known_refs(step_, own_refs(step_, entered))) {
            Py_XSETREF(step_, PyObject_CallOneArg(stand_in_, loop_));
            if (!step_) return PYGEN_ERROR;
            ++steps_made_;
        }
        st = Py_NewRef(step_);
    }
    *step = nullptr;
    PyObject* alone = nullptr;  // no round: enter and leave around this step
    PyObject** current = entered ? entered : &alone;
    if (*current != st) {
        leave(current);
        if (!enter(st)) {
            Py_DECREF(st);
            return PYGEN_ERROR;
        }
        *current = Py_NewRef(st);
    }
    const PySendResult sent = PyIter_Send(coro, Py_None, yielded);
    leave(&alone);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    const bool cancelled = cancel_pending(st);
    PyErr_Restore(type, value, tb);
    // Someone kept the stand-in (a timeout, a TaskGroup) or cancelled it:
    // it belongs to this coroutine now and is never handed to another.
    if (!refcount::only_known_refs(st, 1 + own_refs(st, entered)) || cancelled) {  // 1: `st` itself
        if (st == step_) Py_CLEAR(step_);
        if (sent == PYGEN_NEXT || keep) {
            *step = st;
            return sent;
        }
    }
    Py_DECREF(st);
    return sent;
}

// ---- suspending, resuming, handing over --------------------------------------------

void Engine::suspend(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* coro,
                     PyObject* yielded, bool in_error_handler, PyObject* step) {
    auto* type = self_->state->suspended_type;
    auto* s = reinterpret_cast<SuspendedObject*>(type->tp_alloc(type, 0));
    if (!s) {
        Py_DECREF(coro);
        Py_XDECREF(yielded);
        Py_XDECREF(step);
        fail(conn, seq, req, in_error_handler);
        return;
    }
    s->vectorcall = reinterpret_cast<vectorcallfunc>(Suspended_call);
    s->server = reinterpret_cast<ServerObject*>(Py_NewRef(self_));
    s->request = reinterpret_cast<RequestObject*>(Py_NewRef(req));
    s->conn_id = conn.id();
    s->seq = seq;
    s->in_error_handler = in_error_handler;
    request_detach(req);  // it outlives this dispatch
    park(conn, s, coro, yielded, step);
    Py_DECREF(s);
}

void Engine::park(Connection& conn, SuspendedObject* s, PyObject* coro, PyObject* yielded,
                  PyObject* step) {
    if (yielded == Py_None && !(step && cancel_pending(step))) {
        // A bare yield asks only to be resumed with None on a later round.
        Py_DECREF(yielded);
        s->coro = coro;
        s->step = step;
        ready_.push_back(reinterpret_cast<SuspendedObject*>(Py_NewRef(s)));
        conn.set_token(s->seq, Py_NewRef(s));  // the slot's reference
        if (!round_scheduled_) {
            PyObject* r = PyObject_CallOneArg(call_soon_, resume_round_);
            if (r) {
                round_scheduled_ = true;
                Py_DECREF(r);
            } else {
                PyErr_WriteUnraisable(call_soon_);
            }
        }
        return;
    }
    PyObject* task = hand_over(s, coro, yielded, step);
    if (!task) {
        fail(conn, s->seq, s->request, s->in_error_handler);
        return;
    }
    conn.set_token(s->seq, task);  // the slot now owns this reference
}

void Engine::run_asgi(Connection&, std::uint64_t, RequestObject* req, PyObject* call,
                      PyObject* coro) {
    PyObject* guarded = asgi::guard(*this, coro, call);
    Py_DECREF(coro);
    // The call's own context, as a Task's: what the app sets stays its own.
    PyObject* context = guarded ? PyContext_CopyCurrent() : nullptr;
    PyObject* task = nullptr;
    bool ended = false;
    // 3.11 has no eager tasks: the engine makes the first step itself, under
    // a stand-in, as for the Lesto API's handlers. An app that never waits
    // (most requests of most apps) ends in it, and no Task is made: the Task
    // was half of a raw hello's instructions. (3.12's Tasks start eagerly;
    // 3.10's take no context, so a step made here would not be theirs.)
    const bool step_here =
        context && enter_task_ && PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000;
    if (step_here) {
        PyObject* yielded = nullptr;
        PyObject* step = nullptr;
        PySendResult sent = PYGEN_ERROR;
        if (PyContext_Enter(context) == 0) {
            sent = step_coro(guarded, &yielded, &step, nullptr);
            if (PyContext_Exit(context) < 0) PyErr_WriteUnraisable(context);
        }
        if (sent == PYGEN_NEXT) {
            task = asgi::carry_on(*this, guarded, yielded, step, context);
        } else if (sent == PYGEN_RETURN) {
            // The guard ended the call in the step that ended the app.
            Py_XDECREF(yielded);
            ended = true;
        }
        // PYGEN_ERROR: the step was not made (no stand-in); finish says why.
    } else if (context) {
        PyObject* args[2] = {guarded, context};
        task = PyObject_Vectorcall(run_task_, args, 2, nullptr);
    }
    Py_XDECREF(context);
    Py_XDECREF(guarded);
    if (ended) return;
    if (!task) {
        asgi::finish(*this, call, nullptr);
        return;
    }
    request_detach(req);  // it may outlive this dispatch
    asgi::keep_task(call, task);
}

PyObject* Engine::hand_over(SuspendedObject* s, PyObject* coro, PyObject* yielded, PyObject* step) {
    PyObject* task = PyObject_CallFunctionObjArgs(take_over_, coro, yielded, nullptr);
    Py_DECREF(coro);
    Py_XDECREF(yielded);
    if (task && step) {
        // From now on the stand-in forwards to the real Task (and replays its cancels).
        PyObject* r = PyObject_CallMethodOneArg(step, self_->state->str_bind, task);
        if (!r) Py_CLEAR(task);
        Py_XDECREF(r);
    }
    Py_XDECREF(step);
    if (!task) return nullptr;
    PyObject* added = PyObject_CallMethodOneArg(task, self_->state->str_add_done_callback,
                                                reinterpret_cast<PyObject*>(s));
    if (!added) {
        Py_DECREF(task);
        return nullptr;
    }
    Py_DECREF(added);
    return task;
}

void Engine::resume_round() {
    round_scheduled_ = false;
    std::vector<SuspendedObject*> nested;  // as in net::Server::flush
    std::vector<SuspendedObject*>& batch = resuming_.empty() ? resuming_ : nested;
    batch.swap(ready_);
    // One stand-in stays asyncio's current task across the round's steps
    // while they all run under it: no enter/leave per coroutine.
    PyObject* entered = nullptr;
    for (SuspendedObject* s : batch) {
        PyObject* coro = s->coro;
        Connection* conn = coro ? find(s->conn_id) : nullptr;
        if (!conn) {  // abandoned: a cancelled Task has it now
            Py_DECREF(s);
            continue;
        }
        s->coro = nullptr;
        PyObject* step = s->step;
        s->step = nullptr;
        conn->set_token(s->seq, nullptr);
        Py_DECREF(s);  // the slot's reference: it gets a new token, or is answered
        if (step && cancel_pending(step)) {
            // Cancelled while waiting (a timeout fired): a Task delivers it.
            park(*conn, s, coro, Py_NewRef(Py_None), step);
            Py_DECREF(s);
            continue;
        }
        PyObject* yielded = nullptr;
        const PySendResult sent = step_coro(coro, &yielded, &step, &entered);
        if (sent == PYGEN_NEXT) {
            park(*conn, s, coro, yielded, step);
        } else {
            Py_DECREF(coro);
            // A Response is written without running Python code; anything
            // else may run an error handler, which must not find a task entered.
            if (sent != PYGEN_RETURN || !Py_IS_TYPE(yielded, self_->state->response_type)) {
                leave(&entered);
            }
            complete(*conn, s->seq, s->request, sent == PYGEN_RETURN ? yielded : nullptr,
                     s->in_error_handler);
            net_.mark_dirty(s->conn_id);
        }
        Py_DECREF(s);
    }
    leave(&entered);
    batch.clear();
    flush();  // what this round answered
}

void Engine::abandon(void* token) noexcept {
    auto* obj = static_cast<PyObject*>(token);
    if (Py_IS_TYPE(obj, self_->state->asgi.call_type)) {
        asgi::abandoned(*this, obj);
        return;
    }
    if (Py_IS_TYPE(obj, self_->state->websocket_type)) {
        websocket_abandoned(reinterpret_cast<WebSocketObject*>(obj));
        return;
    }
    if (Py_IS_TYPE(obj, self_->state->suspended_type)) {
        // Waiting in ready_: a Task takes it over and is cancelled, so the
        // handler sees CancelledError at its await, as it would under asyncio.
        auto* s = reinterpret_cast<SuspendedObject*>(obj);
        PyObject* coro = s->coro;
        PyObject* step = s->step;
        s->coro = s->step = nullptr;
        PyObject* task = coro ? hand_over(s, coro, Py_NewRef(Py_None), step) : nullptr;
        if (task) {
            PyObject* r = PyObject_CallMethodNoArgs(task, self_->state->str_cancel);
            Py_XDECREF(r);
            Py_DECREF(task);
        }
        PyErr_Clear();  // the loop may already be closed at shutdown
        Py_DECREF(obj);
        return;
    }
    PyObject* r = PyObject_CallMethodNoArgs(obj, self_->state->str_cancel);
    if (!r) PyErr_Clear();
    Py_XDECREF(r);
    Py_DECREF(obj);
}

void settle(PyObject*& waiter, PyObject* value) noexcept {
    PyObject* f = std::exchange(waiter, nullptr);
    if (!f) {
        Py_XDECREF(value);
        if (!value) PyErr_Clear();
        return;
    }
    PyObject* r;
    if (value) {
        r = PyObject_CallMethod(f, "set_result", "O", value);
        Py_DECREF(value);
    } else {
        PyObject *type, *exc, *tb;
        PyErr_Fetch(&type, &exc, &tb);
        PyErr_NormalizeException(&type, &exc, &tb);
        r = exc ? PyObject_CallMethod(f, "set_exception", "O", exc) : nullptr;
        Py_XDECREF(type);
        Py_XDECREF(exc);
        Py_XDECREF(tb);
    }
    if (!r) PyErr_WriteUnraisable(f);
    Py_XDECREF(r);
    Py_DECREF(f);
}

}  // namespace lesto::py
