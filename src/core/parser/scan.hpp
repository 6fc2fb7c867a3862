// scan.hpp: byte-class scanners for the HTTP parser, in scalar, SSE2 and AVX2 versions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "http/chars.hpp"

namespace lesto::http::scan {

/// Returns the first byte in [p, end) that belongs to the scanner's class, or
/// `end` when there is none. Never reads outside [p, end).
using Finder = const char* (*)(const char* p, const char* end) noexcept;

/// One implementation of every scanner the parser uses.
struct Scanners {
    /// First CTL other than HTAB (bytes < 0x20, or 0x7f): ends a field value
    /// at its CR, or finds a forbidden byte in it.
    Finder ctl;
    /// First byte <= 0x20 or 0x7f: ends the version.
    Finder ctl_or_space;
    /// First byte that is not an RFC 9110 tchar: ends a method or field name.
    Finder non_tchar;
    /// First byte <= 0x20, 0x7f, '?' or '#': ends the request-target, or
    /// marks its query or a fragment on the way.
    Finder target;
    const char* name;
};

/// Always available.
const Scanners& scalar() noexcept;
/// nullptr when this build or this CPU lacks the instruction set, so tests
/// can call each version directly and compare them.
const Scanners* sse2() noexcept;
const Scanners* avx2() noexcept;
/// The fastest version this CPU runs, chosen once.
const Scanners& best() noexcept;

/// Bits of `byte_classes`: a byte has the bit when it may go on in a span of
/// that class, so a scalar loop costs one table load per byte whatever the class.
enum ByteClass : std::uint8_t {
    tchar_class = 1,      ///< RFC 9110 tchar
    value_class = 2,      ///< not a CTL other than HTAB
    visible_class = 4,    ///< not a CTL or SP
    target_class = 8,     ///< visible, and neither '?' nor '#'
    name_fast_class = 16  ///< a letter or '-': what nearly every field name is made of
};

namespace detail {

// Built at compile time from http/chars.hpp's rules, so the scalar loops, the
// inline first blocks and the SIMD lookup tables share one definition of each
// class. Only name_fast_class (a shortcut, not a rule) is this file's own.
constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        std::uint8_t bits = 0;
        if (http::is_tchar(ch)) bits |= tchar_class;
        if (http::is_field_char(ch)) bits |= value_class;
        if (http::is_field_vchar(ch)) bits |= visible_class;
        if (http::is_field_vchar(ch) && ch != '?' && ch != '#') bits |= target_class;
        if (letter || ch == '-') bits |= name_fast_class;
        t[static_cast<std::size_t>(c)] = bits;
    }
    return t;
}

}  // namespace detail

inline constexpr std::array<std::uint8_t, 256> byte_classes = detail::make_classes();

constexpr bool has_class(char c, std::uint8_t bits) noexcept {
    return (byte_classes[static_cast<unsigned char>(c)] & bits) != 0;
}

using http::is_tchar;

/// A byte that ends a field value: a CTL other than HTAB.
constexpr bool is_ctl(char c) noexcept { return !http::is_field_char(c); }

/// A byte that ends the version: a CTL or SP.
constexpr bool is_ctl_or_space(char c) noexcept { return !http::is_field_vchar(c); }

constexpr bool ends_target(char c) noexcept { return !has_class(c, target_class); }

}  // namespace lesto::http::scan
