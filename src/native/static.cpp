// static.cpp: folders the engine serves itself, and the content types of files, from a
// ServerConfig.
#include "engine.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

namespace lesto::py {

namespace {

bool add_content_types(files::ContentTypes& types, PyObject* pairs) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); ++i) {
        PyObject* pair = PyList_GET_ITEM(pairs, i);
        const char *ext, *type;
        if (!PyArg_ParseTuple(pair, "ss:content_types", &ext, &type)) return false;
        try {
            types.add(ext, type);
        } catch (const std::exception& e) {
            PyErr_Format(PyExc_ValueError, "ServerConfig(content_types=...): %s", e.what());
            return false;
        }
    }
    return true;
}

}  // namespace

bool engine_add_files(Engine& engine, PyObject* content_types, PyObject* static_dirs) {
    if (!add_content_types(engine.content_types_, content_types)) return false;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(static_dirs); ++i) {
        PyObject* item = PyList_GET_ITEM(static_dirs, i);
        PyObject* directory = nullptr;
        const char *prefix, *cache_control;
        int index, allow_hidden;
        if (!PyArg_ParseTuple(item, "sO&pzp:static_dirs", &prefix, PyUnicode_FSConverter,
                              &directory, &index, &cache_control, &allow_hidden)) {
            return false;
        }
        files::StaticDir dir;
        dir.prefix = prefix;
        dir.index = index;
        dir.cache_control = cache_control ? cache_control : "";
        dir.path_options.allow_hidden = allow_hidden;
        dir.root_fd = ::open(PyBytes_AS_STRING(directory), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir.root_fd < 0) {
            PyErr_Format(PyExc_ValueError, "static folder %R cannot be opened: %s", directory,
                         std::strerror(errno));
            Py_DECREF(directory);
            return false;
        }
        Py_DECREF(directory);
        if (dir.prefix.empty() || dir.prefix.front() != '/' || dir.prefix.back() != '/') {
            ::close(dir.root_fd);
            PyErr_Format(PyExc_ValueError,
                         "static prefix %s must start and end with '/' (e.g. '/static/')", prefix);
            return false;
        }
        engine.statics_.push_back(std::move(dir));
    }
    return true;
}

void Engine::serve_static(Connection& conn, std::uint64_t seq, const RequestRef& ref,
                          const files::StaticDir& dir) {
    const std::time_t now = std::time(nullptr);
    const files::Served served =
        // The folder is the token: body_finished then knows a static file failed.
        files::serve_static(conn, seq, ref.head, dir, content_types_, now,
                            const_cast<files::StaticDir*>(&dir), file_headers_);
    if (!served.refusal.empty() && static_refused_) {
        PyObject* r = PyObject_CallFunction(
            static_refused_, "s#s#s#", ref.head.method.data(),
            static_cast<Py_ssize_t>(ref.head.method.size()), ref.head.path.data(),
            static_cast<Py_ssize_t>(ref.head.path.size()), served.refusal.data(),
            static_cast<Py_ssize_t>(served.refusal.size()));
        if (!r) PyErr_WriteUnraisable(static_refused_);
        Py_XDECREF(r);
    }
    if (!access_log_) return;  // no Python at all for a static file then
    RequestObject* req = take_request();
    if (!req) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        return;
    }
    req->started = monotonic_seconds();
    request_bind(req, self_, conn, seq, ref, ref.head.path, nullptr, nullptr);
    answered(req, served.status, served.length);
    release_request(req);
}

}  // namespace lesto::py
