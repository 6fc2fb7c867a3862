// checks.hpp: what a response may hold, in words: why the writer refuses a spec, and the rules
// behind it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "response/writer.hpp"

namespace lesto::http {

/// Content-Length or Transfer-Encoding, in any case: the writer frames the
/// body itself, so a response's own headers may not name them.
bool is_framing_field(std::string_view name) noexcept;
/// Content-Length, in any case.
bool is_content_length(std::string_view name) noexcept;
/// The length a streamed response declares in its Content-Length `value`:
/// 1 to 18 digits and nothing else (no sign, no list), as a request's is read.
bool declared_length(std::string_view value, std::uint64_t& out) noexcept;

/// The rules in words, for messages that say what to fix.
inline constexpr std::string_view field_value_rule =
    "a field value holds tab, space, visible ASCII and bytes 0x80-0xff (obs-text), "
    "no other control character";
/// "a token holds letters, digits and !#$%&'*+-.^_`|~" (from the definition).
std::string token_rule();

/// Why `write_response` refuses `spec`, as one line naming the part (status,
/// Content-Type, charset, a header's name or value, a Set-Cookie value) and
/// the first byte at fault with its position; empty when it accepts it. The
/// writer's checks in the writer's order, for the rare refusal that is
/// logged: the writer itself only says bad_status or bad_header.
std::string refusal_reason(const ResponseSpec& spec);

}  // namespace lesto::http
