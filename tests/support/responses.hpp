// responses.hpp: the bytes a client received, read back as responses.
#pragma once

#include "support/check.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lesto::test {

/// One response as the writer spells it: "HTTP/1.1 NNN reason", field lines
/// "Name: value", then Content-Length bytes of body.
struct Response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// read_responses_until_close only: the body stopped before its framing's
    /// end, or had no framing and ran to the end of the bytes.
    bool cut = false;

    /// The value of the first field `name` (exact case), or "" when there is none.
    std::string_view field(std::string_view name) const noexcept;
    /// Whether some field `name` is exactly `value`.
    bool says(std::string_view name, std::string_view value) const noexcept;
};

/// The responses in `out`, in order; a 100 Continue is one too, with status
/// 100. Reported to `broken`: bytes that are not a response, a head without
/// its end, a final response without Content-Length, a body cut short.
std::vector<Response> read_responses(std::string_view out, Broken broken);

/// As read_responses, for bytes after which the connection closed: the last
/// response's body may stop short of its framing (a response cut off) or have
/// no framing and run to the end (HTTP/1.0's close); `cut` then says so.
std::vector<Response> read_responses_until_close(std::string_view out, Broken broken);

}  // namespace lesto::test
