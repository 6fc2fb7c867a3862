// scan.hpp: byte-class scanners for the HTTP parser, in scalar, SSE2 and AVX2 versions.
#pragma once

#include <array>
#include <cstddef>

namespace lesto::http::scan {

/// Returns the first byte in [p, end) that belongs to the scanner's class, or
/// `end` when there is none. Never reads outside [p, end).
using Finder = const char* (*)(const char* p, const char* end) noexcept;

/// One implementation of every scanner the parser uses.
struct Scanners {
    /// First CTL other than HTAB (bytes < 0x20, or 0x7f): ends a field value
    /// at its CR, or finds a forbidden byte in it.
    Finder ctl;
    /// First byte <= 0x20 or 0x7f: ends the request-target and the version.
    Finder ctl_or_space;
    /// First byte that is not an RFC 9110 tchar: ends a method or field name.
    Finder non_tchar;
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

namespace detail {

// Built at compile time so the scalar loops and the SIMD lookup tables share
// one definition of each class.
constexpr std::array<bool, 256> make_tchar() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (char c : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'})
        t[static_cast<unsigned char>(c)] = true;
    return t;
}

} // namespace detail

inline constexpr std::array<bool, 256> tchar_table = detail::make_tchar();

constexpr bool is_tchar(char c) noexcept {
    return tchar_table[static_cast<unsigned char>(c)];
}

constexpr bool is_ctl(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
}

constexpr bool is_ctl_or_space(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
}

} // namespace lesto::http::scan
