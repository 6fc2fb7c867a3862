// server_type.cpp: lesto._native.Server: runs handlers for the C++ engine and returns their responses.
#include "native.hpp"

#include <structmember.h>

#include <cstddef>
#include <ctime>
#include <memory>

#include "net/server.hpp"

namespace lesto::py {

/// The Dispatcher of one server: the only place that calls application code.
/// Whether a handler is sync or async is decided here, once, by what it returns.
class Engine final : public Dispatcher {
public:
    Engine(ServerObject* self, const http::Limits& limits, const net::Timeouts& timeouts)
        : self_(self), limits_(limits), net_(limits_, timeouts, *this) {}

    ~Engine() override {
        Py_CLEAR(spare_);
        for (PyObject* h : handlers_) Py_DECREF(h);
        for (PyObject* r : routes_) Py_DECREF(r);
        Py_CLEAR(request_class_);
        Py_CLEAR(on_error_);
        Py_CLEAR(on_not_found_);
        Py_CLEAR(resume_);
        Py_CLEAR(call_soon_);
        Py_CLEAR(flush_);
    }

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& ref) override;
    void abandon(void* token) noexcept override;
    void complete(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* result,
                  bool in_error_handler);
    void answered_later(std::uint64_t conn_id);

    ServerObject* self_;
    http::Limits limits_;
    net::Server net_;
    router::Router router_;
    std::vector<PyObject*> handlers_;
    std::vector<PyObject*> routes_;
    PyObject* request_class_ = nullptr;
    PyObject* on_error_ = nullptr;
    PyObject* on_not_found_ = nullptr;
    PyObject* resume_ = nullptr;
    PyObject* call_soon_ = nullptr;
    PyObject* flush_ = nullptr;

private:
    RequestObject* take_request();
    void release_request(RequestObject* req);
    void fail(Connection& conn, std::uint64_t seq, RequestObject* req, bool in_error_handler);
    void write(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp);
    void suspend(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* coro,
                 PyObject* yielded, bool in_error_handler);

    RequestObject* spare_ = nullptr;  // reused while no one else holds it
    ResponseView view_;
};

const router::Router& engine_router(const Engine& engine) noexcept { return engine.router_; }

// ---- Completion: the done-callback of a handler's task ----------------------

struct CompletionObject {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    ServerObject* server;
    RequestObject* request;
    std::uint64_t conn_id;
    std::uint64_t seq;
    bool in_error_handler;
};

namespace {

PyObject* Completion_call(CompletionObject* c, PyObject* const* args, std::size_t nargsf, PyObject*) {
    if (PyVectorcall_NARGS(nargsf) != 1) {
        PyErr_SetString(PyExc_TypeError, "completion takes the finished task");
        return nullptr;
    }
    Engine* e = c->server->engine;
    Connection* conn = e ? e->net_.find(c->conn_id) : nullptr;
    if (!conn) Py_RETURN_NONE;  // closed: the task was cancelled and released then
    PyObject* task = args[0];
    PyObject* result = PyObject_CallMethodNoArgs(task, c->server->state->str_result);
    e->complete(*conn, c->seq, c->request, result, c->in_error_handler);
    Py_DECREF(task);  // the reference the pipeline slot held as its token
    e->answered_later(c->conn_id);
    Py_RETURN_NONE;
}

void Completion_dealloc(CompletionObject* c) {
    PyTypeObject* type = Py_TYPE(c);
    Py_XDECREF(c->request);
    Py_XDECREF(c->server);
    type->tp_free(c);
    Py_DECREF(type);
}

PyMemberDef Completion_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(CompletionObject, vectorcall), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

PyType_Slot Completion_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Completion_dealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, Completion_members},
    {0, nullptr},
};

}  // namespace

