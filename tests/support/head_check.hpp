// head_check.hpp: an accepted request head checked against the bytes it came from, by a reading
// of the grammar independent of the parser's.
#pragma once

#include "parser/parser.hpp"
#include "support/check.hpp"

#include <string_view>

namespace lesto::test {

/// Every view of `h` points into `data`, whatever the parse returned.
void check_views(const http::RequestHead& h, std::string_view data, Broken broken);

/// A parse error: one of the statuses the parser may answer, with a reason.
void check_error(int code, std::string_view reason, Broken broken);

/// Re-reads the accepted head `data[0, h.head_size)` line by line and checks
/// every field the parser reported, and the limits it must have enforced.
void check_head(const http::RequestHead& h, std::string_view data, const http::Limits& limits,
                Broken broken);

}  // namespace lesto::test
