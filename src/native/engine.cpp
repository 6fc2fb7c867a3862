// engine.cpp: running handlers (sync or async) and turning what they return into responses.
#include "engine.hpp"
#include "refcount.hpp"

#include "asgi/asgi.hpp"
#include "websocket.hpp"

#include "http/fields.hpp"
#include "parser/percent.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"

#include <cstddef>
#include <ctime>

namespace lesto::py {

const router::Router& engine_router(const Engine& engine) noexcept { return engine.router_; }

// Requests that outlive their dispatch (every suspended coroutine's) copy
// their bytes into an OwnedRequest; pooling them spares several mallocs a
// request, which with thousands in flight miss glibc's small caches.
OwnedRequest* engine_owned_request(ServerObject* server) {
    Engine* e = server ? server->engine : nullptr;
    if (!e || e->owned_pool_.empty()) return new OwnedRequest;
    OwnedRequest* o = e->owned_pool_.back();
    e->owned_pool_.pop_back();
    return o;
}

void engine_recycle(ServerObject* server, OwnedRequest* owned) noexcept {
    Engine* e = server ? server->engine : nullptr;
    constexpr std::size_t max_pooled = 4096;
    constexpr std::size_t max_kept_bytes = std::size_t{16} * 1024;  // a big body is not kept around
    if (!e || e->owned_pool_.size() >= max_pooled ||
        owned->body.capacity() + owned->raw_head.capacity() > max_kept_bytes) {
        delete owned;
        return;
    }
    owned->tls.reset();  // a pooled copy holds no client's certificate
    try {
        e->owned_pool_.push_back(owned);
    } catch (...) {
        delete owned;
    }
}

// ---- Engine -----------------------------------------------------------------

// One Request object serves request after request while nobody but the
// engine holds it: the bets are in refcount.hpp.
RequestObject* Engine::take_request() {
    if (spare_ && refcount::sole_owner(reinterpret_cast<PyObject*>(spare_))) return spare_;
    Py_CLEAR(spare_);
    auto* type = reinterpret_cast<PyTypeObject*>(request_class_);
    if (type->tp_weaklistoffset) {
        // A weak reference does not count: it would see the next request.
        PyErr_Format(PyExc_TypeError,
                     "request class %.100s takes weak references; the server reuses request "
                     "objects, so it must not: give it __slots__ = ()",
                     type->tp_name);
        return nullptr;
    }
    auto* r = reinterpret_cast<RequestObject*>(type->tp_alloc(type, 0));
    if (!r) return nullptr;
    // An empty instance dict from the start: with one, CPython specializes
    // `request.Response` (LOAD_METHOD_WITH_DICT); with none it cannot.
    if (!(r->dict = PyDict_New())) {
        Py_DECREF(r);
        return nullptr;
    }
    spare_ = r;
    ++requests_made_;
    return r;
}

void Engine::release_request(RequestObject* req) {
    if (!refcount::sole_owner(reinterpret_cast<PyObject*>(req))) {
        // The application kept it (or its task runs on): it must own its data,
        // and the next request gets a fresh object.
        request_detach(req);
        Py_CLEAR(spare_);
        return;
    }
    request_reset(req);
    if (!req->dict || !PyDict_CheckExact(req->dict)) {
        Py_XSETREF(req->dict, PyDict_New());  // replaced by the app: start afresh
        if (!req->dict) {
            PyErr_Clear();
            Py_CLEAR(spare_);  // the next request gets a new object
        }
    } else if (PyDict_GET_SIZE(req->dict)) {
        PyDict_Clear(req->dict);  // attributes the handler set die with its request
    }
}

void Engine::dispatch(Connection& conn, std::uint64_t seq, const RequestRef& ref) {
    // Static folders first: served by the engine alone, no handler to call.
    for (const files::StaticDir& dir : statics_) {
        if (ref.head.path.starts_with(dir.prefix)) {
            serve_static(conn, seq, ref, dir);
            return;
        }
    }
    if (asgi_app_) {
        dispatch_asgi(conn, seq, ref);
        return;
    }
    // Routes match the decoded path, as the app sees it in request.path,
    // except that an encoded '/' stays inside its segment.
    std::string_view route_path = ref.head.path;
    if (http::routing_decode(route_path, decoded_path_)) route_path = decoded_path_;
    const router::Match match = router_.match(ref.head.method, route_path);
    RequestObject* req = take_request();
    if (!req) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, http::reason_phrase(500));
        return;
    }
    const bool found = match.kind == router::MatchKind::found;
    if (access_log_) req->started = monotonic_seconds();
    request_bind(req, self_, conn, seq, ref, route_path, &match,
                 found ? routes_[match.route] : nullptr);
    if (ref.streamed) {
        // Its body comes later, as the handler reads it: the connection holds the reader until
        // then.
        if ((req->body_reader = body_reader_new(self_, conn.id(), seq, false))) {
            conn.set_body_reader(seq, Py_NewRef(req->body_reader));
        } else {
            PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        }
    }
    if (found && websocket_routes_[match.route]) {
        dispatch_websocket(conn, seq, ref, req, handlers_[match.route]);
        release_request(req);
        return;
    }
    PyObject* arg = reinterpret_cast<PyObject*>(req);
    PyObject* result;
    if (found) {
        // A Python function is called through its own vectorcall, without
        // PyObject_Vectorcall's check of the result for misbehaving C code.
        PyObject* handler = handlers_[match.route];
        result = PyFunction_Check(handler)
                     ? reinterpret_cast<PyFunctionObject*>(handler)->vectorcall(handler, &arg, 1,
                                                                                nullptr)
                     : PyObject_Vectorcall(handler, &arg, 1, nullptr);
    } else {
        PyObject* allowed = Py_None;
        PyObject* text = nullptr;
        if (match.kind == router::MatchKind::method_not_allowed) {
            const std::string methods = router_.allowed_methods(route_path);
            text = PyUnicode_FromStringAndSize(methods.data(),
                                               static_cast<Py_ssize_t>(methods.size()));
            allowed = text ? text : Py_None;
        }
        result = PyObject_CallFunctionObjArgs(not_found_response_, arg, allowed, nullptr);
        Py_XDECREF(text);
    }
    complete(conn, seq, req, result, false);
    release_request(req);
}