PyType_Spec completion_spec = {
    "lesto._native.Completion",
    sizeof(CompletionObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Completion_slots,
};

// ---- Engine -----------------------------------------------------------------

RequestObject* Engine::take_request() {
    if (spare_ && Py_REFCNT(spare_) == 1) return spare_;
    Py_CLEAR(spare_);
    auto* type = reinterpret_cast<PyTypeObject*>(request_class_);
    auto* r = reinterpret_cast<RequestObject*>(type->tp_alloc(type, 0));
    if (!r) return nullptr;
    spare_ = r;
    return r;
}

void Engine::release_request(RequestObject* req) {
    if (Py_REFCNT(req) > 1) {
        // The application kept it (or its task runs on): it must own its data,
        // and the next request gets a fresh object.
        request_detach(req);
        Py_CLEAR(spare_);
        return;
    }
    request_reset(req);
    Py_CLEAR(req->dict);
}

void Engine::dispatch(Connection& conn, std::uint64_t seq, const RequestRef& ref) {
    const router::Match match = router_.match(ref.head.method, ref.head.path);
    RequestObject* req = take_request();
    if (!req) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, "Internal Server Error");
        return;
    }
    const bool found = match.kind == router::MatchKind::found;
    request_bind(req, self_, conn, seq, ref, &match, found ? routes_[match.route] : nullptr);
    PyObject* arg = reinterpret_cast<PyObject*>(req);
    PyObject* result;
    if (found) {
        result = PyObject_Vectorcall(handlers_[match.route], &arg, 1, nullptr);
    } else {
        PyObject* allowed = Py_None;
        PyObject* text = nullptr;
        if (match.kind == router::MatchKind::method_not_allowed) {
            const std::string methods = router_.allowed_methods(ref.head.path);
            text = PyUnicode_FromStringAndSize(methods.data(), static_cast<Py_ssize_t>(methods.size()));
            allowed = text ? text : Py_None;
        }
        result = PyObject_CallFunctionObjArgs(on_not_found_, arg, allowed, nullptr);
        Py_XDECREF(text);
    }
    complete(conn, seq, req, result, false);
    release_request(req);
}

void Engine::complete(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* result,
                      bool in_error_handler) {
    if (!result) {
        fail(conn, seq, req, in_error_handler);
        return;
    }
    ModuleState* st = self_->state;
    if (Py_IS_TYPE(result, st->response_type)) {
        write(conn, seq, req, reinterpret_cast<ResponseObject*>(result));
        Py_DECREF(result);
        return;
    }
    if (PyCoro_CheckExact(result)) {
        // Run the coroutine to its first suspension right here: one that never
        // suspends costs no Task and no extra loop iteration.
        PyObject* yielded = nullptr;
        const PySendResult sent = PyIter_Send(result, Py_None, &yielded);
        if (sent == PYGEN_NEXT) {
            suspend(conn, seq, req, result, yielded, in_error_handler);
            return;
        }
        Py_DECREF(result);
        complete(conn, seq, req, sent == PYGEN_RETURN ? yielded : nullptr, in_error_handler);
        return;
    }
    PyErr_Format(PyExc_TypeError, "handler returned %.100R instead of a Response", result);
    Py_DECREF(result);
    fail(conn, seq, req, in_error_handler);
}

void Engine::fail(Connection& conn, std::uint64_t seq, RequestObject* req, bool in_error_handler) {
    // The app's on_error logs and picks the response; it is told whether the
    // failure came from an error handler so that it answers a plain 500 then.
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value) PyException_SetTraceback(value, tb);
    PyObject* result = PyObject_CallFunctionObjArgs(on_error_, reinterpret_cast<PyObject*>(req),
                                                    value ? value : Py_None,
                                                    in_error_handler ? Py_True : Py_False, nullptr);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (result && Py_IS_TYPE(result, self_->state->response_type) && in_error_handler) {
        write(conn, seq, req, reinterpret_cast<ResponseObject*>(result));
        Py_DECREF(result);
        return;
    }
    if (result && !in_error_handler) {
        complete(conn, seq, req, result, true);
        return;
    }
    if (!result) PyErr_WriteUnraisable(on_error_);
    Py_XDECREF(result);
    conn.respond_error(seq, 500, "Internal Server Error");
}

void Engine::write(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp) {
    if (!response_view(resp, view_)) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(resp));
        conn.respond_error(seq, 500, "Internal Server Error");
        return;
    }
    view_.spec.version_minor = req->head->version_minor;
    view_.spec.keep_alive = req->head->keep_alive;
    view_.spec.head_request = req->head->is_head();
    conn.respond(seq, view_.spec);
}

void Engine::suspend(Connection& conn, std::uint64_t seq, RequestObject* req, PyObject* coro,
                     PyObject* yielded, bool in_error_handler) {
    PyObject* task = PyObject_CallFunctionObjArgs(resume_, coro, yielded, nullptr);
    Py_DECREF(coro);
    Py_XDECREF(yielded);
    if (!task) {
        fail(conn, seq, req, in_error_handler);
        return;
    }
    auto* type = self_->state->completion_type;
    auto* c = reinterpret_cast<CompletionObject*>(type->tp_alloc(type, 0));
    if (!c) {
        Py_DECREF(task);
        fail(conn, seq, req, in_error_handler);
        return;
    }
    c->vectorcall = reinterpret_cast<vectorcallfunc>(Completion_call);
    c->server = reinterpret_cast<ServerObject*>(Py_NewRef(self_));
    c->request = reinterpret_cast<RequestObject*>(Py_NewRef(req));
    c->conn_id = conn.id();
    c->seq = seq;
    c->in_error_handler = in_error_handler;
    PyObject* added = PyObject_CallMethodOneArg(task, self_->state->str_add_done_callback,
                                                reinterpret_cast<PyObject*>(c));
    Py_DECREF(c);
    if (!added) {
        Py_DECREF(task);
        fail(conn, seq, req, in_error_handler);
        return;
    }
    Py_DECREF(added);
    request_detach(req);
    conn.set_token(seq, task);  // the slot now owns this reference
}

