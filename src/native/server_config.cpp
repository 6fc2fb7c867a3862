// server_config.cpp: lesto._native.ServerConfig: what a Server takes from Python, checked once.
#include "native.hpp"

#include <array>
#include <cstddef>
#include <iterator>
#include <new>
#include <string_view>

namespace lesto::py {

namespace {

using Slot = PyObject* ServerConfigObject::*;

enum class Check : std::uint8_t {
    object,  // anything but None
    callable,
    callable_or_none,
    list,  // a list, default empty; its items are read by the server
    dict_or_none,
    flag,  // True or False, default False
    routes,
    request_class,
    limits,
    timeouts,
    scheduler,
};

struct ConfigField {
    const char* name;
    Slot slot;
    Check check;
    bool required;
    const char* doc;
};

/// ServerConfig's keyword arguments, which are also its attributes: the one
/// list of what the engine takes from Python.
constexpr ConfigField config_fields[] = {
    {"routes", &ServerConfigObject::routes, Check::routes, true,
     "The app's routes, tried in order: a list of (pattern, methods, handler, route[, "
     "stream_body[, websocket]]), methods a tuple of str (empty: any method), route what "
     "request.route gives, stream_body whether the handler reads the body as a stream, "
     "websocket whether it is a WebSocket route, handler(ws) (both default False)."},
    {"request_class", &ServerConfigObject::request_class, Check::request_class, true,
     "The class of the requests handlers get: lesto._native.Request or a subclass."},
    {"headers_factory", &ServerConfigObject::headers_factory, Check::callable, true,
     "headers_factory(pairs) -> request.headers, pairs a list of (name, value)."},
    {"error_response", &ServerConfigObject::error_response, Check::callable, true,
     "error_response(request, exc, in_error_handler) -> Response: the answer to a handler that "
     "raised (in_error_handler: the error handler itself raised)."},
    {"not_found_response", &ServerConfigObject::not_found_response, Check::callable, true,
     "not_found_response(request, allowed) -> Response: no route matched; allowed is the "
     "methods the path has ('GET, POST') or None."},
    {"scheduler", &ServerConfigObject::scheduler, Check::scheduler, true,
     "Runs handler coroutines on the event loop; has loop, call_soon(callback), "
     "take_over(coro, yielded) -> Task, run_task(coro, context) -> Task (started at once where "
     "asyncio "
     "can: an ASGI app's), stand_in(loop) -> the current task while the engine "
     "steps a coroutine, and asyncio's enter_task and leave_task (both None: no stand-in)."},
    {"limits", &ServerConfigObject::limits, Check::limits, false,
     "{name: int}, names from LIMITS; the others keep their defaults."},
    {"timeouts", &ServerConfigObject::timeouts, Check::timeouts, false,
     "{name: seconds}, names from TIMEOUTS; the others keep their defaults."},
    {"access_log", &ServerConfigObject::access_log, Check::callable_or_none, false,
     "access_log(request, status, body_size, seconds) after each response, or None (no cost)."},
    {"callback_failed", &ServerConfigObject::callback_failed, Check::callable, true,
     "callback_failed(request, callback, exc): a request's done-callback raised."},
    {"response_refused", &ServerConfigObject::response_refused, Check::callable_or_none, false,
     "response_refused(request, reason): the writer refused a handler's Response (a 500 went "
     "out instead), or None."},
    {"run_stream", &ServerConfigObject::run_stream, Check::callable, true,
     "run_stream(transfer, pieces, first) -> coroutine: feeds a Response(stream=...)'s "
     "pieces to the transfer (lesto._native.Transfer) from where the engine stopped."},
    {"response_failed", &ServerConfigObject::response_failed, Check::callable, true,
     "response_failed(request, reason): a response could not be sent as made (request None: "
     "a static file's) "
     "(its file cannot be opened, its body was cut short); the reason says what the client got."},
    {"content_types", &ServerConfigObject::content_types, Check::list, false,
     "[(extension, type)]: the Content-Type of files by name ('.css', 'text/css'), as "
     "mimetypes.types_map has them; others are application/octet-stream."},
    {"static_dirs", &ServerConfigObject::static_dirs, Check::list, false,
     "[(prefix, directory, index, cache_control, allow_hidden)]: folders the engine serves "
     "itself below a URL prefix ending in '/'."},
    {"asgi", &ServerConfigObject::asgi, Check::callable_or_none, false,
     "An ASGI 3 app, app(scope, receive, send), that serves every request instead of the "
     "routes; or None."},
    {"asgi_scope", &ServerConfigObject::asgi_scope, Check::dict_or_none, false,
     "With asgi: the scope keys every request shares (type, asgi, scheme, root_path, server, "
     "extensions, state), copied per request; 'state' is copied one level deep."},
    {"run_websocket", &ServerConfigObject::run_websocket, Check::callable_or_none, false,
     "run_websocket(handler, ws) -> Task: runs a WebSocket route's handler for `ws` "
     "(lesto._native.WebSocket); None: no WebSocket routes."},
    {"websocket_compression", &ServerConfigObject::websocket_compression, Check::flag, false,
     "Whether WebSockets agree on permessage-deflate when the client offers it."},
    {"asgi_websocket_scope", &ServerConfigObject::asgi_websocket_scope, Check::dict_or_none, false,
     "With asgi: the websocket scope's template, as asgi_scope is the http scope's."},
    {"static_refused", &ServerConfigObject::static_refused, Check::callable_or_none, false,
     "static_refused(method, path, reason): a request under a static folder was answered 404 "
     "(or 405), and why; or None."},
    {"tls_event", &ServerConfigObject::tls_event, Check::callable_or_none, false,
     "tls_event(what, peer, detail) from TLS listeners: 'handshake_failed' (peer 'addr:port', "
     "detail the reason; the connection was closed), 'kernel_tls' (once, at the first "
     "handshake; peer None, detail 'on' or 'off': whether files go out with sendfile); or None."},
};

/// Whether `v` is what `check` asks of a plain field (object, callable, callable_or_none).
bool passes(Check check, PyObject* v) {
    switch (check) {
    case Check::object:
        return v != Py_None;
    case Check::callable:
        return PyCallable_Check(v);
    case Check::callable_or_none:
        return v == Py_None || PyCallable_Check(v);
    case Check::list:
        return PyList_Check(v);
    case Check::dict_or_none:
        return v == Py_None || PyDict_Check(v);
    case Check::flag:
        return PyBool_Check(v);
    default:
        return false;
    }
}

/// What `check` asks, for messages.
const char* requirement(Check check) {
    switch (check) {
    case Check::object:
        return "given, not None";
    case Check::callable:
        return "callable";
    case Check::callable_or_none:
        return "callable or None";
    case Check::list:
        return "a list";
    case Check::dict_or_none:
        return "a dict or None";
    default:
        return "?";
    }
}

struct SchedulerPart {
    const char* name;
    Slot slot;
    Check check;
};

/// What the engine reads from `scheduler`, once.
constexpr SchedulerPart scheduler_parts[] = {
    {"loop", &ServerConfigObject::loop, Check::object},
    {"call_soon", &ServerConfigObject::call_soon, Check::callable},
    {"take_over", &ServerConfigObject::take_over, Check::callable},
    {"stand_in", &ServerConfigObject::stand_in, Check::callable},
    {"run_task", &ServerConfigObject::run_task, Check::callable},
    {"enter_task", &ServerConfigObject::enter_task, Check::callable_or_none},
    {"leave_task", &ServerConfigObject::leave_task, Check::callable_or_none},
};

bool check_routes(ServerConfigObject* c, PyObject* routes) {
    if (!PyList_Check(routes) && !PyTuple_Check(routes)) {
        PyErr_Format(PyExc_TypeError, "ServerConfig(routes=...) must be a list, not %.100s",
                     Py_TYPE(routes)->tp_name);
        return false;
    }
    // A tuple of its own: what was checked is what the server gets.
    if (!(c->routes = PySequence_Tuple(routes))) return false;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(c->routes); ++i) {
        PyObject* r = PyTuple_GET_ITEM(c->routes, i);
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 4 || PyTuple_GET_SIZE(r) > 6 ||
            !PyUnicode_Check(PyTuple_GET_ITEM(r, 0)) || !PyTuple_Check(PyTuple_GET_ITEM(r, 1)) ||
            !PyCallable_Check(PyTuple_GET_ITEM(r, 2))) {
            PyErr_Format(
                PyExc_TypeError,
                "ServerConfig(routes=...): item %zd must be (pattern: str, methods: tuple, "
                "handler: callable, route[, stream_body: bool[, websocket: bool]]), got %.200R",
                i, r);
            return false;
        }
    }
    return true;
}

