// protocol_type.cpp: lesto._native.Protocol: the engine driven by asyncio transports (the other shape).
//
// Lesto's default shape keeps every socket in its own epoll and gives the
// loop one descriptor. This type is the alternative the foundation measured:
// an asyncio BufferedProtocol per connection, reading into the connection's
// buffer and writing through the transport. bench/RESULTS.md compares them.
#include <memory>

#include "engine.hpp"

namespace lesto::py {

struct ProtocolObject {
    PyObject_HEAD
    ServerObject* server;
    Connection* conn;
    PyObject* transport;
    std::uint64_t id;
    bool reading_paused;
};

Connection* protocol_connection(ProtocolObject* p) noexcept { return p->conn; }

namespace {

void drop_connection(ProtocolObject* p) {
    if (!p->conn) return;
    if (p->server->engine) p->server->engine->remove_protocol(p->id);
    Connection* conn = p->conn;
    p->conn = nullptr;
    delete conn;  // abandons pending handler tasks
}

PyObject* call(PyObject* obj, const char* method) {
    PyObject* r = PyObject_CallMethod(obj, method, nullptr);
    if (!r) return nullptr;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

PyObject* Protocol_connection_made(ProtocolObject* p, PyObject* transport) {
    Engine* e = p->server->engine;
    if (!e) return call(transport, "close");
    Py_XSETREF(p->transport, Py_NewRef(transport));
    p->id = e->add_protocol(p);
    p->conn = new Connection(p->id, e->limits_, *e, e->net_.date());
    PyObject* peer = PyObject_CallMethod(transport, "get_extra_info", "s", "peername");
    if (peer && PyTuple_Check(peer) && PyTuple_GET_SIZE(peer) > 0) {
        const char* host = PyUnicode_AsUTF8(PyTuple_GET_ITEM(peer, 0));
        if (host) p->conn->set_remote_addr(host);
    }
    Py_XDECREF(peer);
    PyErr_Clear();
    Py_RETURN_NONE;
}

PyObject* Protocol_get_buffer(ProtocolObject* p, PyObject*) {
    if (!p->conn) {
        PyErr_SetString(PyExc_RuntimeError, "connection is closed");
        return nullptr;
    }
    std::span<char> space = p->conn->input_space(64 * 1024);
    return PyMemoryView_FromMemory(space.data(), static_cast<Py_ssize_t>(space.size()), PyBUF_WRITE);
}

PyObject* Protocol_buffer_updated(ProtocolObject* p, PyObject* arg) {
    const Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0) return PyErr_Occurred() ? nullptr : Py_NewRef(Py_None);
    if (!p->conn) Py_RETURN_NONE;
    p->conn->input_commit(static_cast<std::size_t>(n));
    protocol_service(p);
    if (p->server->engine) p->server->engine->run_done_callbacks();
    if (PyErr_Occurred()) return nullptr;
    Py_RETURN_NONE;
}

PyObject* Protocol_eof_received(ProtocolObject* p, PyObject*) {
    if (p->conn) {
        p->conn->input_closed();
        protocol_service(p);
    }
    Py_RETURN_TRUE;  // keep the write side open until our answers are out
}

PyObject* Protocol_connection_lost(ProtocolObject* p, PyObject*) {
    drop_connection(p);
    Py_CLEAR(p->transport);
    Py_RETURN_NONE;
}

PyObject* Protocol_noop(ProtocolObject*, PyObject*) { Py_RETURN_NONE; }

void Protocol_dealloc(ProtocolObject* p) {
    PyTypeObject* type = Py_TYPE(p);
    drop_connection(p);
    Py_CLEAR(p->transport);
    Py_CLEAR(p->server);
    type->tp_free(p);
    Py_DECREF(type);
}

PyMethodDef Protocol_methods[] = {
    {"connection_made", reinterpret_cast<PyCFunction>(Protocol_connection_made), METH_O, nullptr},
    {"get_buffer", reinterpret_cast<PyCFunction>(Protocol_get_buffer), METH_O, nullptr},
    {"buffer_updated", reinterpret_cast<PyCFunction>(Protocol_buffer_updated), METH_O, nullptr},
    {"eof_received", reinterpret_cast<PyCFunction>(Protocol_eof_received), METH_NOARGS, nullptr},
    {"connection_lost", reinterpret_cast<PyCFunction>(Protocol_connection_lost), METH_O, nullptr},
    {"pause_writing", reinterpret_cast<PyCFunction>(Protocol_noop), METH_NOARGS, nullptr},
    {"resume_writing", reinterpret_cast<PyCFunction>(Protocol_noop), METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot Protocol_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(Protocol_dealloc)},
    {Py_tp_methods, Protocol_methods},
    {0, nullptr},
};

}  // namespace

PyType_Spec protocol_spec = {
    "lesto._native.Protocol",
    sizeof(ProtocolObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    Protocol_slots,
};

PyObject* protocol_new(ServerObject* server) {
    PyTypeObject* type = server->state->protocol_type;
    auto* p = reinterpret_cast<ProtocolObject*>(type->tp_alloc(type, 0));
    if (!p) return nullptr;
    p->server = reinterpret_cast<ServerObject*>(Py_NewRef(server));
    return reinterpret_cast<PyObject*>(p);
}

void protocol_service(ProtocolObject* p) {
    Connection* conn = p->conn;
    if (!conn || !p->transport) return;
    conn->process();
    Buffer& out = conn->output();
    if (!out.empty()) {
        PyObject* bytes = PyBytes_FromStringAndSize(out.data(), static_cast<Py_ssize_t>(out.size()));
        conn->output_sent(out.size());
        PyObject* r = bytes ? PyObject_CallMethod(p->transport, "write", "O", bytes) : nullptr;
        Py_XDECREF(bytes);
        if (!r) return;
        Py_DECREF(r);
    }
    if (conn->finished()) {
        PyObject* r = PyObject_CallMethod(p->transport, "close", nullptr);
        Py_XDECREF(r);
        return;
    }
    const bool want = conn->wants_input();
    if (want == !p->reading_paused) return;
    p->reading_paused = !want;
    PyObject* r = PyObject_CallMethod(p->transport, want ? "resume_reading" : "pause_reading", nullptr);
    Py_XDECREF(r);
}

}  // namespace lesto::py
