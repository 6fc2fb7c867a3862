// tls.cpp: the OpenSSL context made from a TlsConfig, and the TLS transport of one connection.
#include "net/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace lesto::net {

namespace {

/// Errors left on this thread's OpenSSL queue by others (Python's ssl
/// module in the same process, say) would make SSL_get_error report ours as
/// failures; drop them first. Peeking is cheap, the queue is nearly always empty.
void drop_stale_errors() noexcept {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

/// Empties this thread's OpenSSL error queue: its codes, oldest first.
std::vector<unsigned long> take_codes() {
    std::vector<unsigned long> codes;
    for (unsigned long code; (code = ERR_get_error()) != 0;) codes.push_back(code);
    return codes;
}

/// The reasons of `codes` in words, the last (the outermost) first.
std::string describe(const std::vector<unsigned long>& codes) {
    std::string out;
    for (auto it = codes.rbegin(); it != codes.rend(); ++it) {
        const char* reason = ERR_reason_error_string(*it);
        const std::string text = reason ? reason : "error " + std::to_string(ERR_GET_REASON(*it));
        if (out.find(text) != std::string::npos) continue;
        if (!out.empty()) out += ": ";
        out += text;
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

/// The reasons on OpenSSL's error queue, which empties it.
std::string take_errors() { return describe(take_codes()); }

bool has_reason(const std::vector<unsigned long>& codes, int lib, int reason) {
    return std::any_of(codes.begin(), codes.end(), [&](unsigned long c) {
        return ERR_GET_LIB(c) == lib && ERR_GET_REASON(c) == reason;
    });
}

// ---- the context ---------------------------------------------------------------

/// Hands OpenSSL the key's password; never prompts on a terminal (OpenSSL's
/// default would), and records that the key asked for one.
struct Password {
    const std::string* text;
    bool asked = false;
};

int give_password(char* buf, int size, int, void* userdata) {
    auto* p = static_cast<Password*>(userdata);
    if (!p) return 0;
    p->asked = true;
    if (p->text->empty() || p->text->size() > static_cast<std::size_t>(size)) return 0;
    std::copy(p->text->begin(), p->text->end(), buf);  // a length, not a C string, goes back
    return static_cast<int>(p->text->size());
}

/// ALPN: HTTP/1.1 (or 1.0) when the client offers it; a client offering
/// only other protocols (h2 alone) is refused: it would not understand us.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    static constexpr unsigned char ours[] = "\x08http/1.1\x08http/1.0";
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen, ours, sizeof ours - 1, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/// Fails unless `path` can be opened for reading: OpenSSL's own message
/// for a missing file is "system lib".
void check_readable(const char* option, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        throw TlsConfigError(std::string(option) + " '" + path + "': " + std::strerror(errno));
    }
    std::fclose(f);
}

int version_of(const std::string& name) {
    if (name == "TLSv1.2") return TLS1_2_VERSION;
    if (name == "TLSv1.3") return TLS1_3_VERSION;
    throw TlsConfigError("ssl_min_version '" + name +
                         "': must be TLSv1.2 or TLSv1.3 (older versions are not safe)");
}

void load_key(SSL_CTX* ctx, const TlsConfig& c) {
    const std::string& keyfile = c.keyfile.empty() ? c.certfile : c.keyfile;
    const char* option = c.keyfile.empty() ? "ssl_certfile (no ssl_keyfile given)" : "ssl_keyfile";
    check_readable(option, keyfile);
    Password password{&c.password};
    SSL_CTX_set_default_passwd_cb(ctx, give_password);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, &password);
    const int loaded = SSL_CTX_use_PrivateKey_file(ctx, keyfile.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);  // `password` ends here
    const std::string where = std::string(option) + " '" + keyfile + "'";
    const std::string mismatch =
        where + " is not the key of the certificate in ssl_certfile '" + c.certfile + "'";
    if (loaded == 1) {
        // A key of another type than the certificate's loads into another slot.
        if (SSL_CTX_check_private_key(ctx) != 1) {
            ERR_clear_error();
            throw TlsConfigError(mismatch);
        }
        ERR_clear_error();
        return;
    }
    const std::vector<unsigned long> codes = take_codes();
    if (has_reason(codes, ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH) ||
        has_reason(codes, ERR_LIB_X509, X509_R_KEY_TYPE_MISMATCH)) {
        throw TlsConfigError(mismatch);
    }
    const std::string why = describe(codes);
    if (password.asked && c.password.empty()) {
        throw TlsConfigError(where + " is encrypted: give its password (ssl_keyfile_password)");
    }
    if (password.asked) {
        throw TlsConfigError(where + ": cannot decrypt it with ssl_keyfile_password (" + why +
                             "): is the password right?");
    }
    throw TlsConfigError(where + ": no private key in PEM form found (" + why + ")");
}

void load_client_cas(SSL_CTX* ctx, const TlsConfig& c) {
    if (c.ca_certs.empty()) {
        if (c.client_certs == ClientCerts::none) return;
        throw TlsConfigError(
            std::string("ssl_cert_reqs=") +
            (c.client_certs == ClientCerts::required ? "required" : "optional") +
            " needs ssl_ca_certs: the CA certificates that client certificates are checked "
            "against");
    }
    check_readable("ssl_ca_certs", c.ca_certs);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.ca_certs.c_str());
    if (SSL_CTX_load_verify_locations(ctx, c.ca_certs.c_str(), nullptr) != 1 || !names) {
        if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
        throw TlsConfigError("ssl_ca_certs '" + c.ca_certs +
                             "': no CA certificate in PEM form found (" + take_errors() + ")");
    }
    // Sent in the certificate request: the client picks a certificate these issued.
    SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_NONE;
    if (c.client_certs == ClientCerts::optional) mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;
    if (c.client_certs == ClientCerts::required)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
}

void configure(SSL_CTX* ctx, const TlsConfig& c) {
    SSL_CTX_set_min_proto_version(ctx, version_of(c.min_version));
    // No renegotiation (a client could make the server redo expensive
    // handshakes at will); a TCP close without close_notify ends input as
    // a close does (HTTP frames its own messages); kernel TLS where the
    // kernel has it, so that files go out with sendfile.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_ENABLE_KTLS | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Release buffers: an idle connection holds no record buffers (34 KiB
    // otherwise). Partial writes: a write reports each record sent, as a
    // send(2) reports bytes; the output buffer may move between retries.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // Read ahead: one recv takes what the socket has (several records) rather
    // than a record's header and then its body, two syscalls per record.
    SSL_CTX_set_read_ahead(ctx, 1);
    // Resumed sessions must carry a context id once client certificates are
    // checked, else OpenSSL refuses them.
    static constexpr unsigned char sid[] = "lesto";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
    const std::string& ciphers = c.ciphers.empty() ? std::string(default_ciphers) : c.ciphers;
    if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
        ERR_clear_error();
        throw TlsConfigError("ssl_ciphers '" + ciphers +
                             "': no cipher OpenSSL knows matches (see `openssl ciphers`)");
    }
    check_readable("ssl_certfile", c.certfile);
    if (SSL_CTX_use_certificate_chain_file(ctx, c.certfile.c_str()) != 1) {
        throw TlsConfigError("ssl_certfile '" + c.certfile +
                             "': no certificate in PEM form found (" + take_errors() + ")");
    }
    load_key(ctx, c);
    load_client_cas(ctx, c);
}

