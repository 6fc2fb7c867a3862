// chars.hpp: HTTP's character rules (RFC 9110 5.5, 5.6.2): what a token and a field value may hold.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

// Every user of a rule calls these: the parser's scan tables and SIMD masks,
// and through http/fields.hpp the router's method check, the writer and the
// binding's checks of a Response, are all derived from the definitions in
// make_char_table. Whole strings are checked in fields.hpp, apart: the
// parser needs only the bytes, and with those functions in this header GCC
// stopped inlining valid_host_field into RequestParser::parse (+15
// instructions a wrk request, bench/micro.sh parser) though it calls none.

namespace lesto::http {

/// RFC 9110 5.6.2: the visible US-ASCII characters a token may not hold.
inline constexpr std::string_view token_delimiters = "\"(),/:;<=>?@[\\]{}";

namespace chars_detail {

enum : std::uint8_t { tchar_bit = 1, field_vchar_bit = 2, field_char_bit = 4 };

constexpr std::array<std::uint8_t, 256> make_char_table() {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
        const bool vchar = c >= 0x21 && c <= 0x7e;  // RFC 5234 VCHAR
        const bool obs_text = c >= 0x80;
        // The definitions: a tchar is a VCHAR that is no delimiter; a field
        // value holds VCHAR, obs-text, SP and HTAB. Every other control byte
        // is refused, not only CR, LF and NUL: some peers take a bare CR or
        // VT for a line break and would see a field that was never sent.
        const bool tchar =
            vchar && token_delimiters.find(static_cast<char>(c)) == std::string_view::npos;
        const bool field_vchar = vchar || obs_text;
        const bool field_char = field_vchar || c == ' ' || c == '\t';
        t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(
            (tchar ? tchar_bit : 0) | (field_vchar ? field_vchar_bit : 0) |
            (field_char ? field_char_bit : 0));
    }
    return t;
}

inline constexpr std::array<std::uint8_t, 256> char_table = make_char_table();

constexpr std::uint8_t bits_of(char c) noexcept {
    return char_table[static_cast<unsigned char>(c)];
}

}  // namespace chars_detail

/// RFC 9110 5.6.2 tchar.
constexpr bool is_tchar(char c) noexcept {
    return (chars_detail::bits_of(c) & chars_detail::tchar_bit) != 0;
}

/// RFC 9110 5.5 field-vchar: VCHAR or obs-text (0x80-0xff).
constexpr bool is_field_vchar(char c) noexcept {
    return (chars_detail::bits_of(c) & chars_detail::field_vchar_bit) != 0;
}

/// A byte a field value may hold: field-vchar, SP or HTAB.
constexpr bool is_field_char(char c) noexcept {
    return (chars_detail::bits_of(c) & chars_detail::field_char_bit) != 0;
}

/// Optional whitespace (RFC 9110 5.6.3): SP or HTAB.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// RFC 5234 CTL: below 0x20, or DEL. Shown escaped in messages.
constexpr bool is_ctl(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

}  // namespace lesto::http
