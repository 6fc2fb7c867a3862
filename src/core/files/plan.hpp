// plan.hpp: how to answer one GET or HEAD of a file: status, byte range and validator fields.
#pragma once

#include "files/conditional.hpp"
#include "files/range.hpp"
#include "files/validators.hpp"
#include "parser/request.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace lesto::http {

/// The answer to one request for a file that exists and was opened. The
/// engine writes the head with `status`, the plan's `headers()` and its
/// own (Content-Type, Date, Connection...), Content-Length `length`, then
/// sends bytes [offset, offset + length) of the file, or nothing for HEAD.
///
/// | status | when | headers | length |
/// |---|---|---|---|
/// | 200 | no usable Range, or If-Range failed | ETag, Last-Modified, Accept-Ranges | size |
/// | 206 | one satisfiable range (GET only) | ETag, Last-Modified, Accept-Ranges, Content-Range |
/// the range's | | 304 | If-None-Match / If-Modified-Since say the client has it | ETag | 0 | | 412
/// | If-Match / If-Unmodified-Since failed | - | 0 | | 416 | a valid range past the end (GET only)
/// | Content-Range: bytes */size | 0 | | 405 | a method other than GET and HEAD | Allow: GET, HEAD
/// | 0 |
///
/// For HEAD, `length` is still what GET would send (Content-Length of a
/// HEAD answer is the GET's): the engine drops the body. Range is only
/// defined for GET (RFC 9110 14.2), so HEAD with Range answers 200. A 304
/// carries the ETag and no other representation field (RFC 9110 15.4.5
/// says SHOULD NOT, and the ETag makes Last-Modified redundant there).
/// The engine adds a short body of its own to 405, 412 and 416 if it
/// wants one; `length` 0 means no file bytes.
class FilePlan {
public:
    /// Most fields a plan adds.
    static constexpr std::size_t max_headers = 4;

    /// The fields, views into the plan. Keep this object while its span is
    /// used: `view()` of a temporary does not compile (the span would
    /// dangle at the end of the statement); `for (auto& h : plan.headers())`
    /// is fine.
    struct Headers {
        std::array<Header, max_headers> items;
        std::size_t count = 0;
        std::span<const Header> view() const& noexcept { return {items.data(), count}; }
        std::span<const Header> view() const&& = delete;
        const Header* begin() const noexcept { return items.data(); }
        const Header* end() const noexcept { return items.data() + count; }
    };

    int status = 200;
    std::uint64_t offset = 0;  ///< first byte of the file to send
    std::uint64_t length = 0;  ///< Content-Length, and bytes of the file to send (not for HEAD)

    /// The fields to add, in order, as views into this plan: keep the plan
    /// alive (and in place) while the views are used.
    Headers headers() const noexcept;

private:
    FilePlan(const FileFacts& file, std::int64_t now) noexcept : validators_(file, now) {}
    friend FilePlan plan_file_response(std::string_view method, const Conditions& conditions,
                                       const FileFacts& file, std::int64_t now) noexcept;

    Validators validators_;
    char content_range_[content_range_capacity] = {};
    std::size_t content_range_size_ = 0;
};

/// The plan for `method` with the request's conditional and range fields,
/// for `file` (from fstat of the opened file), at `now` (seconds since the
/// epoch: it caps Last-Modified and reads two-digit years). The order is
/// RFC 9110 13.2.2: method (405 before any condition: a request that would
/// not succeed without them ignores them, 13.2.1), If-Match,
/// If-Unmodified-Since, If-None-Match, If-Modified-Since, then If-Range
/// and Range. Methods are case-sensitive: "get" is not GET.
FilePlan plan_file_response(std::string_view method, const Conditions& conditions,
                            const FileFacts& file, std::int64_t now) noexcept;

/// The same, reading the method and the fields of a parsed request.
inline FilePlan plan_file_response(const RequestHead& head, const FileFacts& file,
                                   std::int64_t now) noexcept {
    return plan_file_response(head.method, read_conditions(head.headers), file, now);
}

/// The value of the Allow field of a 405 from a file route.
inline constexpr std::string_view file_methods = "GET, HEAD";

}  // namespace lesto::http
