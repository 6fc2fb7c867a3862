// status.hpp: which status codes a response may have, and their reason phrases.
#pragma once

#include <string_view>

namespace lesto::http {

/// RFC 9110 15: a status code is three digits, 100 to 599.
inline constexpr int first_status = 100;
inline constexpr int last_status = 599;

constexpr bool is_valid_status(int status) noexcept {
    return status >= first_status && status <= last_status;
}

/// The registered reason phrase (RFC 9110 and the IANA registry), or a generic
/// one for the class ("Unknown Client Error") when the code is unregistered.
/// Empty for codes outside 100..599.
std::string_view reason_phrase(int status) noexcept;

}  // namespace lesto::http
