// handshake.hpp: the opening handshake (RFC 6455 4.2): is a request an upgrade, is it a valid one,
// what it offers, and the 101 response.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "buffer/buffer.hpp"
#include "parser/request.hpp"
#include "websocket/extensions.hpp"

namespace lesto::ws {

/// Why an upgrade request is refused: 400, or 426 for a version other than
/// 13 (then with refusal_headers). `reason` is static, for the response body.
struct Refusal {
    int status = 0;  ///< 0: accepted
    std::string_view reason;
    explicit operator bool() const noexcept { return status != 0; }
};

namespace refusals {
inline constexpr Refusal not_get{400, "a WebSocket handshake must be a GET"};
inline constexpr Refusal not_http11{400, "a WebSocket handshake needs HTTP/1.1"};
inline constexpr Refusal no_connection_upgrade{
    400, "a WebSocket handshake needs the 'upgrade' option in Connection"};
inline constexpr Refusal has_body{400, "a WebSocket handshake has no body"};
inline constexpr Refusal version{426, "Sec-WebSocket-Version must be 13"};
inline constexpr Refusal two_versions{400, "more than one Sec-WebSocket-Version"};
inline constexpr Refusal no_key{400, "missing Sec-WebSocket-Key"};
inline constexpr Refusal two_keys{400, "more than one Sec-WebSocket-Key"};
inline constexpr Refusal bad_key{400, "Sec-WebSocket-Key is not the base64 of 16 bytes"};
inline constexpr Refusal bad_protocol{400, "Sec-WebSocket-Protocol is not a list of tokens"};
}  // namespace refusals

/// The one version of the protocol there is (RFC 6455 4.1).
inline constexpr http::Header version_header{"Sec-WebSocket-Version", "13"};

/// Headers that go with a refusal: Sec-WebSocket-Version: 13 with the 426
/// (4.4: it tells the client which version to use), none with a 400.
std::span<const http::Header> refusal_headers(const Refusal& r) noexcept;

/// What a valid upgrade request offers.
struct Handshake {
    std::string_view key;  ///< Sec-WebSocket-Key, for accept_key
    /// Origin (RFC 6454), for the application to judge; empty when absent.
    std::string_view origin;
    /// Sec-WebSocket-Protocol: the subprotocols offered, in the client's
    /// order of preference, from every field line.
    std::vector<std::string_view> subprotocols;
    /// The answer to the first acceptable permessage-deflate offer, if any.
    std::optional<DeflateParams> deflate;
};

/// Whether `head` asks for a WebSocket at all: an Upgrade field whose list
/// holds the token "websocket", in any case (4.2.1). Such a request gets
/// read_handshake's answer; any other is plain HTTP.
bool wants_websocket(const http::RequestHead& head) noexcept;

/// Checks a request that wants_websocket against 4.2.1 and reads its
/// offers into `out`: GET, HTTP/1.1, Connection holding "upgrade", no body,
/// one Sec-WebSocket-Key that is the base64 of 16 bytes, one
/// Sec-WebSocket-Version that is 13 (else 426). Returns the refusal, or no
/// status when the request is valid.
Refusal read_handshake(const http::RequestHead& head, const DeflateOptions& deflate,
                       Handshake& out);

/// Whether `subprotocol` is one the client offered: the only kind the
/// server may choose (4.2.2).
bool is_offered(const Handshake& handshake, std::string_view subprotocol) noexcept;

/// Sec-WebSocket-Accept for `key`: base64(SHA-1(key + the RFC's GUID)), 28 characters.
using AcceptKey = std::array<char, 28>;
AcceptKey accept_key(std::string_view key);

/// Appends the 101 response that accepts the handshake: Upgrade,
/// Connection, Sec-WebSocket-Accept, then Sec-WebSocket-Protocol when
/// `subprotocol` is not empty, Sec-WebSocket-Extensions when `deflate` is
/// given, then `extra` (the application's headers, in order). Refuses a
/// subprotocol that is not a token, an extra header that write_response
/// would refuse (response/checks.hpp: no response splitting) or that names
/// one of the handshake's own fields: returns why, appending nothing.
/// Returns empty when the response was written.
std::string render_accept(Buffer& out, std::string_view accept, std::string_view subprotocol,
                          const DeflateParams* deflate, std::span<const http::Header> extra);

}  // namespace lesto::ws
