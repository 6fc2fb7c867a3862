// server_type.cpp: lesto._native.Server: runs handlers for the C++ engine and returns their
// responses.
#include <ctime>

#include "engine.hpp"
#include "server_memory.hpp"

namespace lesto::py {

// ---- the Python type ----------------------------------------------------------

namespace {

PyObject* Server_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    ModuleState* st = state_of_type(type);
    PyObject* arg;
    if ((kwargs && PyDict_GET_SIZE(kwargs)) || !PyArg_ParseTuple(args, "O:Server", &arg)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "Server() takes one ServerConfig");
        return nullptr;
    }
    if (!Py_IS_TYPE(arg, st->server_config_type)) {
        PyErr_Format(PyExc_TypeError, "Server() takes a lesto._native.ServerConfig, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return nullptr;
    }
    auto* config = reinterpret_cast<ServerConfigObject*>(arg);

    auto* self = reinterpret_cast<ServerObject*>(type->tp_alloc(type, 0));
    if (!self) return nullptr;
    self->state = st;
    self->headers_factory = Py_NewRef(config->headers_factory);
    try {
        self->engine = new Engine(self, config->limit_values, config->timeout_values);
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_OSError, e.what());
        Py_DECREF(self);
        return nullptr;
    }
    Engine& eng = *self->engine;
    eng.request_class_ = Py_NewRef(config->request_class);
    eng.error_response_ = Py_NewRef(config->error_response);
    eng.not_found_response_ = Py_NewRef(config->not_found_response);
    eng.loop_ = Py_NewRef(config->loop);
    eng.call_soon_ = Py_NewRef(config->call_soon);
    eng.take_over_ = Py_NewRef(config->take_over);
    eng.stand_in_ = Py_NewRef(config->stand_in);
    eng.run_task_ = Py_NewRef(config->run_task);
    if (config->enter_task != Py_None) {
        eng.enter_task_ = Py_NewRef(config->enter_task);
        eng.leave_task_ = Py_NewRef(config->leave_task);
    }
    eng.access_log_ = config->access_log == Py_None ? nullptr : Py_NewRef(config->access_log);
    eng.callback_failed_ = Py_NewRef(config->callback_failed);
    eng.run_stream_ = Py_NewRef(config->run_stream);
    eng.static_refused_ =
        config->static_refused == Py_None ? nullptr : Py_NewRef(config->static_refused);
    if (!engine_add_files(eng, config->content_types, config->static_dirs)) {
        Py_DECREF(self);
        return nullptr;
    }
    eng.response_failed_ = Py_NewRef(config->response_failed);
    if (config->asgi != Py_None) {
        eng.asgi_app_ = Py_NewRef(config->asgi);
        eng.asgi_scope_ =
            config->asgi_scope == Py_None ? PyDict_New() : PyDict_Copy(config->asgi_scope);
        eng.asgi_websocket_scope_ = config->asgi_websocket_scope == Py_None
                                        ? PyDict_New()
                                        : PyDict_Copy(config->asgi_websocket_scope);
        if (!eng.asgi_scope_ || !eng.asgi_websocket_scope_) {
            Py_DECREF(self);
            return nullptr;
        }
    }
    eng.run_websocket_ =
        config->run_websocket == Py_None ? nullptr : Py_NewRef(config->run_websocket);
    eng.websocket_compression_ = config->websocket_compression == Py_True;
    eng.response_refused_ =
        config->response_refused == Py_None ? nullptr : Py_NewRef(config->response_refused);
    eng.tls_event_ = config->tls_event == Py_None ? nullptr : Py_NewRef(config->tls_event);
    eng.flush_ = PyObject_GetAttrString(reinterpret_cast<PyObject*>(self), "flush");
    eng.resume_round_ = PyObject_GetAttrString(reinterpret_cast<PyObject*>(self), "_resume_round");
    if (!eng.flush_ || !eng.resume_round_) {
        Py_DECREF(self);
        return nullptr;
    }
    // ServerConfig checked each route's shape; the router checks its pattern and methods.
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(config->routes); ++i) {
        PyObject* route = PyTuple_GET_ITEM(config->routes, i);
        if (!add_route(eng.router_, PyTuple_GET_ITEM(route, 0), PyTuple_GET_ITEM(route, 1))) {
            Py_DECREF(self);
            return nullptr;
        }
        eng.handlers_.push_back(Py_NewRef(PyTuple_GET_ITEM(route, 2)));
        eng.routes_.push_back(Py_NewRef(PyTuple_GET_ITEM(route, 3)));
        const bool streams =
            PyTuple_GET_SIZE(route) > 4 && PyObject_IsTrue(PyTuple_GET_ITEM(route, 4)) == 1;
        eng.streams_body_.push_back(streams);
        eng.any_streams_body_ = eng.any_streams_body_ || streams;
        const bool websocket =
            PyTuple_GET_SIZE(route) > 5 && PyObject_IsTrue(PyTuple_GET_ITEM(route, 5)) == 1;
        if (websocket && !eng.run_websocket_) {
            PyErr_SetString(PyExc_TypeError,
                            "ServerConfig has a WebSocket route but no run_websocket");
            Py_DECREF(self);
            return nullptr;
        }
        eng.websocket_routes_.push_back(websocket);
    }
    return reinterpret_cast<PyObject*>(self);
}

