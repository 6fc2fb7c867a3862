// range.hpp: the Range request field (RFC 9110 section 14) against one representation's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lesto::http {

/// What a Range field asks of a representation.
enum class RangeKind : std::uint8_t {
    /// Answer 200 with the whole representation: no field, a field that is
    /// not a valid ranges-specifier, a unit other than "bytes", an invalid
    /// range-spec (last-pos before first-pos), or more than one range.
    ignore,
    /// Answer 206 with bytes [offset, offset + length).
    satisfiable,
    /// Answer 416 with `Content-Range: bytes */<size>`.
    unsatisfiable,
};

/// The outcome of `parse_range`: offset and length are set only when
/// satisfiable, and then offset < size, 1 <= length <= size - offset.
struct RangeResult {
    RangeKind kind = RangeKind::ignore;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    bool operator==(const RangeResult&) const = default;
};

/// Reads the value of a Range field (OWS already trimmed) for a
/// representation of `size` bytes:
///
///     bytes=0-499     the first 500 bytes
///     bytes=500-      from byte 500 to the end
///     bytes=-500      the last 500 bytes
///
/// A last-pos past the end is clamped to size - 1; a first-pos at or past
/// the end, a suffix of 0 (`bytes=-0`) and any range of an empty
/// representation are unsatisfiable. Numbers may have leading zeros and
/// any number of digits: a number too large for 64 bits is compared by its
/// digits, never wrapped (a huge first-pos is past the end, a huge
/// last-pos or suffix reaches the end). The unit is case-insensitive;
/// OWS is allowed around each list element and empty elements are skipped
/// (RFC 9110 5.6.1.2), but not inside a range-spec or around '='.
///
/// More than one range is answered with the whole representation (200)
/// rather than multipart/byteranges: RFC 9110 14.2 lets a server ignore
/// Range, clients that send several ranges take a 200, and it takes away
/// the cost of a many-part answer (and its overlapping-ranges abuse) at
/// the price of a few extra bytes for the rare client that asks so.
RangeResult parse_range(std::string_view value, std::uint64_t size) noexcept;

/// Room for the longest Content-Range value: "bytes " and three 20-digit
/// numbers with '-' and '/'.
inline constexpr std::size_t content_range_capacity = 6 + 20 + 1 + 20 + 1 + 20;

/// Writes "bytes <first>-<last>/<size>" for a satisfiable range into `out`
/// (at least content_range_capacity bytes); returns the length written.
std::size_t format_content_range(const RangeResult& range, std::uint64_t size, char* out) noexcept;

/// Writes "bytes */<size>", the Content-Range of a 416, into `out`.
std::size_t format_unsatisfied_range(std::uint64_t size, char* out) noexcept;

/// Writes `v` in decimal; returns the number of digits (at most 20).
std::size_t format_decimal(std::uint64_t v, char* out) noexcept;

}  // namespace lesto::http
