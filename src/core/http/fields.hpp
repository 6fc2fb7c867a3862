// fields.hpp: whole tokens and field values checked by chars.hpp's rules, fast, and where they
// break.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "http/chars.hpp"

namespace lesto::http {

namespace chars_detail {

/// True when every byte of `s` has `bit`. Four bytes are ANDed together and
/// tested at once: refusals are rare, and a branch per byte cost more than
/// the lookups.
inline bool all_have(std::string_view s, std::uint8_t bit) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const unsigned all =
            char_table[p[i]] & char_table[p[i + 1]] & char_table[p[i + 2]] & char_table[p[i + 3]];
        if (!(all & bit)) return false;
    }
    // The last 0 to 3 bytes, with no loop for the vectorizer to blow up.
    unsigned all = bit;
    switch (n - i) {
    case 3:
        all &= char_table[p[i + 2]];
        [[fallthrough]];
    case 2:
        all &= char_table[p[i + 1]];
        [[fallthrough]];
    case 1:
        all &= char_table[p[i]];
        break;
    default:
        break;
    }
    return (all & bit) != 0;
}

constexpr std::uint64_t word_ones = 0x0101010101010101;

/// True when some byte of the word is below 0x20 or is DEL: every byte a
/// field value may not hold (and HTAB), so a word without one needs no lookup.
constexpr bool word_may_have_control(std::uint64_t x) noexcept {
    constexpr std::uint64_t highs = word_ones * 0x80;
    const std::uint64_t below_space = (x - word_ones * 0x20) & ~x & highs;
    const std::uint64_t del = x ^ (word_ones * 0x7f);
    return (below_space | ((del - word_ones) & ~del & highs)) != 0;
}

constexpr bool word_test_covers_every_refused_byte() {
    for (int c = 0; c < 256; ++c) {
        const bool refused = !(char_table[static_cast<std::size_t>(c)] & field_char_bit);
        if (word_may_have_control(word_ones * static_cast<std::uint64_t>(c)) !=
            (refused || c == '\t'))
            return false;
    }
    return true;
}
static_assert(word_test_covers_every_refused_byte());

inline std::uint64_t load_word(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint64_t load_half(const char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace chars_detail

/// RFC 9110 5.6.2 token: one or more tchars.
inline bool is_token(std::string_view s) noexcept {
    return !s.empty() && chars_detail::all_have(s, chars_detail::tchar_bit);
}

/// Every byte of `s` is a field char (an empty value is one).
// Eight bytes at a time: every response may check its Content-Type, and a
// large value should not cost a lookup per byte. Short values are read as
// two overlapping words, which covers every byte.
inline bool is_field_value(std::string_view s) noexcept {
    using namespace chars_detail;
    const std::size_t n = s.size();
    const char* p = s.data();
    bool suspect;
    if (n >= 8) {
        suspect = word_may_have_control(load_word(p + n - 8));
        for (std::size_t i = 0; !suspect && i + 8 <= n; i += 8) {
            suspect = word_may_have_control(load_word(p + i));
        }
    } else if (n >= 4) {
        suspect = word_may_have_control(load_half(p) | (load_half(p + n - 4) << 32));
    } else {
        return all_have(s, field_char_bit);
    }
    return !suspect || all_have(s, field_char_bit);
}

/// A field value, or a list element, without the OWS around it.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// Calls f on each comma-separated element of a list field value (RFC 9110
/// 5.6.1), trimmed of OWS; empty ones included: each field decides what an
/// empty element means. Stops early when f returns false. Only for lists
/// whose elements hold no comma themselves (not entity-tags, not quoted
/// strings).
template <class F> constexpr void each_element(std::string_view list, F&& f) {
    for (;;) {
        // A loop, not find(): most lists are one short element, which a
        // call to memchr would cost more than it scans.
        std::size_t comma = 0;
        while (comma != list.size() && list[comma] != ',') ++comma;
        if (comma == list.size()) comma = std::string_view::npos;
        if (!f(trim_ows(list.substr(0, comma)))) return;
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

/// An ASCII letter in lower case; any other byte as it is.
constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

/// Whether `s` equals `lower` (lower-case ASCII) ignoring the case of
/// ASCII letters: field names and tokens such as range units compare so
/// (RFC 9110 5.1, 14.1). Bytes outside A-Z are compared as they are.
constexpr bool equals_ignoring_case(std::string_view s, std::string_view lower) noexcept {
    if (s.size() != lower.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (ascii_lower(s[i]) != lower[i]) return false;
    }
    return true;
}

/// Where `s` breaks a rule: the first byte that is not a tchar, or not a
/// field char; npos when there is none. For messages, not hot paths.
constexpr std::size_t find_non_tchar(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!is_tchar(s[i])) return i;
    return std::string_view::npos;
}

constexpr std::size_t find_non_field_char(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!is_field_char(s[i])) return i;
    return std::string_view::npos;
}

namespace chars_detail {

constexpr bool is_symbol(int c) noexcept {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    return !alnum && is_tchar(static_cast<char>(c));
}

constexpr std::size_t symbol_count = [] {
    std::size_t n = 0;
    for (int c = 0; c < 256; ++c) n += is_symbol(c) ? 1 : 0;
    return n;
}();

constexpr std::array<char, symbol_count> symbols = [] {
    std::array<char, symbol_count> a{};
    std::size_t n = 0;
    for (int c = 0; c < 256; ++c)
        if (is_symbol(c)) a[n++] = static_cast<char>(c);
    return a;
}();

}  // namespace chars_detail

/// The tchars that are neither letters nor digits, in byte order
/// ("!#$%&'*+-.^_`|~"), for messages that say what a token may hold.
constexpr std::string_view token_symbols() noexcept {
    return {chars_detail::symbols.data(), chars_detail::symbols.size()};
}

/// `s` in single quotes for a message, control bytes escaped (\r, \n, \t,
/// \xNN): a NUL would cut a C string short and a CR or LF would forge
/// lines in a log.
std::string quoted(std::string_view s);

}  // namespace lesto::http
