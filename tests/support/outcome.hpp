// outcome.hpp: how parsing a request or decoding a body ended, as replay.hpp and decode.hpp record
// it.
#pragma once

#include "parser/parser.hpp"

#include <string>

namespace lesto::test {

/// Complete, incomplete, or an error with its status and reason.
struct Outcome {
    http::ParseStatus status = http::ParseStatus::incomplete;
    int code = 0;  ///< the error status
    std::string reason;

    bool operator==(const Outcome&) const = default;
};

}  // namespace lesto::test