// ---- one connection's session ---------------------------------------------------

/// The TLS transport of one accepted socket: OpenSSL reads and writes the
/// socket itself (SSL_set_fd), so that kernel TLS and SSL_sendfile can work.
class TlsStream final : public Transport {
public:
    explicit TlsStream(SSL* ssl) noexcept : ssl_(ssl) {}
    ~TlsStream() override { SSL_free(ssl_); }
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    IoResult open() override {
        drop_stale_errors();
        const int r = SSL_do_handshake(ssl_);
        if (r == 1) {
            ktls_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_)) > 0;
            return {IoResult::Status::ok};
        }
        IoResult res = classify(r);
        // A close during the handshake is a failed handshake, not a request's end.
        if (res.status == IoResult::Status::closed) {
            failure_ = "the client closed the connection during the handshake";
            res.status = IoResult::Status::failed;
        }
        return res;
    }

    IoResult read(std::span<char> into) override {
        // SSL_read gives one record (at most 16 KiB) per call: fill `into`
        // while OpenSSL holds more, or a full record suggests the socket does.
        constexpr std::size_t max_record = 16384;
        std::size_t total = 0;
        while (total < into.size()) {
            drop_stale_errors();
            std::size_t got = 0;
            const int r = SSL_read_ex(ssl_, into.data() + total, into.size() - total, &got);
            if (r == 1) {
                total += got;
                if (got < max_record && !SSL_has_pending(ssl_)) break;
                continue;
            }
            // What stopped us comes back on the next read (OpenSSL keeps
            // its state): the bytes read so far are delivered first.
            if (total > 0) {
                ERR_clear_error();
                break;
            }
            return classify(r);
        }
        return {IoResult::Status::ok, total};
    }

    IoResult write(std::string_view bytes) override {
        std::size_t total = 0;
        while (total < bytes.size()) {
            drop_stale_errors();
            std::size_t sent = 0;
            const int r = SSL_write_ex(ssl_, bytes.data() + total, bytes.size() - total, &sent);
            if (r == 1) {
                total += sent;
                continue;
            }
            if (total > 0) {
                ERR_clear_error();
                break;
            }
            IoResult res = classify(r);
            if (res.status == IoResult::Status::closed) res.status = IoResult::Status::failed;
            return res;
        }
        return {IoResult::Status::ok, total};
    }

    IoResult send_file(int fd, off_t offset, std::size_t count) override {
        if (!ktls_send_) return {IoResult::Status::unsupported};
        drop_stale_errors();
        const ossl_ssize_t r = SSL_sendfile(ssl_, fd, offset, count, 0);
        if (r >= 0) return {IoResult::Status::ok, static_cast<std::size_t>(r)};
        // sendfile(2) is called past the BIO: its errno says what happened.
        const int err = errno;
        ERR_clear_error();
        if (err == EAGAIN || err == EINTR) return {IoResult::Status::want_write};
        failure_ = std::strerror(err);
        return {IoResult::Status::failed};
    }

    bool has_pending_input() const noexcept override { return SSL_has_pending(ssl_) == 1; }

    void close_write() noexcept override {
        if (SSL_is_init_finished(ssl_)) {
            drop_stale_errors();
            SSL_shutdown(ssl_);  // sends close_notify; the reply is not waited for
            ERR_clear_error();
        }
    }

    std::string_view failure() const noexcept override { return failure_; }

    std::shared_ptr<const TlsPeer> secure_peer() const override {
        const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
        const auto suite =
            static_cast<std::uint16_t>(cipher ? SSL_CIPHER_get_protocol_id(cipher) : 0);
        const auto version = static_cast<std::uint16_t>(SSL_version(ssl_));
        X509* cert = SSL_get1_peer_certificate(ssl_);
        STACK_OF(X509)* chain = nullptr;
        if (cert) {
            // The server side's chain holds what the client sent after its own certificate.
            if (STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl_))
                chain = X509_chain_up_ref(sent);
        }
        return std::make_shared<const TlsPeer>(version, suite, cert, chain);
    }

    bool sends_files() const noexcept override { return ktls_send_; }