bool check_scheduler(ServerConfigObject* c, PyObject* scheduler) {
    for (const SchedulerPart& p : scheduler_parts) {
        PyObject* v = PyObject_GetAttrString(scheduler, p.name);
        if (!v) {
            PyErr_Format(
                PyExc_TypeError,
                "ServerConfig(scheduler=...): %.100s has no attribute '%s' (a scheduler "
                "has loop, call_soon, take_over, stand_in, run_task, enter_task and leave_task)",
                Py_TYPE(scheduler)->tp_name, p.name);
            return false;
        }
        c->*p.slot = v;
        if (!passes(p.check, v)) {
            PyErr_Format(PyExc_TypeError,
                         "ServerConfig(scheduler=...): scheduler.%s must be %s, got %.200R", p.name,
                         requirement(p.check), v);
            return false;
        }
    }
    if ((c->enter_task == Py_None) != (c->leave_task == Py_None)) {
        PyErr_SetString(PyExc_TypeError,
                        "ServerConfig(scheduler=...): scheduler.enter_task and "
                        "leave_task must both be callable or both None");
        return false;
    }
    return true;
}

bool check_field(ServerConfigObject* c, const ConfigField& f, PyObject* v) {
    const auto wrong = [&](const char* what) {
        PyErr_Format(PyExc_TypeError, "ServerConfig(%s=...) must be %s, got %.200R", f.name, what,
                     v);
        return false;
    };
    switch (f.check) {
    case Check::object:
    case Check::callable:
    case Check::callable_or_none:
    case Check::list:
    case Check::dict_or_none:
    case Check::flag:
        if (!passes(f.check, v)) return wrong(requirement(f.check));
        break;
    case Check::routes:
        return check_routes(c, v);
    case Check::request_class: {
        PyTypeObject* base = state_of_type(Py_TYPE(c))->request_type;
        if (!PyType_Check(v) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(v), base))
            return wrong("lesto._native.Request or a subclass");
        break;
    }
    case Check::limits:
    case Check::timeouts:
        if (!PyDict_Check(v)) return wrong("a dict");
        if (!(c->*f.slot = PyDict_Copy(v))) return false;
        return f.check == Check::limits ? read_limits(v, c->limit_values)
                                        : read_timeouts(v, c->timeout_values);
    case Check::scheduler:
        if (!check_scheduler(c, v)) return false;
        break;
    }
    c->*f.slot = Py_NewRef(v);
    return true;
}

