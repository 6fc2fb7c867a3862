// replay.hpp: the parser replay and the checks of every accepted head, shared by parser_fuzz and
// request_fuzz.
//
// Header-only on purpose: each fuzz target is its own binary and CMake builds
// every fuzz/*_fuzz.cpp alone, so shared code lives in headers.
#pragma once

#include "fuzz_util.hpp"
#include "parser/chunked.hpp"
#include "parser/parser.hpp"
#include "support/bytes.hpp"
#include "support/grammar.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lesto::fuzz {

using lesto::http::BodyKind;
using lesto::http::ChunkedDecoder;
using lesto::http::Limits;
using lesto::http::ParseResult;
using lesto::http::ParseStatus;
using lesto::http::RequestHead;
using lesto::http::RequestParser;
using lesto::test::blank;
using lesto::test::elements;
using lesto::test::escape;
using lesto::test::field_byte;
using lesto::test::ieq;
using lesto::test::inside;
using lesto::test::token;
using lesto::test::trim;

constexpr std::size_t max_requests = 8;

/// One request as parsed, copied out of the buffer (which is replaced at every step).
struct Request {
    ParseStatus status = ParseStatus::incomplete;
    int code = 0;
    std::string reason;
    std::string method, target, path, query, host;
    bool has_query = false, host_set = false, query_set = false;
    int version_minor = -1;
    std::vector<std::pair<std::string, std::string>> headers;
    BodyKind body_kind = BodyKind::none;
    std::uint64_t content_length = 0;
    bool keep_alive = false, expect_continue = false;
    std::size_t head_size = 0;
    std::string body;         // decoded; for an unfinished chunked body, what was decoded so far
    std::size_t consumed = 0; // head and body, when complete

    bool operator==(const Request&) const = default;
};

inline std::string show(const Request& r) {
    std::string s =
        "status=" + std::to_string(static_cast<int>(r.status)) + " code=" + std::to_string(r.code) +
        " reason='" + r.reason + "' method='" + escape(r.method) + "' target='" + escape(r.target) +
        "' path='" + escape(r.path) + "' query='" + escape(r.query) + "' host='" + escape(r.host) +
        "' v=" + std::to_string(r.version_minor) +
        " kind=" + std::to_string(static_cast<int>(r.body_kind)) +
        " cl=" + std::to_string(r.content_length) + " ka=" + std::to_string(r.keep_alive) +
        " ec=" + std::to_string(r.expect_continue) + " head=" + std::to_string(r.head_size) +
        " consumed=" + std::to_string(r.consumed) + " body='" + escape(r.body) +
        "' headers=" + std::to_string(r.headers.size());
    for (const auto& [n, v] : r.headers)
        s += " [" + escape(n) + ": " + escape(v) + "]";
    return s;
}

inline std::string show(const std::vector<Request>& rs) {
    std::string s;
    for (std::size_t i = 0; i < rs.size(); ++i)
        s += "\n  #" + std::to_string(i) + " " + show(rs[i]);
    return s;
}

// ---- an independent reading of what an accepted head must be -------------------------

/// Every view of `h` points into `data`, whatever the parse returned.
inline void check_views(const RequestHead& h, std::string_view data) {
    for (const std::string_view v : {h.method, h.target, h.path, h.query, h.host})
        FUZZ_CHECK(inside(v, data), "view '" + escape(v) + "' outside the buffer");
    for (const auto& f : h.headers) {
        FUZZ_CHECK(inside(f.name, data), "header name outside the buffer");
        FUZZ_CHECK(inside(f.value, data), "header value outside the buffer");
    }
}

inline void check_error(int code, std::string_view reason) {
    FUZZ_CHECK(code == 400 || code == 413 || code == 414 || code == 417 || code == 431 ||
                   code == 501 || code == 505,
               "status " + std::to_string(code) + " reason " + std::string(reason));
    FUZZ_CHECK(!reason.empty(), "error without a reason");
}