void Engine::dispatch_asgi(Connection& conn, std::uint64_t seq, const RequestRef& ref) {
    // A WebSocket handshake is checked by the engine; a valid one becomes
    // the app's websocket scope.
    ws::Handshake handshake;
    const bool websocket = ws::wants_websocket(ref.head);
    if (websocket) {
        ws::DeflateOptions deflate;
        deflate.enabled = websocket_compression_;
        if (const ws::Refusal refusal = ws::read_handshake(ref.head, deflate, handshake)) {
            conn.respond_error(seq, refusal.status, refusal.reason, ws::refusal_headers(refusal));
            return;
        }
        conn.expect_upgrade(seq);
    }
    std::string_view path = ref.head.path;  // request.path, in the logs
    if (http::routing_decode(path, decoded_path_)) path = decoded_path_;
    RequestObject* req = take_request();
    if (!req) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, http::reason_phrase(500));
        return;
    }
    if (access_log_) req->started = monotonic_seconds();
    request_bind(req, self_, conn, seq, ref, path, nullptr, nullptr);
    if (ref.streamed) {
        if ((req->body_reader = body_reader_new(self_, conn.id(), seq, true))) {
            conn.set_body_reader(seq, Py_NewRef(req->body_reader));
        } else {
            PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        }
    }
    WebSocketObject* w = nullptr;
    if (websocket && !(w = websocket_new(self_, req, conn, seq, handshake, true))) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, http::reason_phrase(500));
        release_request(req);
        return;
    }
    dispatching_ = true;
    PyObject* call = nullptr;
    PyObject* result = asgi::start(*this, conn, req, w, &call);
    Py_XDECREF(w);
    if (!call) {
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
        conn.respond_error(seq, 500, http::reason_phrase(500));
    } else if (result && PyCoro_CheckExact(result)) {
        run_asgi(conn, seq, req, call, result);
    } else if (result) {
        PyErr_Format(PyExc_TypeError,
                     "the ASGI app returned %.100R, not a coroutine: an ASGI 3 app is "
                     "`async def app(scope, receive, send)`",
                     result);
        Py_DECREF(result);
        asgi::finish(*this, call, nullptr);
    } else {
        asgi::finish(*this, call, nullptr);
    }
    asgi::release(*this, call);
    dispatching_ = false;
    release_request(req);
}

