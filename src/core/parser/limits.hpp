// limits.hpp: the size bounds of a request, in one struct passed by reference, and their names.
#pragma once

#include <cstddef>
#include <iterator>
#include <string_view>

namespace lesto::http {

/// Size bounds of the parser and the chunked decoder. Defaults follow
/// nginx/h2o (8 KiB request line, 100 headers) and are safe for a server
/// that faces the internet. What each member bounds: `limit_fields`.
struct Limits {
    std::size_t max_request_line = std::size_t{8} * 1024;
    std::size_t max_header_bytes = std::size_t{64} * 1024;
    std::size_t max_header_count = 100;
    std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
    std::size_t max_chunk_line = std::size_t{4} * 1024;
    std::size_t max_trailer_bytes = std::size_t{16} * 1024;
};

/// A member of Limits as configuration names it.
struct LimitField {
    std::string_view name;
    std::size_t Limits::*member;
    std::string_view doc;
};

/// Every member of Limits, each described once: the binding takes the names
/// of `Application(limits=...)` and their help from here.
inline constexpr LimitField limit_fields[] = {
    {"max_request_line", &Limits::max_request_line,
     "longest request line (method, target, version); longer answers 414"},
    {"max_header_bytes", &Limits::max_header_bytes,
     "longest header section, request line included; longer answers 431"},
    {"max_header_count", &Limits::max_header_count,
     "most header fields in one request; more answers 431"},
    {"max_body_bytes", &Limits::max_body_bytes,
     "largest body, by Content-Length or decoded chunked; larger answers 413"},
    {"max_chunk_line", &Limits::max_chunk_line,
     "longest chunk-size line, extensions included; longer answers 400"},
    {"max_trailer_bytes", &Limits::max_trailer_bytes,
     "largest trailer section of a chunked body; larger answers 431"},
};
// One entry for each member: as many entries as members, none twice.
static_assert(sizeof(Limits) == std::size(limit_fields) * sizeof(std::size_t),
              "every member of Limits needs its entry in limit_fields");
static_assert([] {
    for (std::size_t i = 0; i < std::size(limit_fields); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (limit_fields[i].member == limit_fields[j].member) return false;
    return true;
}());

}  // namespace lesto::http
