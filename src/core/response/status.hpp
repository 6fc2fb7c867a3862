// status.hpp: reason phrases for every status code 100..599.
#pragma once

#include <string_view>

namespace lesto::http {

/// The registered reason phrase (RFC 9110 and the IANA registry), or a generic
/// one for the class ("Unknown Client Error") when the code is unregistered.
/// Empty for codes outside 100..599.
std::string_view reason_phrase(int status) noexcept;

}  // namespace lesto::http