void Server_dealloc(ServerObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    delete self->engine;
    self->engine = nullptr;
    server_memory_free(self);
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

PyObject* Server_add_listener(ServerObject* self, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"", "tls", nullptr};
    int fd;
    PyObject* tls = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "i|$O:add_listener",
                                     const_cast<char**>(keywords), &fd, &tls)) {
        return nullptr;
    }
    Engine* e = engine_or_raise(self);
    if (!e) return nullptr;
    std::shared_ptr<const net::TlsContext> context;
    if (tls != Py_None) {
        if (!Py_IS_TYPE(tls, self->state->tls_context_type)) {
            PyErr_Format(PyExc_TypeError,
                         "add_listener(tls=...) takes a lesto._native.TlsContext or None, not "
                         "%.100s",
                         Py_TYPE(tls)->tp_name);
            return nullptr;
        }
        context = reinterpret_cast<TlsContextObject*>(tls)->context;
    }
    try {
        e->net_.add_listener(fd, std::move(context));
    } catch (const std::exception& ex) {
        PyErr_SetString(PyExc_OSError, ex.what());
        return nullptr;
    }
    Py_RETURN_NONE;
}

PyObject* Server_poll(ServerObject* self, PyObject*) {
    if (self->engine) {
        self->engine->begin_poll();
        self->engine->net_.poll();
        self->engine->end_poll();
        self->engine->run_done_callbacks();
    }
    if (PyErr_Occurred()) return nullptr;
    Py_RETURN_NONE;
}

PyObject* Server_flush(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->flush();
    Py_RETURN_NONE;
}

