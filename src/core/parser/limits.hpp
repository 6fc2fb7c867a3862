// limits.hpp: every size bound of the HTTP engine, in one struct passed by reference.
#pragma once

#include <cstddef>

namespace lesto::http {

/// Size bounds for one server. Defaults follow nginx/h2o (8 KiB request line,
/// 100 headers) and are safe for a server that faces the internet.
struct Limits {
    /// Longest request line (method, target, version); longer answers 414.
    std::size_t max_request_line = 8 * 1024;
    /// Longest header section including the request line; longer answers 431.
    std::size_t max_header_bytes = 64 * 1024;
    /// Most header fields in one request; more answers 431.
    std::size_t max_header_count = 100;
    /// Largest body, by Content-Length or decoded chunked; larger answers 413.
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    /// Longest chunk-size line including extensions; longer answers 400.
    std::size_t max_chunk_line = 4 * 1024;
    /// Largest trailer section of a chunked body; larger answers 431.
    std::size_t max_trailer_bytes = 16 * 1024;
    /// Requests parsed but not yet answered on one connection; reading pauses
    /// at this many (backpressure instead of an unbounded queue).
    std::size_t max_in_flight = 128;
    /// Response bytes buffered for one connection before reading pauses.
    std::size_t max_output_buffer = 1024 * 1024;
};

}  // namespace lesto::http
