// grammar.hpp: HTTP's character classes and lists read plainly from RFC 9110, as the reference the
// parser and the writer are checked against.
//
// Written apart from src/core's tables on purpose: a check that called the
// code under test would agree with any mistake in it.
#pragma once

#include <string_view>
#include <vector>

namespace lesto::test {

/// tchar: a byte of a token (method, field name, coding, extension name).
inline bool tchar(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// A byte a field value may hold: HTAB, SP, VCHAR, obs-text; every byte but
/// the other controls and DEL. A quoted-string holds the same bytes.
inline bool field_byte(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

/// SP or HTAB: what OWS and BWS are made of.
inline bool blank(char c) noexcept { return c == ' ' || c == '\t'; }

/// The value of a hex digit, or -1.
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// 1*tchar.
bool token(std::string_view s) noexcept;

/// Every byte a field_byte.
bool field_value(std::string_view s) noexcept;

/// ASCII case-insensitive equality, as names and tokens compare.
bool ieq(std::string_view a, std::string_view b) noexcept;

/// `s` without the OWS around it.
std::string_view trim(std::string_view s) noexcept;

/// `s` cut at every `sep`, empty pieces kept (one piece when there is none).
std::vector<std::string_view> split(std::string_view s, char sep);

/// The elements of a comma-separated list, each trimmed, empty ones kept.
std::vector<std::string_view> elements(std::string_view v);

}  // namespace lesto::test