PyObject* Server_resume_round(ServerObject* self, PyObject*) {
    if (self->engine) self->engine->resume_round();
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

PyObject* Server_drain(ServerObject* self, PyObject*) {
    if (self->engine) {
        self->engine->net_.drain();
        self->engine->run_done_callbacks();
    }
    Py_RETURN_NONE;
}

PyObject* Server_refuse_unanswered(ServerObject* self, PyObject*) {
    std::size_t refused = 0;
    if (self->engine) {
        refused = self->engine->net_.refuse_unanswered();
        self->engine->run_done_callbacks();
    }
    return PyLong_FromSize_t(refused);
}

PyObject* Server_close(ServerObject* self, PyObject*) {
    if (self->engine) {
        self->engine->net_.close_all();  // abandoned requests' callbacks become due
        self->engine->run_done_callbacks();
    }
    delete self->engine;
    self->engine = nullptr;
    server_memory_free(self);
    Py_RETURN_NONE;
}

PyObject* Server_get_connection_count(ServerObject* self, void*) {
    return PyLong_FromSize_t(self->engine ? self->engine->net_.connection_count() : 0);
}

PyMethodDef Server_methods[] = {
    {"fileno", reinterpret_cast<PyCFunction>(Server_fileno), METH_NOARGS,
     "fileno($self, /)\n--\n\nThe epoll descriptor the event loop watches."},
    {"add_listener",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(Server_add_listener)),
     METH_VARARGS | METH_KEYWORDS,
     "add_listener($self, fd, /, *, tls=None)\n--\n\nTake ownership of a listening socket "
     "descriptor; with tls (a TlsContext), its connections speak TLS."},
    {"poll", reinterpret_cast<PyCFunction>(Server_poll), METH_NOARGS,
     "poll($self, /)\n--\n\nServe every ready socket."},
    {"flush", reinterpret_cast<PyCFunction>(Server_flush), METH_NOARGS,
     "flush($self, /)\n--\n\nSend responses that asynchronous handlers produced."},
    {"_resume_round", reinterpret_cast<PyCFunction>(Server_resume_round), METH_NOARGS,
     "_resume_round($self, /)\n--\n\n"
     "Resume the handler coroutines that yielded to the loop (scheduled by the engine)."},
    {"tick", reinterpret_cast<PyCFunction>(Server_tick), METH_NOARGS,
     "tick($self, /)\n--\n\nOnce a second: Date header and timeouts."},
    {"close_listeners", reinterpret_cast<PyCFunction>(Server_close_listeners), METH_NOARGS,
     "close_listeners($self, /)\n--\n\nStop accepting connections."},
    {"drain", reinterpret_cast<PyCFunction>(Server_drain), METH_NOARGS,
     "drain($self, /)\n--\n\n"
     "Graceful stop: accept nothing more, close idle connections, finish received requests."},
    {"refuse_unanswered", reinterpret_cast<PyCFunction>(Server_refuse_unanswered), METH_NOARGS,
     "refuse_unanswered($self, /)\n--\n\n"
     "Grace period over: answer each connection's first unanswered request 503, then close it. "
     "Returns the number of 503s."},
    {"close", reinterpret_cast<PyCFunction>(Server_close), METH_NOARGS,
     "close($self, /)\n--\n\nClose every connection and listener."},
    // Memory connections: a client in this process (lesto.testing), served as a socket's.
    {"memory_open", reinterpret_cast<PyCFunction>(Server_memory_open), METH_VARARGS,
     "memory_open($self, host, port, /)\n--\n\n"
     "Open a connection with no socket, from host:port; returns its id."},
    {"memory_events", reinterpret_cast<PyCFunction>(Server_memory_events), METH_O,
     "memory_events($self, callback, /)\n--\n\n"
     "callback(id) is called each time a memory connection was served (it may have written or "
     "answered), ended its output or closed (None: no callback). It runs inside the engine: it "
     "may only take note."},
    {"memory_send", reinterpret_cast<PyCFunction>(Server_memory_send), METH_VARARGS,
     "memory_send($self, id, data, /)\n--\n\n"
     "The client sends data: it is served as a socket's input. Returns the bytes sent that the "
     "engine has not read yet (held back, as TCP would)."},
    {"memory_send_eof", reinterpret_cast<PyCFunction>(Server_memory_send_eof), METH_O,
     "memory_send_eof($self, id, /)\n--\n\nThe client sends nothing more (shutdown(SHUT_WR))."},
    {"memory_receive", reinterpret_cast<PyCFunction>(Server_memory_receive), METH_O,
     "memory_receive($self, id, /)\n--\n\n"
     "The bytes the engine wrote to the connection since the last call."},
    {"memory_state", reinterpret_cast<PyCFunction>(Server_memory_state), METH_O,
     "memory_state($self, id, /)\n--\n\n"
     "(input_waiting, idle, output_ended, closed): bytes sent and not read yet; every request "
     "answered and nothing left to write; the engine writes nothing more; it closed."},
    {"memory_close", reinterpret_cast<PyCFunction>(Server_memory_close), METH_O,
     "memory_close($self, id, /)\n--\n\n"
     "The client leaves: the connection closes if open (unanswered work is abandoned) and "
     "its id is forgotten."},
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
    {Py_tp_doc, const_cast<char*>("Server(config, /)\n--\n\nThe engine of one worker: sockets, "
                                  "parsing, routing, responses; `config` is a ServerConfig.")},
    {0, nullptr},
};

}  // namespace

PyType_Spec server_spec = {
    "lesto._native.Server", sizeof(ServerObject), 0, Py_TPFLAGS_DEFAULT, Server_slots,
};

}  // namespace lesto::py
