// extensions.hpp: the permessage-deflate negotiation (RFC 7692 5, 7.1): offers read from
// Sec-WebSocket-Extensions, the server's choice, and the parameters both sides then use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/request.hpp"

namespace lesto::ws {

/// What the server is willing to do, from configuration.
struct DeflateOptions {
    bool enabled = true;
    /// The largest window the server compresses with, 8..15 (RFC 7692
    /// 7.1.2.1). Smaller saves memory per connection and compresses less.
    std::uint8_t server_max_window_bits = 15;
    /// The largest window asked of a client that offers
    /// client_max_window_bits, 8..15. The server still inflates within 15
    /// bits (see deflate.cpp): the answer only tells the client what it may use.
    std::uint8_t client_max_window_bits = 15;
    /// Ask for no context takeover even when the client did not offer it:
    /// each message is then compressed on its own, and between messages no
    /// window need be kept (memory for idle connections).
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    /// zlib's level (1..9) and memLevel (1..9) for the server's messages.
    std::uint8_t level = 6;
    std::uint8_t mem_level = 8;
};

/// The agreement, which both the 101 response and the session's
/// compressor and decompressor follow.
struct DeflateParams {
    /// Each message the server sends is compressed on its own (no window
    /// kept between messages); likewise the client's.
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    /// Windows, 8..15: the server compresses within the first, the
    /// client within the second (the server inflates with it).
    std::uint8_t server_max_window_bits = 15;
    std::uint8_t client_max_window_bits = 15;
    /// Whether the response names each window (RFC 7692 7.1.2: a bound the
    /// client offered is answered; client_max_window_bits only if offered).
    bool send_server_bits = false;
    bool send_client_bits = false;
    /// Local only, not negotiated: zlib's settings for the server's messages.
    std::uint8_t level = 6;
    std::uint8_t mem_level = 8;
};

/// One permessage-deflate offer as the client wrote it.
struct DeflateOffer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::uint8_t server_max_window_bits = 0;  ///< 0: not offered
    bool client_max_window_bits = false;      ///< offered, with or without a value
    std::uint8_t client_bits_value = 0;       ///< 0: offered bare (or not at all)
};

/// The well-formed permessage-deflate offers in `value` (one
/// Sec-WebSocket-Extensions field value), in order. An offer with an
/// unknown, repeated or malformed parameter, and any element that breaks
/// the grammar of RFC 6455 9.1, is left out: it is not one the server can
/// accept. Other extensions are left out too.
std::vector<DeflateOffer> deflate_offers(std::string_view value);

/// The server's answer to the first acceptable offer among the head's
/// Sec-WebSocket-Extensions fields (several lines are one list), or none:
/// none offered, none well-formed, or `options.enabled` off.
std::optional<DeflateParams> negotiate_deflate(const http::RequestHead& head,
                                               const DeflateOptions& options);

/// The answer to one offer, following `options`.
DeflateParams accept_offer(const DeflateOffer& offer, const DeflateOptions& options) noexcept;

/// The Sec-WebSocket-Extensions value that announces `params`, e.g.
/// "permessage-deflate; server_no_context_takeover; client_max_window_bits=10".
std::string deflate_response(const DeflateParams& params);

}  // namespace lesto::ws
