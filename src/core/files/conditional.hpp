// conditional.hpp: the conditional request fields (RFC 9110 section 13), in the RFC's order.
#pragma once

#include "files/validators.hpp"
#include "parser/request.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace lesto::http {

/// One field as the request sent it: the value of its first line and how
/// many lines it had.
struct FieldLines {
    std::string_view value;
    std::uint32_t count = 0;

    bool present() const noexcept { return count != 0; }
};

/// The fields a file response reads, found in one pass over the request's
/// field lines (names compared ignoring case).
struct Conditions {
    std::span<const Header> fields;  ///< all of them, for a list sent on several lines
    FieldLines if_match;
    FieldLines if_none_match;
    FieldLines if_modified_since;
    FieldLines if_unmodified_since;
    FieldLines range;
    FieldLines if_range;
};

Conditions read_conditions(std::span<const Header> fields) noexcept;

/// What the preconditions leave to do.
enum class Precondition : std::uint8_t {
    passed,               ///< go on to Range and If-Range, then answer
    not_modified,         ///< 304
    precondition_failed,  ///< 412
};

/// RFC 9110 13.2.2, steps 1-4, for a representation that exists:
///
/// 1. If-Match (strong comparison, "*" matches): false -> 412.
/// 2. Else If-Unmodified-Since: modified after the date -> 412.
/// 3. If-None-Match (weak comparison, "*" matches): a match -> 304 for
///    GET and HEAD, 412 for any other method.
/// 4. Else, for GET and HEAD, If-Modified-Since: not modified after the
///    date -> 304.
///
/// Invalid values: a date that is no HTTP-date, or a date field sent on
/// more than one line, is ignored (RFC 9110 13.1.3, 13.1.4), as are the
/// date fields when the file has no Last-Modified. A malformed If-Match
/// matches nothing (412: the request asked for a condition we cannot
/// confirm, and the client sees it), a malformed If-None-Match matches
/// nothing (the full response: a cache that sent garbage gets fresh
/// bytes, never a wrong 304). A list sent on several lines is read as the
/// lines joined: a match in any line counts, a broken line breaks it all.
Precondition evaluate_preconditions(const Conditions& c, const Validators& v, bool get_or_head,
                                    std::int64_t now) noexcept;

/// RFC 9110 13.1.5: whether the Range applies given If-Range (present): its
/// value is an entity-tag strongly equal to ours, or an HTTP-date exactly
/// equal to our Last-Modified. Anything else, including a weak tag, a
/// malformed value or several lines, means the whole representation.
bool if_range_holds(const Conditions& c, const Validators& v, std::int64_t now) noexcept;

}  // namespace lesto::http
