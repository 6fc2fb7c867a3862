// replay.hpp: a wire parsed as a socket would deliver it: heads by RequestParser, bodies framed by
// Content-Length or ChunkedDecoder, every step checked.
#pragma once

#include "parser/chunked.hpp"
#include "parser/parser.hpp"
#include "parser/scan.hpp"
#include "support/check.hpp"
#include "support/outcome.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lesto::test {

/// One request as parsed, copied out of the buffer (which is replaced at
/// every step). Two replays of the same wire must give equal ones, however
/// the wire was split.
struct Request : Outcome {
    std::string method, target, path, query, host;
    bool has_query = false, host_set = false, query_set = false;
    int version_minor = -1;
    std::vector<std::pair<std::string, std::string>> headers;
    http::BodyKind body_kind = http::BodyKind::none;
    std::uint64_t content_length = 0;
    bool keep_alive = false, expect_continue = false;
    std::size_t head_size = 0;
    std::string body;          ///< decoded; for an unfinished chunked body, what was decoded so far
    std::size_t consumed = 0;  ///< head and body, when complete

    bool operator==(const Request&) const = default;
};

/// Every field, for a message.
std::string show(const Request& r);

/// The fields of a parsed head (the body and the outcome left empty).
Request take(const http::RequestHead& h);

struct ReplayOptions {
    /// Requests parsed back to back at most; 1 parses only the first.
    std::size_t max_requests = 1;
    const http::scan::Scanners* scanners = &http::scan::best();
};

/// Feeds `wire` as a receive buffer growing to each of `ends` (a split of
/// splits.hpp), parsing requests one after another, and returns them in
/// order: complete ones, then the one that failed or did not finish, with
/// what every split agrees on (the head, once complete, and the chunked
/// bytes decoded so far).
///
/// Up to 4 KiB of wire is a fresh exact-size copy at every step, so that a
/// stale view or a read past the end trips AddressSanitizer; a larger wire
/// grows in place, which keeps one byte at a time linear.
///
/// Checked at every step, reported to `broken`: the views of the head lie in
/// the buffer, nothing is consumed past it, errors have a status of the
/// parser's and a reason, and repeat, as completion does; every accepted head
/// reads back as head_check.hpp says; the chunked decoder decodes no more than
/// it was fed, nor more than max_body_bytes, and an incomplete feed uses all
/// of it. When every step brings one byte (bytewise_ends), a head or a
/// chunked body must end exactly at the step that brought its last byte.
std::vector<Request> replay(std::string_view wire, const std::vector<std::size_t>& ends,
                            const http::Limits& limits, Broken broken,
                            const ReplayOptions& options = {});

}  // namespace lesto::test
