// scan.hpp: byte-class scanners for the HTTP parser, in scalar, SSE2 and AVX2 versions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

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
    tchar_class = 1,     ///< RFC 9110 tchar
    value_class = 2,     ///< not a CTL other than HTAB
    visible_class = 4,   ///< not a CTL or SP
    target_class = 8,    ///< visible, and neither '?' nor '#'
    name_fast_class = 16 ///< a letter or '-': what nearly every field name is made of
};

namespace detail {

// Built at compile time so the scalar loops, the inline first blocks and the
// SIMD lookup tables share one definition of each class.
constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    const auto add = [&t](int c, std::uint8_t bit) { t[static_cast<std::size_t>(c)] |= bit; };
    for (int c = '0'; c <= '9'; ++c)
        add(c, tchar_class);
    for (int c = 'a'; c <= 'z'; ++c)
        add(c, tchar_class | name_fast_class);
    for (int c = 'A'; c <= 'Z'; ++c)
        add(c, tchar_class | name_fast_class);
    add('-', name_fast_class);
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
        add(static_cast<unsigned char>(c), tchar_class);
    for (int c = 0; c < 256; ++c) {
        const bool ctl = (c < 0x20 && c != '\t') || c == 0x7f;
        if (!ctl) add(c, value_class);
        if (!ctl && c > 0x20) add(c, visible_class);
        if (!ctl && c > 0x20 && c != '?' && c != '#') add(c, target_class);
    }
    return t;
}

} // namespace detail

inline constexpr std::array<std::uint8_t, 256> byte_classes = detail::make_classes();

constexpr bool has_class(char c, std::uint8_t bits) noexcept {
    return (byte_classes[static_cast<unsigned char>(c)] & bits) != 0;
}

constexpr bool is_tchar(char c) noexcept {
    return has_class(c, tchar_class);
}

constexpr bool is_ctl(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
}

constexpr bool is_ctl_or_space(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
}

constexpr bool ends_target(char c) noexcept {
    return !has_class(c, target_class);
}

} // namespace lesto::http::scan
