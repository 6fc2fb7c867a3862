// tls_test.cpp: net::TlsContext's checks of its configuration, and its transport against an OpenSSL
// client.
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "net/tls.hpp"

namespace {

using lesto::net::ClientCerts;
using lesto::net::IoResult;
using lesto::net::TlsConfig;
using lesto::net::TlsConfigError;
using lesto::net::TlsContext;
using lesto::net::Transport;
using Status = IoResult::Status;

/// A self-signed ECDSA P-256 certificate for "localhost" and its key, made
/// for the test run, in PEM files of a fresh directory.
struct Files {
    std::filesystem::path dir, cert, key, encrypted_key, other_key;

    Files() {
        char tmpl[] = "/tmp/lesto-tls-test-XXXXXX";
        dir = mkdtemp(tmpl);
        cert = dir / "cert.pem";
        key = dir / "key.pem";
        encrypted_key = dir / "encrypted.pem";
        other_key = dir / "other.pem";
        EVP_PKEY* pkey = EVP_EC_gen("P-256");
        EVP_PKEY* other = EVP_EC_gen("P-256");
        X509* x = X509_new();
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, pkey);
        X509_NAME* name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
        X509_set_issuer_name(x, name);
        X509_sign(x, pkey, EVP_sha256());
        write(cert, [&](BIO* b) { PEM_write_bio_X509(b, x); });
        write(key, [&](BIO* b) {
            PEM_write_bio_PrivateKey(b, pkey, nullptr, nullptr, 0, nullptr, nullptr);
        });
        write(encrypted_key, [&](BIO* b) {
            PEM_write_bio_PKCS8PrivateKey(b, pkey, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                          const_cast<char*>("secret"));
        });
        write(other_key, [&](BIO* b) {
            PEM_write_bio_PrivateKey(b, other, nullptr, nullptr, 0, nullptr, nullptr);
        });
        X509_free(x);
        EVP_PKEY_free(pkey);
        EVP_PKEY_free(other);
    }
    ~Files() { std::filesystem::remove_all(dir); }

    template <class F> static void write(const std::filesystem::path& path, F f) {
        BIO* b = BIO_new_file(path.c_str(), "w");
        f(b);
        BIO_free(b);
    }

    TlsConfig config() const {
        TlsConfig c;
        c.certfile = cert;
        c.keyfile = key;
        return c;
    }
};

const Files& files() {
    static const Files f;
    return f;
}

