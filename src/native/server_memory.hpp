// server_memory.hpp: the methods of lesto._native.Server for memory connections
// (server_memory.cpp).
#pragma once

#include "native.hpp"

namespace lesto::py {

/// Release what the memory connections' glue holds (the server is going).
void server_memory_free(ServerObject* self) noexcept;

PyObject* Server_memory_open(ServerObject* self, PyObject* args);
PyObject* Server_memory_events(ServerObject* self, PyObject* callback);
PyObject* Server_memory_send(ServerObject* self, PyObject* args);
PyObject* Server_memory_send_eof(ServerObject* self, PyObject* arg);
PyObject* Server_memory_receive(ServerObject* self, PyObject* arg);
PyObject* Server_memory_state(ServerObject* self, PyObject* arg);
PyObject* Server_memory_close(ServerObject* self, PyObject* arg);

}  // namespace lesto::py