const ConfigField* field_named(PyObject* name) {
    for (const ConfigField& f : config_fields) {
        if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, f.name) == 0) return &f;
    }
    return nullptr;
}

/// "routes, request_class, ...": the names, for error messages.
constexpr auto field_list = [](auto out) {
    for (std::size_t i = 0; i < std::size(config_fields); ++i) {
        if (i) out(", ");
        out(config_fields[i].name);
    }
};
constexpr auto field_names = detail::static_text_of<field_list>;

PyObject* ServerConfig_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    if (PyTuple_GET_SIZE(args)) {
        PyErr_Format(PyExc_TypeError, "ServerConfig() takes keyword arguments only (%s)",
                     field_names.c_str());
        return nullptr;
    }
    auto* c = reinterpret_cast<ServerConfigObject*>(type->tp_alloc(type, 0));
    if (!c) return nullptr;
    new (&c->limit_values) ConnectionLimits{};
    new (&c->timeout_values) net::Timeouts{};
    PyObject* result = reinterpret_cast<PyObject*>(c);
    Py_ssize_t pos = 0;
    PyObject *name, *value;
    while (kwargs && PyDict_Next(kwargs, &pos, &name, &value)) {
        const ConfigField* f = field_named(name);
        if (!f) {
            PyErr_Format(PyExc_TypeError,
                         "ServerConfig() got an unexpected keyword argument %R (expected %s)", name,
                         field_names.c_str());
            Py_DECREF(result);
            return nullptr;
        }
        if (!check_field(c, *f, value)) {
            Py_DECREF(result);
            return nullptr;
        }
    }
    for (const ConfigField& f : config_fields) {
        if (c->*f.slot) continue;
        if (f.required) {
            PyErr_Format(PyExc_TypeError, "ServerConfig() missing required keyword argument '%s'",
                         f.name);
            Py_DECREF(result);
            return nullptr;
        }
        const bool none = f.check == Check::callable_or_none || f.check == Check::dict_or_none;
        c->*f.slot = none                     ? Py_NewRef(Py_None)
                     : f.check == Check::flag ? Py_NewRef(Py_False)
                     : f.check == Check::list ? PyList_New(0)
                                              : PyDict_New();
        if (!(c->*f.slot)) {
            Py_DECREF(result);
            return nullptr;
        }
    }
    return result;
}

