// tls.cpp: lesto._native.TlsContext (core's TlsContext for Python) and a connection's TLS in Python
// terms.
#include <new>
#include <string>

#include "engine.hpp"
#include "net/tls.hpp"

namespace lesto::py {

namespace {

bool read_client_certs(const char* text, net::ClientCerts& out) {
    const std::string_view v = text;
    if (v == "none") {
        out = net::ClientCerts::none;
    } else if (v == "optional") {
        out = net::ClientCerts::optional;
    } else if (v == "required") {
        out = net::ClientCerts::required;
    } else {
        PyErr_Format(PyExc_ValueError,
                     "ssl_cert_reqs must be 'none', 'optional' or 'required', not '%s'", text);
        return false;
    }
    return true;
}

PyObject* TlsContext_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"certfile",  "keyfile", "password",    "ca_certs",
                                     "cert_reqs", "ciphers", "min_version", nullptr};
    const char* certfile = nullptr;
    const char* keyfile = nullptr;
    const char* password = nullptr;
    const char* ca_certs = nullptr;
    const char* cert_reqs = "none";
    const char* ciphers = nullptr;
    const char* min_version = "TLSv1.2";
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|zzzszs:TlsContext",
                                     const_cast<char**>(keywords), &certfile, &keyfile, &password,
                                     &ca_certs, &cert_reqs, &ciphers, &min_version)) {
        return nullptr;
    }
    net::TlsConfig config;
    config.certfile = certfile;
    config.keyfile = keyfile ? keyfile : "";
    config.password = password ? password : "";
    config.ca_certs = ca_certs ? ca_certs : "";
    config.ciphers = ciphers ? ciphers : "";
    config.min_version = min_version;
    if (!read_client_certs(cert_reqs, config.client_certs)) return nullptr;
    std::shared_ptr<const net::TlsContext> context;
    try {
        context = std::make_shared<const net::TlsContext>(config);
    } catch (const net::TlsConfigError& e) {
        PyErr_SetString(PyExc_ValueError, e.what());
        return nullptr;
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_MemoryError, e.what());
        return nullptr;
    }
    auto* self = reinterpret_cast<TlsContextObject*>(type->tp_alloc(type, 0));
    if (!self) return nullptr;
    new (&self->context) std::shared_ptr<const net::TlsContext>(std::move(context));
    return reinterpret_cast<PyObject*>(self);
}

void TlsContext_dealloc(TlsContextObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    self->context.~shared_ptr();
    type->tp_free(self);
    Py_DECREF(type);
}

PyType_Slot TlsContext_slots[] = {
    {Py_tp_new, reinterpret_cast<void*>(TlsContext_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(TlsContext_dealloc)},
    {Py_tp_doc,
     const_cast<char*>(
         "TlsContext(certfile, keyfile=None, password=None, ca_certs=None, cert_reqs='none', "
         "ciphers=None, min_version='TLSv1.2')\n--\n\n"
         "The certificate, key and settings a TLS listener serves with, read once "
         "(Server.add_listener(fd, tls=...)). keyfile None: the key is in certfile. cert_reqs: "
         "whether clients must show a certificate issued by ca_certs ('none', 'optional', "
         "'required'). ciphers: TLS 1.2 ciphers in OpenSSL's syntax (None: ECDHE with AES-GCM or "
         "ChaCha20). min_version: 'TLSv1.2' or 'TLSv1.3'. Raises ValueError saying what to fix.")},
    {0, nullptr},
};

bool set_item(PyObject* d, const char* key, PyObject* value) {
    if (!value) return false;
    const int r = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return r == 0;
}

PyObject* str_of(std::string_view s) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "backslashreplace");
}

PyObject* chain_list(const net::TlsPeer& peer) {
    const std::vector<std::string> pems = peer.client_chain_pem();
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(pems.size()));
    for (std::size_t i = 0; list && i < pems.size(); ++i) {
        PyObject* pem = str_of(pems[i]);
        if (!pem) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), pem);
    }
    return list;
}

}  // namespace

PyType_Spec tls_context_spec = {
    "lesto._native.TlsContext",
    sizeof(TlsContextObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    TlsContext_slots,
};

PyObject* tls_extension(const net::TlsPeer& peer) {
    PyObject* d = PyDict_New();
    if (!d) return nullptr;
    const bool client = peer.has_client_cert();
    // A client certificate that fails verification fails the handshake:
    // a connection that exists has none to report.
    const bool ok = set_item(d, "server_cert", Py_NewRef(Py_None)) &&
                    set_item(d, "client_cert_chain", chain_list(peer)) &&
                    set_item(d, "client_cert_name",
                             client ? str_of(peer.client_subject()) : Py_NewRef(Py_None)) &&
                    set_item(d, "client_cert_error", Py_NewRef(Py_None)) &&
                    set_item(d, "tls_version", PyLong_FromLong(peer.version())) &&
                    set_item(d, "cipher_suite", PyLong_FromLong(peer.cipher_suite()));
    if (!ok) Py_CLEAR(d);
    return d;
}

namespace {

/// tls_event(what, peer, detail); a failure of the hook is unraisable, as the server goes on.
void tell(PyObject* hook, const char* what, PyObject* peer, std::string_view detail) {
    PyObject* w = PyUnicode_FromString(what);
    PyObject* d = w ? str_of(detail) : nullptr;
    PyObject* r = d && peer ? PyObject_CallFunctionObjArgs(hook, w, peer, d, nullptr) : nullptr;
    if (!r) PyErr_WriteUnraisable(hook);
    Py_XDECREF(r);
    Py_XDECREF(d);
    Py_XDECREF(w);
}

}  // namespace

void Engine::handshake_failed(const Connection& conn, std::string_view reason) noexcept {
    if (!tls_event_) return;
    PyObject* p = nullptr;
    try {
        std::string peer = conn.remote_addr();
        if (peer.find(':') != std::string::npos) peer = "[" + peer + "]";  // IPv6
        peer += ":" + std::to_string(conn.remote_port());
        p = str_of(peer);
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    }
    tell(tls_event_, "handshake_failed", p, reason);
    Py_XDECREF(p);
}

void Engine::kernel_tls(bool sending) noexcept {
    if (tls_event_) tell(tls_event_, "kernel_tls", Py_None, sending ? "on" : "off");
}

}  // namespace lesto::py