std::string refusal(const TlsConfig& c) {
    try {
        TlsContext context(c);
    } catch (const TlsConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(TlsContext, LoadsACertificateAndItsKey) { EXPECT_EQ(refusal(files().config()), ""); }

TEST(TlsContext, NamesAMissingCertificateFile) {
    TlsConfig c = files().config();
    c.certfile = "/nonexistent/cert.pem";
    EXPECT_EQ(refusal(c), "ssl_certfile '/nonexistent/cert.pem': No such file or directory");
}

TEST(TlsContext, SaysAKeyIsNotTheCertificatesKey) {
    TlsConfig c = files().config();
    c.keyfile = files().other_key;
    EXPECT_NE(refusal(c).find("is not the key of the certificate in ssl_certfile"),
              std::string::npos)
        << refusal(c);
}

TEST(TlsContext, AsksForThePasswordOfAnEncryptedKeyAndSaysWhenItIsWrong) {
    TlsConfig c = files().config();
    c.keyfile = files().encrypted_key;
    EXPECT_NE(refusal(c).find("is encrypted: give its password (ssl_keyfile_password)"),
              std::string::npos);
    c.password = "wrong";
    EXPECT_NE(refusal(c).find("cannot decrypt it with ssl_keyfile_password"), std::string::npos);
    c.password = "secret";
    EXPECT_EQ(refusal(c), "");
}

TEST(TlsContext, RefusesClientCertificatesWithoutACaFile) {
    TlsConfig c = files().config();
    c.client_certs = ClientCerts::required;
    EXPECT_NE(refusal(c).find("ssl_cert_reqs=required needs ssl_ca_certs"), std::string::npos);
}

TEST(TlsContext, RefusesOldVersionsAndUnknownCiphers) {
    TlsConfig c = files().config();
    c.min_version = "TLSv1.1";
    EXPECT_NE(refusal(c).find("must be TLSv1.2 or TLSv1.3"), std::string::npos);
    c.min_version = "TLSv1.2";
    c.ciphers = "NO-SUCH-CIPHER";
    EXPECT_NE(refusal(c).find("no cipher OpenSSL knows matches"), std::string::npos);
}

/// The server's transport on one end of a socket pair, an OpenSSL client on the other.
struct Pair {
    int fds[2] = {-1, -1};
    std::unique_ptr<Transport> server;
    SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
    SSL* client = nullptr;

    explicit Pair(const TlsContext& context) {
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);
        server = context.accept(fds[0]);
        client = SSL_new(client_ctx);
        SSL_set_fd(client, fds[1]);
        SSL_set_connect_state(client);
        static constexpr unsigned char alpn[] = "\x08http/1.1";
        SSL_set_alpn_protos(client, alpn, sizeof alpn - 1);
    }
    ~Pair() {
        server.reset();
        SSL_free(client);
        SSL_CTX_free(client_ctx);
        ::close(fds[0]);
        ::close(fds[1]);
    }

    /// Both ends take turns until the server's open() is done (or fails).
    Status handshake() {
        for (int i = 0; i < 100; ++i) {
            SSL_do_handshake(client);
            ERR_clear_error();
            const IoResult r = server->open();
            if (r.status == Status::ok || r.status == Status::failed) {
                SSL_do_handshake(client);  // take the server's last flight
                ERR_clear_error();
                return r.status;
            }
        }
        return Status::want_read;
    }

    std::string server_read() {
        char buf[65536];
        const IoResult r = server->read({buf, sizeof buf});
        return r.status == Status::ok ? std::string(buf, r.n) : std::string();
    }
};

TEST(TlsTransport, HandshakesThenCarriesBytesBothWays) {
    const TlsContext context(files().config());
    Pair p(context);
    ASSERT_EQ(p.handshake(), Status::ok);
    const auto peer = p.server->secure_peer();
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(peer->version(), 0x0304);
    EXPECT_FALSE(peer->has_client_cert());
    EXPECT_EQ(peer->client_subject(), "");
    const unsigned char* chosen = nullptr;
    unsigned int chosen_len = 0;
    SSL_get0_alpn_selected(p.client, &chosen, &chosen_len);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(chosen), chosen_len), "http/1.1");

    ASSERT_EQ(SSL_write(p.client, "GET / HTTP/1.1\r\n\r\n", 18), 18);
    EXPECT_EQ(p.server_read(), "GET / HTTP/1.1\r\n\r\n");
    EXPECT_FALSE(p.server->has_pending_input());
    char nothing[16];
    EXPECT_EQ(p.server->read({nothing, sizeof nothing}).status, Status::want_read);

    const IoResult w = p.server->write("HTTP/1.1 200 OK\r\n\r\n");
    EXPECT_EQ(w.status, Status::ok);
    EXPECT_EQ(w.n, 19u);
    char buf[64];
    int got = 0;
    for (int i = 0; i < 10 && got <= 0; ++i) got = SSL_read(p.client, buf, sizeof buf);
    ASSERT_EQ(got, 19);
    EXPECT_EQ(std::string(buf, 19), "HTTP/1.1 200 OK\r\n\r\n");

    // Not a kernel TLS socket: files are the caller's to read and write.
    EXPECT_FALSE(p.server->sends_files());
    EXPECT_EQ(p.server->send_file(0, 0, 10).status, Status::unsupported);

    SSL_shutdown(p.client);  // close_notify
    EXPECT_EQ(p.server->read({buf, sizeof buf}).status, Status::closed);
}

TEST(TlsTransport, AReadTakesSeveralRecordsAndLeavesNoneInside) {
    const TlsContext context(files().config());
    Pair p(context);
    ASSERT_EQ(p.handshake(), Status::ok);
    const std::string piece(10000, 'x');
    for (int i = 0; i < 5; ++i) ASSERT_EQ(SSL_write(p.client, piece.data(), 10000), 10000);
    // Each read goes on while OpenSSL holds more: it stops only where its
    // buffer ends on a record's end, and then the socket holds the rest
    // (its readiness brings the server back). Nothing is left inside.
    std::size_t total = 0;
    int reads = 0;
    while (total < 50000 && reads < 5) {
        const std::string got = p.server_read();
        ASSERT_FALSE(got.empty()) << "after " << total;
        EXPECT_FALSE(p.server->has_pending_input());
        total += got.size();
        ++reads;
    }
    EXPECT_EQ(total, 50000u);
    EXPECT_LT(reads, 5);
}

TEST(TlsTransport, PlainHttpFailsTheHandshakeSayingSo) {
    const TlsContext context(files().config());
    Pair p(context);
    ASSERT_EQ(::write(p.fds[1], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27), 27);
    EXPECT_EQ(p.server->open().status, Status::failed);
    EXPECT_NE(std::string(p.server->failure()).find("plain HTTP sent to the TLS port"),
              std::string::npos)
        << p.server->failure();
}

TEST(TlsTransport, AClientThatLeavesMidHandshakeFailsIt) {
    const TlsContext context(files().config());
    Pair p(context);
    SSL_do_handshake(p.client);  // its hello goes out
    ERR_clear_error();
    ::shutdown(p.fds[1], SHUT_WR);
    // The hello is answered, then the end of the stream comes instead of the client's Finished.
    Status s = Status::want_read;
    for (int i = 0; i < 5 && s == Status::want_read; ++i) s = p.server->open().status;
    EXPECT_EQ(s, Status::failed);
    EXPECT_EQ(p.server->failure(), "the client closed the connection during the handshake");
}

}  // namespace
