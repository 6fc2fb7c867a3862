// tls.hpp: TLS below HTTP with OpenSSL: a context made once from its configuration, a session per
// socket.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"

// OpenSSL's types, declared as <openssl/types.h> does, so that this header
// does not bring OpenSSL's into every file that includes it.
struct ssl_ctx_st;
struct x509_st;
struct stack_st_X509;

namespace lesto::net {

/// Whether clients must show a certificate (mutual TLS), as Python's ssl names it.
enum class ClientCerts : std::uint8_t {
    none,      ///< none is asked for
    optional,  ///< asked for; a client without one is served, one with a bad one is refused
    required,  ///< a client without a valid one is refused
};

/// TLS 1.2 ciphers when none are given: forward secrecy (ECDHE) and AEAD
/// only, ECDSA or RSA keys (Mozilla's "intermediate" list without DHE).
/// TLS 1.3's suites are OpenSSL's, all of them AEAD.
inline constexpr std::string_view default_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// What a TLS listener serves with; the names in messages are the options'
/// (`ssl_certfile`, ...), so that a message says what to change.
struct TlsConfig {
    std::string certfile;  ///< PEM: the certificate, then the chain up to (not including) the root
    std::string keyfile;   ///< PEM: its private key; empty: the key is in `certfile`
    std::string password;  ///< of an encrypted `keyfile`
    std::string ca_certs;  ///< PEM: the CAs that client certificates are checked against
    ClientCerts client_certs = ClientCerts::none;
    std::string ciphers;  ///< TLS 1.2 ciphers in OpenSSL's syntax; empty: `default_ciphers`
    std::string min_version = "TLSv1.2";  ///< "TLSv1.2" or "TLSv1.3"
};

/// The configuration cannot be used; the message says what to fix.
class TlsConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One OpenSSL SSL_CTX, made from a TlsConfig: the certificate and key are
/// read here, once. Listeners share it; each accepted socket gets its own
/// session from `accept`.
class TlsContext {
public:
    /// Throws TlsConfigError naming the option and file at fault.
    explicit TlsContext(const TlsConfig& config);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    /// The server side of a TLS session on the accepted, nonblocking socket
    /// `fd` (not owned), its handshake still to come (`Transport::open`).
    /// Null when OpenSSL has no memory for it.
    std::unique_ptr<Transport> accept(int fd) const;

private:
    ssl_ctx_st* ctx_ = nullptr;
};

/// What a handshake agreed with one client, for the application (the
/// request's scheme and `tls` extension). Shared by the connection and the
/// requests that outlive it; the client's certificates are held, and
/// rendered only when asked for.
class TlsPeer {
public:
    TlsPeer(std::uint16_t version, std::uint16_t cipher_suite, x509_st* cert,
            stack_st_X509* chain) noexcept
        : cert_(cert), chain_(chain), version_(version), cipher_suite_(cipher_suite) {}
    ~TlsPeer();
    TlsPeer(const TlsPeer&) = delete;
    TlsPeer& operator=(const TlsPeer&) = delete;

    /// The protocol version's code point: 0x0303 for TLS 1.2, 0x0304 for 1.3.
    std::uint16_t version() const noexcept { return version_; }
    /// The cipher suite's IANA number (0x1301: TLS_AES_128_GCM_SHA256).
    std::uint16_t cipher_suite() const noexcept { return cipher_suite_; }
    bool has_client_cert() const noexcept { return cert_ != nullptr; }
    /// The client certificate's subject as RFC 4514 writes it
    /// ("CN=alice,O=Example"); empty without a client certificate.
    std::string client_subject() const;
    /// The client's certificate, then the chain it sent, in PEM.
    std::vector<std::string> client_chain_pem() const;

private:
    x509_st* cert_;         // owned reference, or null
    stack_st_X509* chain_;  // owned, or null: the certificates the client sent after its own
    std::uint16_t version_;
    std::uint16_t cipher_suite_;
};

}  // namespace lesto::net
