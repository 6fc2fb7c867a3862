// chunked.hpp: a decoder for the chunked transfer coding that works across reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "parser/limits.hpp"
#include "parser/parser.hpp"

namespace lesto::http {

/// Decodes `chunked` bodies (RFC 9112 section 7.1) fed in arbitrary pieces.
/// Decoded bytes are appended to the caller's string; trailers are checked
/// and bounded, then dropped.
class ChunkedDecoder {
public:
    explicit ChunkedDecoder(const Limits& limits) noexcept : limits_(&limits) {}

    /// Consume as much of `in` as possible. complete: `consumed` bytes ended
    /// the body (the rest of `in` belongs to the next request); incomplete:
    /// all of `in` was consumed and more is needed; error: refuse the request.
    ParseResult feed(std::string_view in, std::string& body);
    void reset() noexcept;
    /// Bound the bodies decoded from now on by `limits` instead (which must outlive this).
    void use_limits(const Limits& limits) noexcept { limits_ = &limits; }

private:
    enum class State : std::uint8_t;
    ParseResult fail(ParseError e, std::size_t at) noexcept;

    const Limits* limits_;
    State state_{};
    std::uint64_t remaining_ = 0;  // bytes left in the current chunk
    std::size_t line_bytes_ = 0;   // length of the current size line
    std::size_t trailer_bytes_ = 0;
    std::uint64_t decoded_ = 0;  // body bytes produced so far, against max_body_bytes
    ParseError error_;           // repeated if feed is called again after an error
};

}  // namespace lesto::http
