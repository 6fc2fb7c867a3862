// limits.hpp: the bounds of one connection: its requests' limits and its backpressure thresholds.
#pragma once

#include "parser/limits.hpp"

#include <array>
#include <cstddef>
#include <iterator>
#include <string_view>

namespace lesto {

/// What a Connection is given: the parser's limits for each request, and
/// when reading pauses (backpressure instead of an unbounded queue). What
/// each member bounds: `connection_limit_fields`.
struct ConnectionLimits : http::Limits {
    std::size_t max_in_flight = 128;
    std::size_t max_output_buffer = std::size_t{1024} * 1024;
    std::size_t max_stream_buffer = std::size_t{64} * 1024;
    std::size_t max_stream_body_bytes = std::size_t{1} << 30;
    std::size_t max_websocket_message = std::size_t{16} << 20;
};

/// A member of ConnectionLimits as configuration names it.
struct ConnectionLimitField {
    std::string_view name;
    std::size_t ConnectionLimits::*member;
    std::string_view doc;
};

namespace detail {
inline constexpr ConnectionLimitField own_limit_fields[] = {
    {"max_in_flight", &ConnectionLimits::max_in_flight,
     "requests parsed but not yet answered on one connection; reading pauses at this many"},
    {"max_output_buffer", &ConnectionLimits::max_output_buffer,
     "response bytes waiting to be sent on one connection; reading pauses at this many"},
    {"max_stream_buffer", &ConnectionLimits::max_stream_buffer,
     "bytes of a streamed response waiting to be sent; its producer waits at this many"},
    {"max_stream_body_bytes", &ConnectionLimits::max_stream_body_bytes,
     "largest request body a route that streams its body reads (stream_body=True); larger "
     "answers 413"},
    {"max_websocket_message", &ConnectionLimits::max_websocket_message,
     "largest WebSocket message (and frame) taken, after decompression; larger closes with "
     "1009"},
};
}  // namespace detail

/// Every member of ConnectionLimits, each described once: those of
/// http::Limits (http::limit_fields), then its own.
inline constexpr auto connection_limit_fields = [] {
    std::array<ConnectionLimitField,
               std::size(http::limit_fields) + std::size(detail::own_limit_fields)>
        all{};
    std::size_t n = 0;
    for (const http::LimitField& f : http::limit_fields) all[n++] = {f.name, f.member, f.doc};
    for (const ConnectionLimitField& f : detail::own_limit_fields) all[n++] = f;
    return all;
}();
static_assert(sizeof(ConnectionLimits) ==
                  sizeof(http::Limits) + std::size(detail::own_limit_fields) * sizeof(std::size_t),
              "every member of ConnectionLimits needs its entry in own_limit_fields");

}  // namespace lesto