private:
    /// What a failed SSL_* call means; records the reason of a failure.
    IoResult classify(int r) {
        const int saved_errno = errno;
        switch (SSL_get_error(ssl_, r)) {
        case SSL_ERROR_WANT_READ:
            return {IoResult::Status::want_read};
        case SSL_ERROR_WANT_WRITE:
            return {IoResult::Status::want_write};
        case SSL_ERROR_ZERO_RETURN:
            return {IoResult::Status::closed};
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                if (saved_errno == 0 || r == 0) return {IoResult::Status::closed};
                failure_ = std::strerror(saved_errno);
                return {IoResult::Status::failed};
            }
            break;
        default:
            break;
        }
        const std::vector<unsigned long> codes = take_codes();
        failure_ = describe(codes);
        if (has_reason(codes, ERR_LIB_SSL, SSL_R_HTTP_REQUEST) ||
            has_reason(codes, ERR_LIB_SSL, SSL_R_HTTPS_PROXY_REQUEST)) {
            failure_ += " (plain HTTP sent to the TLS port)";
        } else if (has_reason(codes, ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED)) {
            failure_ += ": ";
            failure_ += X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
        }
        return {IoResult::Status::failed};
    }

    SSL* ssl_;
    std::string failure_;
    bool ktls_send_ = false;
};

}  // namespace

TlsContext::TlsContext(const TlsConfig& config) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    if (!ctx_) throw TlsConfigError("OpenSSL cannot make a TLS context: " + take_errors());
    try {
        configure(ctx_, config);
    } catch (...) {
        SSL_CTX_free(ctx_);
        ERR_clear_error();
        throw;
    }
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<Transport> TlsContext::accept(int fd) const {
    SSL* ssl = SSL_new(ctx_);
    if (!ssl) {
        ERR_clear_error();
        return nullptr;
    }
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        return nullptr;
    }
    SSL_set_accept_state(ssl);
    return std::make_unique<TlsStream>(ssl);
}

// ---- what the client agreed to ----------------------------------------------------

TlsPeer::~TlsPeer() {
    X509_free(cert_);
    if (chain_) sk_X509_pop_free(chain_, X509_free);
}

std::string TlsPeer::client_subject() const {
    if (!cert_) return {};
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio) return {};
    std::string out;
    // RFC 2253's flags: RFC 4514 is its revision, the same text.
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert_), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        if (n > 0) out.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(bio);
    return out;
}

std::vector<std::string> TlsPeer::client_chain_pem() const {
    std::vector<std::string> out;
    const auto add = [&](X509* cert) {
        BIO* bio = BIO_new(BIO_s_mem());
        if (!bio) return;
        if (PEM_write_bio_X509(bio, cert) == 1) {
            char* data = nullptr;
            const long n = BIO_get_mem_data(bio, &data);
            if (n > 0) out.emplace_back(data, static_cast<std::size_t>(n));
        }
        BIO_free(bio);
    };
    if (!cert_) return out;
    add(cert_);
    for (int i = 0; chain_ && i < sk_X509_num(chain_); ++i) {
        X509* c = sk_X509_value(chain_, i);
        // Some clients send their own certificate again at the chain's head.
        if (X509_cmp(c, cert_) != 0) add(c);
    }
    ERR_clear_error();
    return out;
}

}  // namespace lesto::net
