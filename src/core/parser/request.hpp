// request.hpp: the parsed request head, as views into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace lesto::http {

struct Header {
    std::string_view name;
    std::string_view value;
};

/// How the body of a request is framed (RFC 9112 section 6).
enum class BodyKind : std::uint8_t { none, content_length, chunked };

/// A parsed request head. Every view points into the buffer given to the
/// parser; `rebase` moves them when that buffer moves or is copied.
struct RequestHead {
    std::string_view method;
    std::string_view target;  ///< request-target as sent
    std::string_view
        path;  ///< target up to '?' (origin-form) or the path of an absolute-form target
    std::string_view query;  ///< after '?', empty when none
    bool has_query = false;  ///< a '?' was present (query may still be empty)
    std::string_view host;   ///< authority of an absolute-form target, else the Host header value
    std::uint8_t version_minor = 1;  ///< HTTP/1.<minor>; major is always 1
    std::vector<Header> headers;     ///< in order received; capacity reserved once

    BodyKind body_kind = BodyKind::none;
    std::uint64_t content_length = 0;  ///< when body_kind == content_length
    bool keep_alive = true;            ///< after version defaults and Connection
    bool expect_continue = false;      ///< Expect: 100-continue on HTTP/1.1
    std::size_t head_size = 0;         ///< bytes of request line + headers + blank line

    /// Inline, as the parser calls it for every request. Keeps the capacity of `headers`.
    void clear() noexcept {
        method = target = path = query = host = {};
        has_query = false;
        version_minor = 1;
        headers.clear();
        body_kind = BodyKind::none;
        content_length = 0;
        keep_alive = true;
        expect_continue = false;
        head_size = 0;
    }
    /// Re-point every view from [old_base, ...) to the same offsets at new_base.
    void rebase(const char* old_base, const char* new_base) noexcept;
    bool is_head() const noexcept { return method == "HEAD"; }
};

}  // namespace lesto::http