/// Re-reads the accepted head `data[0, head_size)` line by line and checks
/// every field the parser reported, and the limits it must have enforced.
inline void check_head(const RequestHead& h, std::string_view data, const Limits& limits) {
    const std::size_t size = h.head_size;
    FUZZ_CHECK(size <= data.size() && size >= 4, std::to_string(size));
    FUZZ_CHECK(size <= limits.max_header_bytes, std::to_string(size));
    const std::string_view head = data.substr(0, size);
    FUZZ_CHECK(head.substr(size - 4) == "\r\n\r\n", "head does not end with an empty line");
    for (std::size_t i = 0; i < size; ++i) {
        if (head[i] == '\r')
            FUZZ_CHECK(i + 1 < size && head[i + 1] == '\n',
                       "bare CR accepted at " + std::to_string(i));
        if (head[i] == '\n')
            FUZZ_CHECK(i > 0 && head[i - 1] == '\r', "bare LF accepted at " + std::to_string(i));
        FUZZ_CHECK(head[i] != '\0', "NUL accepted at " + std::to_string(i));
    }
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at < size;) {
        const std::size_t crlf = head.find("\r\n", at);
        lines.push_back(head.substr(at, crlf - at));
        at = crlf + 2;
    }
    std::size_t li = 0;
    while (li < lines.size() && lines[li].empty())
        ++li;
    FUZZ_CHECK(li < lines.size(), "no request line");
    const std::string_view line = lines[li++];
    FUZZ_CHECK(line.size() <= limits.max_request_line,
               "request line of " + std::to_string(line.size()));
    const std::size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1);
    FUZZ_CHECK(sp1 != std::string_view::npos && sp2 != std::string_view::npos &&
                   line.find(' ', sp2 + 1) == std::string_view::npos,
               "request line is not three words");
    FUZZ_CHECK(h.method == line.substr(0, sp1) && token(h.method), escape(h.method));
    FUZZ_CHECK(h.target == line.substr(sp1 + 1, sp2 - sp1 - 1), escape(h.target));
    FUZZ_CHECK(!h.target.empty() && h.target.find('#') == std::string_view::npos, escape(h.target));
    for (const char c : h.target)
        FUZZ_CHECK(field_byte(c) && !blank(c), escape(h.target));
    const std::string_view version = line.substr(sp2 + 1);
    FUZZ_CHECK(version.size() == 8 && version.substr(0, 7) == "HTTP/1." && version[7] >= '0' &&
                   version[7] <= '9',
               escape(version));
    FUZZ_CHECK(h.version_minor == (version[7] == '0' ? 0 : 1), escape(version));
    FUZZ_CHECK(h.method != "CONNECT", "CONNECT accepted");

    // Field lines, one per reported header, then the empty line.
    FUZZ_CHECK(lines.size() - li == h.headers.size() + 1 && lines.back().empty(),
               std::to_string(lines.size() - li) + " lines for " +
                   std::to_string(h.headers.size()) + " headers");
    FUZZ_CHECK(h.headers.size() <= limits.max_header_count, std::to_string(h.headers.size()));
    int hosts = 0, lengths = 0, transfers = 0, expects = 0;
    bool close = false, keep = false;
    std::string_view host_value, te_value;
    for (std::size_t i = 0; i < h.headers.size(); ++i) {
        const std::string_view l = lines[li + i];
        const std::size_t colon = l.find(':');
        FUZZ_CHECK(colon != std::string_view::npos, escape(l));
        const auto& f = h.headers[i];
        FUZZ_CHECK(f.name == l.substr(0, colon) && token(f.name), escape(l));
        FUZZ_CHECK(f.value == trim(l.substr(colon + 1)), escape(l));
        FUZZ_CHECK(f.value.data() >= l.data() + colon + 1, escape(l));
        for (const char c : f.value)
            FUZZ_CHECK(field_byte(c), "control byte in value " + escape(f.value));
        if (ieq(f.name, "host")) ++hosts, host_value = f.value;
        if (ieq(f.name, "content-length")) ++lengths;
        if (ieq(f.name, "transfer-encoding")) ++transfers, te_value = f.value;
        if (ieq(f.name, "expect")) ++expects;
        if (ieq(f.name, "connection")) {
            for (const std::string_view e : elements(f.value)) {
                close |= ieq(e, "close");
                keep |= ieq(e, "keep-alive");
            }
        }
    }

    // Target forms and the host.
    const bool absolute =
        h.target.size() > 7 && (ieq(h.target.substr(0, 7), "http://") ||
                                (h.target.size() > 8 && ieq(h.target.substr(0, 8), "https://")));
    FUZZ_CHECK(hosts <= 1, "two Host headers accepted");
    if (h.version_minor == 1) FUZZ_CHECK(hosts == 1, "HTTP/1.1 without Host accepted");
    if (h.target[0] == '/') {
        FUZZ_CHECK(h.path.find('?') == std::string_view::npos, escape(h.path));
        const std::string rebuilt =
            std::string(h.path) + (h.has_query ? "?" + std::string(h.query) : "");
        FUZZ_CHECK(rebuilt == h.target, escape(rebuilt));
        FUZZ_CHECK(h.host == host_value, escape(h.host));
    } else if (h.target == "*") {
        FUZZ_CHECK(h.method == "OPTIONS" && h.path == "*" && !h.has_query, escape(h.method));
    } else {
        FUZZ_CHECK(absolute, "target form " + escape(h.target));
        FUZZ_CHECK(!h.host.empty() && h.target.find(h.host) != std::string_view::npos,
                   escape(h.host));
        FUZZ_CHECK(!h.path.empty() && h.path[0] == '/', escape(h.path));
    }

    // Framing.
    FUZZ_CHECK(h.content_length <= limits.max_body_bytes || h.body_kind != BodyKind::content_length,
               std::to_string(h.content_length));
    if (transfers) {
        FUZZ_CHECK(transfers == 1 && lengths == 0 && h.version_minor == 1,
                   "ambiguous framing accepted");
        FUZZ_CHECK(h.body_kind == BodyKind::chunked, "Transfer-Encoding without a chunked body");
        // Any other coding is 501 and chunked twice is 400: what is accepted
        // is exactly one non-empty element, "chunked".
        int codings = 0;
        for (const std::string_view e : elements(te_value)) {
            if (e.empty()) continue;
            ++codings;
            FUZZ_CHECK(ieq(e, "chunked"), "coding accepted: " + escape(te_value));
        }
        FUZZ_CHECK(codings == 1, escape(te_value));
    } else if (lengths) {
        FUZZ_CHECK(h.body_kind == BodyKind::content_length, "Content-Length without a length body");
        for (const auto& f : h.headers) {
            if (!ieq(f.name, "content-length")) continue;
            for (const std::string_view e : elements(f.value)) {
                // Digits only, and the same value in every element and line.
                std::uint64_t v = 0;
                bool digits = !e.empty();
                for (const char ch : e) {
                    digits = digits && ch >= '0' && ch <= '9' &&
                             v <= (std::numeric_limits<std::uint64_t>::max() - 9) / 10;
                    if (digits) v = v * 10 + static_cast<std::uint64_t>(ch - '0');
                }
                FUZZ_CHECK(digits && v == h.content_length, escape(f.value));
            }
        }
    } else {
        FUZZ_CHECK(h.body_kind == BodyKind::none, "a body without framing headers");
    }

    FUZZ_CHECK(h.keep_alive == (!close && (h.version_minor == 1 || keep)), "keep_alive");
    if (h.expect_continue) FUZZ_CHECK(expects > 0 && h.version_minor == 1, "expect_continue");
}