void Engine::abandon(void* token) noexcept {
    auto* task = static_cast<PyObject*>(token);
    PyObject* r = PyObject_CallMethodNoArgs(task, self_->state->str_cancel);
    if (!r) PyErr_Clear();  // the loop may already be closed at shutdown
    Py_XDECREF(r);
    Py_DECREF(task);
}

void Engine::answered_later(std::uint64_t conn_id) {
    if (!net_.mark_dirty(conn_id)) return;
    PyObject* r = PyObject_CallOneArg(call_soon_, flush_);
    if (!r) PyErr_WriteUnraisable(call_soon_);
    Py_XDECREF(r);
}

// ---- the Python type ----------------------------------------------------------

namespace {

bool read_size(PyObject* dict, const char* key, std::size_t& out) {
    PyObject* v = PyDict_GetItemString(dict, key);
    if (!v) return true;
    const Py_ssize_t n = PyLong_AsSsize_t(v);
    if (n == -1 && PyErr_Occurred()) return false;
    if (n <= 0) {
        PyErr_Format(PyExc_ValueError, "limit %s must be a positive int, got %R", key, v);
        return false;
    }
    out = static_cast<std::size_t>(n);
    return true;
}

bool read_seconds(PyObject* dict, const char* key, int& out) {
    PyObject* v = PyDict_GetItemString(dict, key);
    if (!v) return true;
    const long n = PyLong_AsLong(v);
    if (n == -1 && PyErr_Occurred()) return false;
    if (n <= 0) {
        PyErr_Format(PyExc_ValueError, "timeout %s must be a positive number of seconds, got %R", key, v);
        return false;
    }
    out = static_cast<int>(n);
    return true;
}

PyObject* Server_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    static const char* kwlist[] = {"routes",      "request_class", "headers_factory", "on_error",
                                   "on_not_found", "resume",       "call_soon",       "limits",
                                   "timeouts",     nullptr};
    PyObject *routes, *request_class, *headers_factory, *on_error, *on_not_found, *resume, *call_soon;
    PyObject* limits = nullptr;
    PyObject* timeouts = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!OOOOOO|O!O!", const_cast<char**>(kwlist),
                                     &PyList_Type, &routes, &request_class, &headers_factory,
                                     &on_error, &on_not_found, &resume, &call_soon, &PyDict_Type,
                                     &limits, &PyDict_Type, &timeouts)) {
        return nullptr;
    }
    ModuleState* st = state_of_type(type);
    if (!PyType_Check(request_class) ||
        !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(request_class), st->request_type)) {
        PyErr_SetString(PyExc_TypeError, "request_class must be a subclass of lesto._native.Request");
        return nullptr;
    }
    http::Limits lim;
    net::Timeouts tmo;
    if (limits && !(read_size(limits, "max_request_line", lim.max_request_line) &&
                    read_size(limits, "max_header_bytes", lim.max_header_bytes) &&
                    read_size(limits, "max_header_count", lim.max_header_count) &&
                    read_size(limits, "max_body_bytes", lim.max_body_bytes) &&
                    read_size(limits, "max_in_flight", lim.max_in_flight) &&
                    read_size(limits, "max_output_buffer", lim.max_output_buffer))) {
        return nullptr;
    }
    if (timeouts && !(read_seconds(timeouts, "keep_alive", tmo.keep_alive) &&
                      read_seconds(timeouts, "linger", tmo.linger))) {
        return nullptr;
    }

    auto* self = reinterpret_cast<ServerObject*>(type->tp_alloc(type, 0));
    if (!self) return nullptr;
    self->state = st;
    self->headers_factory = Py_NewRef(headers_factory);
    try {
        self->engine = new Engine(self, lim, tmo);
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_OSError, e.what());
        Py_DECREF(self);
        return nullptr;
    }
    Engine& eng = *self->engine;
    eng.request_class_ = Py_NewRef(request_class);
    eng.on_error_ = Py_NewRef(on_error);
    eng.on_not_found_ = Py_NewRef(on_not_found);
    eng.resume_ = Py_NewRef(resume);
    eng.call_soon_ = Py_NewRef(call_soon);
    eng.flush_ = PyObject_GetAttrString(reinterpret_cast<PyObject*>(self), "flush");
    if (!eng.flush_) {
        Py_DECREF(self);
        return nullptr;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(routes); ++i) {
        PyObject *pattern, *methods, *handler, *route;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(routes, i), "UO!OO", &pattern, &PyTuple_Type, &methods,
                              &handler, &route)) {
            Py_DECREF(self);
            return nullptr;
        }
        std::vector<std::string> names;
        for (Py_ssize_t m = 0; m < PyTuple_GET_SIZE(methods); ++m) {
            const char* s = PyUnicode_AsUTF8(PyTuple_GET_ITEM(methods, m));
            if (!s) {
                Py_DECREF(self);
                return nullptr;
            }
            names.emplace_back(s);
        }
        try {
            eng.router_.add(PyUnicode_AsUTF8(pattern), std::move(names));
        } catch (const router::RouteError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
            Py_DECREF(self);
            return nullptr;
        }
        eng.handlers_.push_back(Py_NewRef(handler));
        eng.routes_.push_back(Py_NewRef(route));
    }
    return reinterpret_cast<PyObject*>(self);
}