void Engine::log_failure(RequestObject* req) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value) PyException_SetTraceback(value, tb);
    PyObject* result =
        PyObject_CallFunctionObjArgs(error_response_, reinterpret_cast<PyObject*>(req),
                                     value ? value : Py_None, Py_False, nullptr);
    if (!result) PyErr_WriteUnraisable(error_response_);
    Py_XDECREF(result);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

void Engine::complete_other(Connection& conn, std::uint64_t seq, RequestObject* req,
                            PyObject* result, bool in_error_handler) {
    if (!result) {
        fail(conn, seq, req, in_error_handler);
        return;
    }
    if (PyCoro_CheckExact(result)) {
        // Run the coroutine to its first suspension right here: one that never
        // suspends costs no Task and no extra loop iteration.
        PyObject* yielded = nullptr;
        PyObject* step = nullptr;
        const PySendResult sent = step_coro(result, &yielded, &step, nullptr);
        if (sent == PYGEN_NEXT) {
            suspend(conn, seq, req, result, yielded, in_error_handler, step);
            return;
        }
        Py_XDECREF(step);
        Py_DECREF(result);
        complete(conn, seq, req, sent == PYGEN_RETURN ? yielded : nullptr, in_error_handler);
        return;
    }
    PyErr_Format(PyExc_TypeError, "handler returned %.100R instead of a Response", result);
    Py_DECREF(result);
    fail(conn, seq, req, in_error_handler);
}

void Engine::fail(Connection& conn, std::uint64_t seq, RequestObject* req, bool in_error_handler) {
    // The app's error_response logs and picks the response; it is told whether the
    // failure came from an error handler so that it answers a plain 500 then.
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb && value) PyException_SetTraceback(value, tb);
    PyObject* result = PyObject_CallFunctionObjArgs(
        error_response_, reinterpret_cast<PyObject*>(req), value ? value : Py_None,
        in_error_handler ? Py_True : Py_False, nullptr);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (result && Py_IS_TYPE(result, self_->state->response_type) && in_error_handler) {
        const bool written = write(conn, seq, req, reinterpret_cast<ResponseObject*>(result));
        Py_DECREF(result);
        if (written) return;
        // The last resort failed too: nothing is left to ask.
        PyErr_WriteUnraisable(error_response_);
        conn.respond_error(seq, 500, http::reason_phrase(500));
        return;
    }
    if (result && !in_error_handler) {
        complete(conn, seq, req, result, true);
        return;
    }
    if (!result) PyErr_WriteUnraisable(error_response_);
    Py_XDECREF(result);
    conn.respond_error(seq, 500, http::reason_phrase(500));
}

bool Engine::write(Connection& conn, std::uint64_t seq, RequestObject* req, ResponseObject* resp) {
    if (!response_view(resp, view_)) return false;
    view_.spec.version_minor = req->head->version_minor;
    view_.spec.keep_alive = req->head->keep_alive;
    view_.spec.head_request = req->head->is_head();
    if (resp->kind >= ContentKind::stream) return write_open(conn, seq, req, resp);
    long status = resp->code;
    std::size_t body_size = view_.spec.body.size();
    if (!conn.respond(seq, view_.spec)) {
        // Answered "500 Internal Server Error" and a newline instead.
        status = 500;
        body_size = http::reason_phrase(500).size() + 1;
        refused(req, view_.spec);
    }
    answered(req, status, body_size);
    return true;
}

