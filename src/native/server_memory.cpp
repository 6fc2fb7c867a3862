// server_memory.cpp: lesto._native.Server's memory connections, for a client in this process.
#include "server_memory.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "engine.hpp"

namespace lesto::py {

/// Hears what happens on the server's memory connections: news goes to the
/// Python callback (the client waiting for it), a wanted service becomes a
/// scheduled flush, as for late answers.
struct MemoryGlue final : net::MemoryEvents {
    ServerObject* server = nullptr;  // borrowed: the server owns this
    PyObject* callback = nullptr;    // callback(id), or null

    void memory_news(std::uint64_t id) noexcept override {
        if (!callback) return;
        // Called from inside the engine, which may hold an exception being handled.
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyObject* r = PyObject_CallFunction(callback, "K", static_cast<unsigned long long>(id));
        if (!r) PyErr_WriteUnraisable(callback);
        Py_XDECREF(r);
        PyErr_Restore(type, value, tb);
    }
    void memory_flush() noexcept override {
        if (!server->engine) return;
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        server->engine->schedule_flush();
        PyErr_Restore(type, value, tb);
    }
};

void server_memory_free(ServerObject* self) noexcept {
    if (!self->memory) return;
    Py_CLEAR(self->memory->callback);
    delete self->memory;
    self->memory = nullptr;
}

namespace {

Engine* engine_or_raise(ServerObject* self) {
    if (!self->engine) PyErr_SetString(PyExc_RuntimeError, "the server is closed");
    return self->engine;
}

/// The connection id in `arg`; false with an exception set.
bool id_of(PyObject* arg, std::uint64_t& id) {
    id = PyLong_AsUnsignedLongLong(arg);
    return !(id == static_cast<std::uint64_t>(-1) && PyErr_Occurred());
}

/// The server's glue, made at its first use: a server never used so pays nothing.
MemoryGlue& glue(ServerObject* self, Engine& e) {
    if (!self->memory) {
        self->memory = new MemoryGlue;
        self->memory->server = self;
        e.net_.set_memory_events(self->memory);
    }
    return *self->memory;
}

/// Run `step` on the engine, as a socket event would be: done-callbacks
/// after, and the core's refusal of an unknown id as a ValueError.
template <class Step> bool run(Engine& e, Step&& step) {
    try {
        step();
    } catch (const std::invalid_argument& ex) {
        PyErr_SetString(PyExc_ValueError, ex.what());
        return false;
    } catch (const std::exception& ex) {
        PyErr_SetString(PyExc_RuntimeError, ex.what());
        return false;
    }
    e.run_done_callbacks();
    return !PyErr_Occurred();
}

}  // namespace

PyObject* Server_memory_open(ServerObject* self, PyObject* args) {
    const char* host;
    Py_ssize_t host_size;
    unsigned short port;
    if (!PyArg_ParseTuple(args, "s#H:memory_open", &host, &host_size, &port)) return nullptr;
    Engine* e = engine_or_raise(self);
    if (!e) return nullptr;
    glue(self, *e);
    const std::uint64_t id =
        e->net_.open_memory(std::string(host, static_cast<std::size_t>(host_size)), port);
    return PyLong_FromUnsignedLongLong(id);
}

PyObject* Server_memory_events(ServerObject* self, PyObject* callback) {
    Engine* e = engine_or_raise(self);
    if (!e) return nullptr;
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_Format(PyExc_TypeError, "memory_events() takes a callable or None, not %.100s",
                     Py_TYPE(callback)->tp_name);
        return nullptr;
    }
    MemoryGlue& g = glue(self, *e);
    Py_XSETREF(g.callback, callback == Py_None ? nullptr : Py_NewRef(callback));
    Py_RETURN_NONE;
}

PyObject* Server_memory_send(ServerObject* self, PyObject* args) {
    PyObject* id_arg;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "Oy*:memory_send", &id_arg, &data)) return nullptr;
    std::uint64_t id;
    Engine* e = id_of(id_arg, id) ? engine_or_raise(self) : nullptr;
    std::size_t waiting = 0;
    const bool ok = e && run(*e, [&] {
                        waiting = e->net_.memory_input(
                            id, std::string_view(static_cast<const char*>(data.buf),
                                                 static_cast<std::size_t>(data.len)));
                    });
    PyBuffer_Release(&data);
    return ok ? PyLong_FromSize_t(waiting) : nullptr;
}

PyObject* Server_memory_send_eof(ServerObject* self, PyObject* arg) {
    std::uint64_t id;
    Engine* e = id_of(arg, id) ? engine_or_raise(self) : nullptr;
    if (!e || !run(*e, [&] { e->net_.memory_input_ended(id); })) return nullptr;
    Py_RETURN_NONE;
}

PyObject* Server_memory_receive(ServerObject* self, PyObject* arg) {
    std::uint64_t id;
    Engine* e = id_of(arg, id) ? engine_or_raise(self) : nullptr;
    std::string bytes;
    if (!e || !run(*e, [&] { bytes = e->net_.take_memory_output(id); })) return nullptr;
    return PyBytes_FromStringAndSize(bytes.data(), static_cast<Py_ssize_t>(bytes.size()));
}

PyObject* Server_memory_state(ServerObject* self, PyObject* arg) {
    std::uint64_t id;
    Engine* e = id_of(arg, id) ? engine_or_raise(self) : nullptr;
    net::MemoryState state;
    if (!e || !run(*e, [&] { state = e->net_.memory_state(id); })) return nullptr;
    return Py_BuildValue("(nOOO)", static_cast<Py_ssize_t>(state.input_waiting),
                         state.idle ? Py_True : Py_False, state.output_ended ? Py_True : Py_False,
                         state.closed ? Py_True : Py_False);
}

PyObject* Server_memory_close(ServerObject* self, PyObject* arg) {
    std::uint64_t id;
    if (!id_of(arg, id)) return nullptr;
    // After the server closed, its connections are gone already.
    if (self->engine && !run(*self->engine, [&] { self->engine->net_.close_memory(id); }))
        return nullptr;
    Py_RETURN_NONE;
}

}  // namespace lesto::py
