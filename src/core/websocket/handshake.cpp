// handshake.cpp: checking an upgrade request, the accept key (SHA-1 by OpenSSL), the 101 response.
#include "websocket/handshake.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

#include "http/fields.hpp"
#include "response/checks.hpp"

namespace lesto::ws {
namespace {

/// RFC 6455 1.3: appended to the key before hashing.
constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Whether the comma-separated list `value` holds `token` (lower case), in any case.
bool list_has(std::string_view value, std::string_view token) noexcept {
    bool found = false;
    http::each_element(value, [&](std::string_view e) {
        found = http::equals_ignoring_case(e, token);
        return !found;
    });
    return found;
}

constexpr bool is_base64_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/// The base64 of 16 bytes: 22 characters and "==" (RFC 4648 4). The two
/// bits the 22nd character holds beyond the 16 bytes are not looked at:
/// decoders ignore them, and so does every client's check of the accept key.
bool is_key(std::string_view key) noexcept {
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    for (std::size_t i = 0; i < 22; ++i)
        if (!is_base64_char(key[i])) return false;
    return true;
}

/// Field names of the 101 that render_accept writes itself.
bool is_handshake_field(std::string_view name) noexcept {
    for (const std::string_view own : {"upgrade", "connection", "sec-websocket-accept",
                                       "sec-websocket-protocol", "sec-websocket-extensions"}) {
        if (http::equals_ignoring_case(name, own)) return true;
    }
    return false;
}

void append_line(Buffer& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
}

}  // namespace

std::span<const http::Header> refusal_headers(const Refusal& r) noexcept {
    if (r.status == refusals::version.status) return {&version_header, 1};
    return {};
}

bool wants_websocket(const http::RequestHead& head) noexcept {
    for (const http::Header& h : head.headers) {
        if (http::equals_ignoring_case(h.name, "upgrade") && list_has(h.value, "websocket"))
            return true;
    }
    return false;
}

Refusal read_handshake(const http::RequestHead& head, const DeflateOptions& deflate,
                       Handshake& out) {
    out = {};
    if (head.method != "GET") return refusals::not_get;
    if (head.version_minor < 1) return refusals::not_http11;
    if (head.body_kind == http::BodyKind::chunked ||
        (head.body_kind == http::BodyKind::content_length && head.content_length > 0))
        return refusals::has_body;
    bool upgrade_option = false, key_seen = false;
    int versions = 0;
    bool version_13 = false;
    for (const http::Header& h : head.headers) {
        const std::string_view name = h.name;
        if (http::equals_ignoring_case(name, "connection")) {
            upgrade_option = upgrade_option || list_has(h.value, "upgrade");
        } else if (http::equals_ignoring_case(name, "sec-websocket-key")) {
            if (key_seen) return refusals::two_keys;
            key_seen = true;
            out.key = h.value;
        } else if (http::equals_ignoring_case(name, "sec-websocket-version")) {
            ++versions;
            version_13 = h.value == "13";
        } else if (http::equals_ignoring_case(name, "sec-websocket-protocol")) {
            bool ok = true;
            http::each_element(h.value, [&](std::string_view e) {
                if (e.empty()) return true;  // RFC 9110 5.6.1: empty elements do not count
                if (!http::is_token(e)) return ok = false;
                out.subprotocols.push_back(e);
                return true;
            });
            if (!ok) return refusals::bad_protocol;
        } else if (http::equals_ignoring_case(name, "origin")) {
            out.origin = h.value;
        }
    }
    if (!upgrade_option) return refusals::no_connection_upgrade;
    if (versions > 1) return refusals::two_versions;
    if (!version_13) return refusals::version;
    if (!key_seen) return refusals::no_key;
    if (!is_key(out.key)) return refusals::bad_key;
    out.deflate = negotiate_deflate(head, deflate);
    return {};
}

bool is_offered(const Handshake& handshake, std::string_view subprotocol) noexcept {
    for (const std::string_view p : handshake.subprotocols)
        if (p == subprotocol) return true;
    return false;
}

AcceptKey accept_key(std::string_view key) {
    std::string input;
    input.reserve(key.size() + guid.size());
    input.append(key);
    input.append(guid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr) != 1 ||
        size != 20)
        throw std::runtime_error("OpenSSL could not compute SHA-1");
    // 20 bytes are 28 base64 characters; EVP_EncodeBlock adds a NUL.
    unsigned char text[29];
    EVP_EncodeBlock(text, digest, 20);
    AcceptKey k;
    std::memcpy(k.data(), text, k.size());
    return k;
}

std::string render_accept(Buffer& out, std::string_view accept, std::string_view subprotocol,
                          const DeflateParams* deflate, std::span<const http::Header> extra) {
    if (!subprotocol.empty() && !http::is_token(subprotocol))
        return "subprotocol " + http::quoted(subprotocol) + " is not a token; " +
               http::token_rule();
    for (const http::Header& h : extra) {
        if (is_handshake_field(h.name))
            return "header " + http::quoted(h.name) + " is the handshake's own";
    }
    http::ResponseSpec spec;
    spec.status = 101;
    spec.headers = extra;
    if (std::string reason = http::refusal_reason(spec); !reason.empty()) return reason;

    out.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
    append_line(out, "Sec-WebSocket-Accept", accept);
    if (!subprotocol.empty()) append_line(out, "Sec-WebSocket-Protocol", subprotocol);
    if (deflate) append_line(out, "Sec-WebSocket-Extensions", deflate_response(*deflate));
    for (const http::Header& h : extra) append_line(out, h.name, h.value);
    out.append("\r\n");
    return {};
}

}  // namespace lesto::ws