void Server_dealloc(ServerObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    delete self->engine;
    self->engine = nullptr;
    Py_CLEAR(self->headers_factory);
    type->tp_free(self);
    Py_DECREF(type);
}

Engine* engine_or_raise(ServerObject* self) {
    if (!self->engine) PyErr_SetString(PyExc_RuntimeError, "the server is closed");
    return self->engine;
}

PyObject* Server_fileno(ServerObject* self, PyObject*) {
    Engine* e = engine_or_raise(self);
    return e ? PyLong_FromLong(e->net_.fd()) : nullptr;
}

PyObject* Server_add_listener(ServerObject* self, PyObject* arg) {
    Engine* e = engine_or_raise(self);
    if (!e) return nullptr;
    const long fd = PyLong_AsLong(arg);
    if (fd == -1 && PyErr_Occurred()) return nullptr;
    try {
        e->net_.add_listener(static_cast<int>(fd));
    } catch (const std::exception& ex) {
        PyErr_SetString(PyExc_OSError, ex.what());
        return nullptr;
    }
    Py_RETURN_NONE;
}

PyObject* Server_poll(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->net_.poll();
    if (PyErr_Occurred()) return nullptr;
    Py_RETURN_NONE;
}

PyObject* Server_flush(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->net_.flush();
    Py_RETURN_NONE;
}

PyObject* Server_tick(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->net_.tick(std::time(nullptr));
    Py_RETURN_NONE;
}

PyObject* Server_close_listeners(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->net_.close_listeners();
    Py_RETURN_NONE;
}

PyObject* Server_close(ServerObject* self, PyObject*) {
    delete self->engine;
    self->engine = nullptr;
    Py_RETURN_NONE;
}

PyObject* Server_get_connection_count(ServerObject* self, void*) {
    return PyLong_FromSize_t(self->engine ? self->engine->net_.connection_count() : 0);
}

PyMethodDef Server_methods[] = {
    {"fileno", reinterpret_cast<PyCFunction>(Server_fileno), METH_NOARGS,
     "The epoll descriptor the event loop watches."},
    {"add_listener", reinterpret_cast<PyCFunction>(Server_add_listener), METH_O,
     "Take ownership of a listening socket descriptor."},
    {"poll", reinterpret_cast<PyCFunction>(Server_poll), METH_NOARGS, "Serve every ready socket."},
    {"flush", reinterpret_cast<PyCFunction>(Server_flush), METH_NOARGS,
     "Send responses that asynchronous handlers produced."},
    {"tick", reinterpret_cast<PyCFunction>(Server_tick), METH_NOARGS,
     "Once a second: Date header and timeouts."},
    {"close_listeners", reinterpret_cast<PyCFunction>(Server_close_listeners), METH_NOARGS,
     "Stop accepting connections."},
    {"close", reinterpret_cast<PyCFunction>(Server_close), METH_NOARGS,
     "Close every connection and listener."},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef Server_getset[] = {
    {"connection_count", reinterpret_cast<getter>(Server_get_connection_count), nullptr,
     "Open client connections.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot Server_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(Server_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(Server_dealloc)},
    {Py_tp_methods, Server_methods},
    {Py_tp_getset, Server_getset},
    {Py_tp_doc, const_cast<char*>("The engine of one worker: sockets, parsing, routing, responses.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec server_spec = {
    "lesto._native.Server",
    sizeof(ServerObject),
    0,
    Py_TPFLAGS_DEFAULT,
    Server_slots,
};

}  // namespace lesto::py