// ---- replay ---------------------------------------------------------------------------

inline Request take(const RequestHead& h) {
    Request r;
    r.method = h.method;
    r.target = h.target;
    r.path = h.path;
    r.query = h.query;
    r.query_set = h.query.data() != nullptr;
    r.host = h.host;
    r.host_set = h.host.data() != nullptr;
    r.has_query = h.has_query;
    r.version_minor = h.version_minor;
    for (const auto& f : h.headers)
        r.headers.emplace_back(std::string(f.name), std::string(f.value));
    r.body_kind = h.body_kind;
    r.content_length = h.content_length;
    r.keep_alive = h.keep_alive;
    r.expect_continue = h.expect_continue;
    r.head_size = h.head_size;
    return r;
}

/// Feeds `wire` as a receive buffer growing to each of `ends`, parsing
/// requests one after another (only the first unless `pipelined`). With
/// `exact`, each step adds one byte, and a head or chunked body must end
/// exactly at the step that brought its last byte.
inline std::vector<Request> replay(std::string_view wire, const std::vector<std::size_t>& ends,
                                   const Limits& limits, bool pipelined, bool exact) {
    RequestParser parser(limits);
    ChunkedDecoder chunked(limits);
    RequestHead head;
    head.headers.reserve(limits.max_header_count);
    std::vector<Request> done;
    Request cur;
    bool in_body = false;
    std::size_t start = 0; // wire offset of the request being parsed
    std::size_t fed = 0;   // wire offset up to which the chunked decoder has seen the body
    for (const std::size_t end : ends) {
        const lesto::test::ExactCopy copy(wire.substr(0, end));
        const char* const buf = copy.view().data();
        for (;;) {
            if (!in_body) {
                const std::string_view data(buf + start, end - start);
                const ParseResult r = parser.parse(data, head);
                check_views(head, data);
                FUZZ_CHECK(r.consumed <= data.size(), std::to_string(r.consumed));
                if (r.status == ParseStatus::incomplete) break;
                if (r.status == ParseStatus::error) {
                    check_error(r.error.status, r.error.reason);
                    cur.status = ParseStatus::error;
                    cur.code = r.error.status;
                    cur.reason = r.error.reason;
                    const ParseResult again = parser.parse(data, head);
                    FUZZ_CHECK(again.status == ParseStatus::error &&
                                   again.error.status == r.error.status &&
                                   again.error.reason == r.error.reason,
                               "an error is not repeated");
                    done.push_back(std::move(cur));
                    return done;
                }
                FUZZ_CHECK(r.consumed == head.head_size, std::to_string(r.consumed));
                if (exact)
                    FUZZ_CHECK(r.consumed == data.size(),
                               "head complete before or after its last byte");
                check_head(head, data, limits);
                cur = take(head);
                const ParseResult again = parser.parse(data, head);
                FUZZ_CHECK(again.status == ParseStatus::complete && again.consumed == r.consumed,
                           "completion is not repeated");
                in_body = true;
                fed = start + r.consumed;
            }
            bool finished = false;
            if (cur.body_kind == BodyKind::none) {
                cur.consumed = cur.head_size;
                finished = true;
            } else if (cur.body_kind == BodyKind::content_length) {
                if (end - start - cur.head_size >= cur.content_length) {
                    cur.body.assign(buf + start + cur.head_size,
                                    static_cast<std::size_t>(cur.content_length));
                    cur.consumed = cur.head_size + static_cast<std::size_t>(cur.content_length);
                    finished = true;
                }
            } else {
                const std::string_view piece(buf + fed, end - fed);
                const std::size_t before = cur.body.size();
                const ParseResult r = chunked.feed(piece, cur.body);
                FUZZ_CHECK(cur.body.size() - before <= piece.size(), "decoded more than was fed");
                FUZZ_CHECK(cur.body.size() <= limits.max_body_bytes,
                           std::to_string(cur.body.size()));
                if (r.status == ParseStatus::error) {
                    FUZZ_CHECK(r.error.status == 400 || r.error.status == 413 ||
                                   r.error.status == 431,
                               std::to_string(r.error.status));
                    check_error(r.error.status, r.error.reason);
                    // The head stays in the outcome, and so does the body
                    // decoded before the bad byte: it must not depend on the split.
                    cur.status = ParseStatus::error;
                    cur.code = r.error.status;
                    cur.reason = r.error.reason;
                    done.push_back(std::move(cur));
                    return done;
                }
                if (r.status == ParseStatus::incomplete) {
                    FUZZ_CHECK(r.consumed == piece.size(), "an incomplete feed left bytes");
                    fed = end;
                } else {
                    FUZZ_CHECK(r.consumed <= piece.size(), std::to_string(r.consumed));
                    if (exact)
                        FUZZ_CHECK(r.consumed == piece.size(),
                                   "body complete before or after its last byte");
                    cur.consumed = fed + r.consumed - start;
                    finished = true;
                }
            }
            if (!finished) break;
            cur.status = ParseStatus::complete;
            FUZZ_CHECK(start + cur.consumed <= end, "consumed past the buffer");
            start += cur.consumed;
            done.push_back(std::move(cur));
            cur = Request{};
            if (!pipelined || done.size() == max_requests) return done;
            parser.reset();
            chunked.reset();
            in_body = false;
        }
    }
    if (start < wire.size() || in_body) {
        // Unfinished: only what every split agrees on is kept (a chunked
        // body decodes the same bytes however they came).
        Request last;
        if (in_body) {
            last.method = cur.method;
            last.head_size = cur.head_size;
            if (cur.body_kind == BodyKind::chunked) last.body = cur.body;
        }
        done.push_back(std::move(last));
    }
    return done;
}

} // namespace lesto::fuzz