void Engine::answered(RequestObject* req, long status, std::uint64_t body_size) {
    if (access_log_) {
        PyObject* st = PyLong_FromLong(status);
        PyObject* size = PyLong_FromUnsignedLongLong(body_size);
        PyObject* took = PyFloat_FromDouble(monotonic_seconds() - req->started);
        PyObject* r =
            st && size && took
                ? PyObject_CallFunctionObjArgs(access_log_, reinterpret_cast<PyObject*>(req), st,
                                               size, took, nullptr)
                : nullptr;
        if (!r) PyErr_WriteUnraisable(access_log_);
        Py_XDECREF(r);
        Py_XDECREF(st);
        Py_XDECREF(size);
        Py_XDECREF(took);
    }
    if (req->done_callbacks) done(req);
}

// The writer is the last line of defence: the binding checked the Response
// when it was built, so a refusal here means it changed since (its headers
// dict). Never silent: the reason, in core's words, goes to the server's log.
void Engine::refused(RequestObject* req, const http::ResponseSpec& spec) {
    report(response_refused_, req, http::refusal_reason(spec));
}

void Engine::report(PyObject* hook, RequestObject* req, std::string_view reason) {
    PyObject* text = PyUnicode_DecodeUTF8(reason.data(), static_cast<Py_ssize_t>(reason.size()),
                                          "backslashreplace");
    PyObject* who = req ? reinterpret_cast<PyObject*>(req) : Py_None;
    PyObject* r = text && hook ? PyObject_CallFunctionObjArgs(hook, who, text, nullptr) : nullptr;
    if (!r) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_RuntimeError, "%U", text);
        PyErr_WriteUnraisable(reinterpret_cast<PyObject*>(self_));
    }
    Py_XDECREF(r);
    Py_XDECREF(text);
}

void Engine::done(RequestObject* req) {
    done_.push_back(reinterpret_cast<RequestObject*>(Py_NewRef(req)));
}

void Engine::run_done_callbacks() {
    if (done_.empty()) return;  // after every poll: nearly always
    std::vector<RequestObject*> ready;
    ready.swap(done_);
    for (RequestObject* req : ready) {
        PyObject* callbacks = req->done_callbacks;
        req->done_callbacks = nullptr;  // each runs once, even if a callback re-registers
        const Py_ssize_t n = callbacks ? PyList_GET_SIZE(callbacks) : 0;
        for (Py_ssize_t i = 0; i < n; ++i) {
            PyObject* cb = PyList_GET_ITEM(callbacks, i);
            PyObject* arg = reinterpret_cast<PyObject*>(req);
            PyObject* r = PyObject_Vectorcall(cb, &arg, 1, nullptr);
            if (r) {
                Py_DECREF(r);
                continue;
            }
            // A failing callback is logged and never touches the connection.
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb && value) PyException_SetTraceback(value, tb);
            PyObject* logged = PyObject_CallFunctionObjArgs(callback_failed_, arg, cb,
                                                            value ? value : Py_None, nullptr);
            if (!logged) PyErr_WriteUnraisable(callback_failed_);
            Py_XDECREF(logged);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
        }
        Py_XDECREF(callbacks);
        Py_DECREF(req);
    }
}

void Engine::flush() {
    run_streams();
    net_.flush();  // with what the producers wrote last: a chunked body's last chunk
    run_done_callbacks();
}

void Engine::end_poll() {
    polling_ = false;
    if (!starting_.empty()) flush();
}

void Engine::answered_later(std::uint64_t conn_id) {
    if (net_.mark_dirty(conn_id) && !flush_follows_) schedule_flush();
}

void Engine::schedule_flush() {
    PyObject* r = PyObject_CallOneArg(call_soon_, flush_);
    if (!r) PyErr_WriteUnraisable(call_soon_);
    Py_XDECREF(r);
}

}  // namespace lesto::py