/// Every reference the config holds: the fields, then what was read from the scheduler.
template <class F> void each_slot(F f) {
    for (const ConfigField& field : config_fields) f(field.slot);
    for (const SchedulerPart& part : scheduler_parts) f(part.slot);
}

int ServerConfig_traverse(ServerConfigObject* c, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(c));
    int r = 0;
    each_slot([&](Slot s) {
        if (!r && c->*s) r = visit(c->*s, arg);
    });
    return r;
}

int ServerConfig_clear(ServerConfigObject* c) {
    each_slot([&](Slot s) { Py_CLEAR(c->*s); });
    return 0;
}

void ServerConfig_dealloc(ServerConfigObject* c) {
    PyTypeObject* type = Py_TYPE(c);
    PyObject_GC_UnTrack(c);
    ServerConfig_clear(c);
    type->tp_free(c);
    Py_DECREF(type);
}

PyObject* ServerConfig_get(PyObject* self, void* closure) {
    auto* c = reinterpret_cast<ServerConfigObject*>(self);
    PyObject* v = c->*static_cast<const ConfigField*>(closure)->slot;
    return Py_NewRef(v ? v : Py_None);  // null only once the collector cleared the config
}

/// One read-only attribute for each field, documented by the table.
constexpr auto config_getset = [] {
    std::array<PyGetSetDef, std::size(config_fields) + 1> out{};
    for (std::size_t i = 0; i < std::size(config_fields); ++i) {
        out[i] = {config_fields[i].name, ServerConfig_get, nullptr, config_fields[i].doc,
                  const_cast<ConfigField*>(&config_fields[i])};
    }
    return out;
}();

constexpr auto type_doc = [](auto out) {
    out("ServerConfig(*, ");
    for (std::size_t i = 0; i < std::size(config_fields); ++i) {
        if (i) out(", ");
        out(config_fields[i].name);
        if (!config_fields[i].required) {
            const Check c = config_fields[i].check;
            out(c == Check::callable_or_none || c == Check::dict_or_none ? "=None"
                : c == Check::list                                       ? "=[]"
                : c == Check::flag                                       ? "=False"
                                                                         : "={}");
        }
    }
    out(")\n--\n\nWhat a Server takes from the app and the event loop, each field checked once "
        "(TypeError naming it).");
};
constexpr auto config_doc = detail::static_text_of<type_doc>;

PyType_Slot ServerConfig_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(ServerConfig_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(ServerConfig_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(ServerConfig_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(ServerConfig_clear)},
    {Py_tp_getset, const_cast<PyGetSetDef*>(config_getset.data())},
    {Py_tp_doc, const_cast<char*>(config_doc.c_str())},
    {0, nullptr},
};

}  // namespace

PyType_Spec server_config_spec = {
    "lesto._native.ServerConfig",
    sizeof(ServerConfigObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    ServerConfig_slots,
};

}  // namespace lesto::py
