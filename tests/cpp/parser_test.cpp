// parser_test.cpp: replays every HTTP case through the parser and body decoders, whole and in every
// split.
#include "cases.hpp"
#include "invariant.hpp"
#include "parser/errors.hpp"
#include "parser/parser.hpp"
#include "parser/scan.hpp"
#include "support/bytes.hpp"
#include "support/replay.hpp"
#include "support/splits.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace lesto::http;
using namespace lesto::test;

/// The first request of `wire`, fed in the pieces ending at `ends`.
Request replay(std::string_view wire, const std::vector<std::size_t>& ends, const Limits& limits,
               const scan::Scanners& scanners = scan::best()) {
    std::vector<Request> got =
        lesto::test::replay(wire, ends, limits, lesto::test::fail_test, {.scanners = &scanners});
    return got.empty() ? Request{} : std::move(got.front());
}

/// The case's expectation of one field, when it has one.
template <class T> void expect_field(const char* name, const std::optional<T>& want, const T& got) {
    if (want) {
        EXPECT_EQ(got, *want) << name;
    }
}

void check(const HttpCase& c, const Request& o) {
    if (!c.complete()) {
        ASSERT_EQ(o.status, ParseStatus::error) << "expected " << c.status;
        EXPECT_EQ(o.code, c.status) << "reason: " << o.reason;
        if (c.reason) {
            EXPECT_NE(o.reason.find(*c.reason), std::string::npos) << "reason: " << o.reason;
        }
        EXPECT_FALSE(o.reason.empty());
        return;
    }
    ASSERT_EQ(o.status, ParseStatus::complete) << "error " << o.code << ": " << o.reason;
    EXPECT_EQ(o.consumed, c.request_size());
    expect_field("method", c.method, o.method);
    expect_field("target", c.target, o.target);
    expect_field("path", c.path, o.path);
    expect_field("query", c.query, o.query);
    expect_field("has_query", c.has_query, o.has_query);
    expect_field("host", c.host, o.host);
    expect_field("version", c.version_minor, o.version_minor);
    expect_field("headers", c.headers, o.headers);
    if (c.body) {
        EXPECT_EQ(escape(o.body), escape(*c.body));
    }
    expect_field("keep_alive", c.keep_alive, o.keep_alive);
    expect_field("expect_continue", c.expect_continue, o.expect_continue);
}

const std::vector<HttpCase>& all_cases() {
    static const std::vector<HttpCase> cases = [] {
        try {
            return lesto::test::load_cases(LESTO_CASES_DIR);
        } catch (const std::exception&) {
            return std::vector<HttpCase>{};  // CasesLoader.LoadsEveryFile reports the error
        }
    }();
    return cases;
}

class HttpCases : public testing::TestWithParam<HttpCase> {};

TEST_P(HttpCases, SameOutcomeInEverySplit) {
    const HttpCase& c = GetParam();
    const Limits limits;
    const std::string_view wire = c.request;
    {
        SCOPED_TRACE("whole");
        check(c, replay(wire, {wire.size()}, limits));
    }
    {
        SCOPED_TRACE("one byte at a time");
        check(c, replay(wire, bytewise_ends(wire.size()), limits));
    }
    std::mt19937 rng(static_cast<std::uint32_t>(std::hash<std::string>{}(c.id()) & 0xffffffffu));
    for (int round = 0; round < 6; ++round) {
        SCOPED_TRACE("random split, round " + std::to_string(round));
        check(c, replay(wire, random_ends(wire.size(), rng()), limits));
    }
    // The resumable parser tests the first 16 bytes of a span itself and
    // hands longer spans to the scanners (the fast path, on x86, tests every
    // block itself): every version the CPU has must do.
    std::vector<const scan::Scanners*> versions{&scan::scalar()};
    if (const auto* s = scan::sse2()) versions.push_back(s);
    if (const auto* a = scan::avx2()) versions.push_back(a);
    for (const scan::Scanners* v : versions) {
        SCOPED_TRACE(std::string("whole and one byte at a time, scanners: ") + v->name);
        check(c, replay(wire, {wire.size()}, limits, *v));
        if (wire.size() <= 4096) check(c, replay(wire, bytewise_ends(wire.size()), limits, *v));
    }
    {
        // Bytes after the wire belong to later requests: they must change nothing.
        SCOPED_TRACE("whole, followed by garbage");
        std::string more(wire);
        more += std::string("\n\0\x7f\r\r\n\r\n \x80garbage", 18);
        check(c, replay(more, {more.size()}, limits));
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, HttpCases, testing::ValuesIn(all_cases()),
                         [](const testing::TestParamInfo<HttpCase>& p) { return p.param.id(); });

TEST(ParserErrors, EveryErrorIsGivenBySomeCase) {
    // A reason is only as exact as the cases that pin it: each error of
    // errors.hpp must be some case's outcome, and no case may get an error
    // that errors.hpp does not list.
    std::set<std::pair<int, std::string>> given;
    for (const HttpCase& c : all_cases()) {
        const Request o = replay(c.request, {c.request.size()}, Limits{});
        if (o.status == ParseStatus::error) given.emplace(o.code, o.reason);
    }
    std::set<std::pair<int, std::string>> listed;
    for (const lesto::http::ParseError& e : lesto::http::errors::all) {
        listed.emplace(e.status, std::string(e.reason));
        EXPECT_TRUE(given.count({e.status, std::string(e.reason)}))
            << "no case gives " << e.status << " " << e.reason;
    }
    EXPECT_EQ(listed.size(), std::size(lesto::http::errors::all)) << "an error listed twice";
    for (const auto& [status, reason] : given) {
        EXPECT_TRUE(listed.count({status, reason}))
            << "not in errors::all: " << status << " " << reason;
    }
}

TEST(ParserSplits, MutatedCasesGiveOneOutcomeInEverySplit) {
    // Random edits of every small case, under the default limits and under
    // tiny ones (so that limits fall inside the edited bytes): whatever the
    // outcome, it must not depend on how the bytes arrive.
    Limits tiny_limits;
    tiny_limits.max_request_line = 24;
    tiny_limits.max_header_bytes = 96;
    tiny_limits.max_header_count = 4;
    tiny_limits.max_body_bytes = 40;
    tiny_limits.max_chunk_line = 10;
    tiny_limits.max_trailer_bytes = 20;
    const Limits defaults;
    static constexpr char specials[] = {'\r', '\n', '\0', ' ', '\t', ':', ';',    ',',    '"', '\\',
                                        '?',  '#',  '/',  '0', 'f',  'x', '\x7f', '\x80', '='};
    std::mt19937 rng(12345);
    const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    for (const HttpCase& c : all_cases()) {
        if (c.request.size() > 600) continue;
        for (int round = 0; round < 20; ++round) {
            std::string wire = c.request;
            for (std::size_t edits = 1 + pick(3); edits > 0; --edits) {
                const std::size_t at = pick(wire.size() + 1);
                const char b = specials[pick(sizeof specials)];
                switch (pick(3)) {
                case 0:
                    wire.insert(at, 1, b);
                    break;
                case 1:
                    if (at < wire.size()) wire[at] = b;
                    break;
                default:
                    if (at < wire.size()) wire.erase(at, 1);
                    break;
                }
            }
            for (const Limits* limits : {&defaults, static_cast<const Limits*>(&tiny_limits)}) {
                const Request whole = replay(wire, {wire.size()}, *limits);
                const Request bytes = replay(wire, bytewise_ends(wire.size()), *limits);
                const Request split = replay(wire, random_ends(wire.size(), rng()), *limits);
                ASSERT_TRUE(whole == bytes) << escape(wire) << "\n"
                                            << show(whole) << "\n"
                                            << show(bytes);
                ASSERT_TRUE(whole == split) << escape(wire) << "\n"
                                            << show(whole) << "\n"
                                            << show(split);
            }
        }
    }
}

// ---- unit tests ------------------------------------------------------------------

constexpr std::string_view tiny = "GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";

ParseResult parse_once(std::string_view data, RequestHead& head, const Limits& limits) {
    RequestParser parser(limits);
    return parser.parse(data, head);
}

TEST(Parser, TinyRequest) {
    const Limits limits;
    RequestHead head;
    head.headers.reserve(limits.max_header_count);
    const ParseResult r = parse_once(tiny, head, limits);
    ASSERT_EQ(r.status, ParseStatus::complete);
    EXPECT_EQ(r.consumed, tiny.size());
    EXPECT_EQ(head.method, "GET");
    EXPECT_EQ(head.path, "/");
    EXPECT_EQ(head.host, "localhost:8080");
    EXPECT_TRUE(head.keep_alive);
    EXPECT_EQ(head.body_kind, BodyKind::none);
}

TEST(Parser, RebaseMovesEveryView) {
    const Limits limits;
    std::string a = "POST /p/q?x=1 HTTP/1.1\r\nHost: h:1\r\nContent-Length: 0\r\nX-A: b\r\n\r\n";
    RequestHead head;
    ASSERT_EQ(parse_once(a, head, limits).status, ParseStatus::complete);
    const std::string b = a;
    head.rebase(a.data(), b.data());
    a.assign(a.size(), 'z');  // the old bytes must no longer be seen
    for (std::string_view v : {head.method, head.target, head.path, head.query, head.host})
        EXPECT_TRUE(inside(v, b));
    for (const auto& h : head.headers) EXPECT_TRUE(inside(h.name, b) && inside(h.value, b));
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.target, "/p/q?x=1");
    EXPECT_EQ(head.path, "/p/q");
    EXPECT_EQ(head.query, "x=1");
    EXPECT_EQ(head.host, "h:1");
    ASSERT_EQ(head.headers.size(), 3u);
    EXPECT_EQ(head.headers[2].name, "X-A");
    EXPECT_EQ(head.headers[2].value, "b");
}

TEST(Parser, RebaseLeavesUnsetViewsUnset) {
    const Limits limits;
    const std::string a = "GET /p HTTP/1.0\r\n\r\n";
    RequestHead head;
    ASSERT_EQ(parse_once(a, head, limits).status, ParseStatus::complete);
    ASSERT_EQ(head.query.data(), nullptr);
    ASSERT_EQ(head.host.data(), nullptr);
    const std::string b = a;
    head.rebase(a.data(), b.data());
    EXPECT_EQ(head.query.data(), nullptr);
    EXPECT_EQ(head.host.data(), nullptr);
    EXPECT_TRUE(inside(head.path, b));
}

TEST(Parser, ResumesInAMovedBuffer) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    const std::string wire = "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
    auto first = std::make_unique<std::string>(wire.substr(0, 30));
    ASSERT_EQ(parser.parse(*first, head).status, ParseStatus::incomplete);
    ASSERT_EQ(head.headers.size(), 1u);
    first.reset();
    const std::string second = wire;
    const ParseResult r = parser.parse(second, head);
    ASSERT_EQ(r.status, ParseStatus::complete);
    EXPECT_TRUE(inside(head.method, second) && inside(head.host, second));
    ASSERT_EQ(head.headers.size(), 2u);
    EXPECT_TRUE(inside(head.headers[0].value, second));
    EXPECT_EQ(head.headers[1].value, "*/*");
}

TEST(Parser, EveryPrefixOfAHeadIsIncomplete) {
    const Limits limits;
    const std::string wire =
        "\r\nPUT /x?y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nA:\r\n\r\n";
    for (std::size_t n = 0; n < wire.size(); ++n) {
        RequestHead head;
        EXPECT_EQ(parse_once(std::string_view(wire).substr(0, n), head, limits).status,
                  ParseStatus::incomplete)
            << n;
    }
}

TEST(Parser, BytesAfterTheHeadAreNeverLookedAt) {
    const Limits limits;
    for (int c = 0; c < 256; ++c) {
        for (std::size_t len : {1u, 15u, 16u, 31u, 32u, 33u, 100u}) {
            std::string wire(tiny);
            wire.append(len, static_cast<char>(c));
            RequestHead head;
            const ParseResult r = parse_once(wire, head, limits);
            ASSERT_EQ(r.status, ParseStatus::complete) << c << " " << len;
            EXPECT_EQ(r.consumed, tiny.size());
            EXPECT_EQ(head.host, "localhost:8080");
        }
    }
}

TEST(Parser, ResultsAreRepeatedAfterTheEnd) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    ASSERT_EQ(parser.parse(tiny, head).status, ParseStatus::complete);
    EXPECT_EQ(parser.parse(tiny, head).consumed, tiny.size());
    parser.reset();
    const ParseResult bad = parser.parse("GET / HTTP/1.1\nHost: h\r\n\r\n", head);
    ASSERT_EQ(bad.status, ParseStatus::error);
    const ParseResult again = parser.parse("GET / HTTP/1.1\nHost: h\r\n\r\n", head);
    EXPECT_EQ(again.status, ParseStatus::error);
    EXPECT_EQ(again.error.reason, bad.error.reason);
}

TEST(Parser, ResetParsesPipelinedRequests) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    head.headers.reserve(limits.max_header_count);
    const std::string wire =
        std::string(tiny) + "GET /b HTTP/1.1\r\nHost: b\r\n\r\n" + std::string(tiny);
    std::string_view rest = wire;
    std::vector<std::string> paths;
    while (!rest.empty()) {
        parser.reset();
        const ParseResult r = parser.parse(rest, head);
        ASSERT_EQ(r.status, ParseStatus::complete);
        paths.emplace_back(head.path);
        ASSERT_EQ(head.headers.size(), 1u);
        rest.remove_prefix(r.consumed);
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/", "/b", "/"}));
}

TEST(Parser, HeadersStayWithinTheReservedCapacity) {
    const Limits limits;
    RequestHead head;
    head.headers.reserve(limits.max_header_count);
    const auto* storage = head.headers.data();
    std::string wire = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (std::size_t i = 1; i < limits.max_header_count; ++i)
        wire += "X-" + std::to_string(i) + ": v\r\n";
    wire += "\r\n";
    ASSERT_EQ(parse_once(wire, head, limits).status, ParseStatus::complete);
    EXPECT_EQ(head.headers.size(), limits.max_header_count);
    EXPECT_EQ(head.headers.data(), storage);
}

// ---- limits, with small custom values ------------------------------------------------

ParseStatus status_of(std::string_view wire, const Limits& limits) {
    RequestHead head;
    return parse_once(wire, head, limits).status;
}

/// The status `wire` is refused with, or 0 when it is not refused.
int refusal(std::string_view wire, const Limits& limits) {
    RequestHead head;
    const ParseResult r = parse_once(wire, head, limits);
    return r.status == ParseStatus::error ? r.error.status : 0;
}

TEST(ParserLimits, RequestLineIsRefusedAsSoonAsItIsTooLong) {
    Limits limits;
    limits.max_request_line = 16;
    EXPECT_EQ(status_of("GET /0123456789a", limits),
              ParseStatus::incomplete);  // 16 bytes, CR may follow
    EXPECT_EQ(refusal("GET /0123456789ab", limits), 414);
    EXPECT_EQ(refusal("GET / HTTP/1.1x\r", limits), 400);  // a bad version, refused at its CR
    EXPECT_EQ(status_of("GET /01 HTTP/1.1\r\nHost: h\r\n\r\n", limits), ParseStatus::complete);
    EXPECT_EQ(refusal("GET /012 HTTP/1.1\r\nHost: h\r\n\r\n", limits), 414);
    EXPECT_EQ(status_of("\r\n\r\nGET /01 HTTP/1.1\r\nHost: h\r\n\r\n", limits),
              ParseStatus::complete);
}

TEST(ParserLimits, HeaderSectionIsRefusedAsSoonAsItIsTooLarge) {
    Limits limits;
    const std::string wire = "GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789\r\n\r\n";
    limits.max_header_bytes = wire.size();
    EXPECT_EQ(status_of(wire, limits), ParseStatus::complete);
    limits.max_header_bytes = wire.size() - 1;
    EXPECT_EQ(refusal(wire, limits), 431);
    // No end of head in sight: refused once one byte past the limit is present.
    const std::string endless = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'a');
    limits.max_header_bytes = 64;
    EXPECT_EQ(status_of(std::string_view(endless).substr(0, 64), limits), ParseStatus::incomplete);
    EXPECT_EQ(refusal(std::string_view(endless).substr(0, 65), limits), 431);
    // Empty lines before the request line count too, so they cannot go on forever.
    std::string blank;
    for (int i = 0; i < 40; ++i) blank += "\r\n";
    EXPECT_EQ(refusal(blank, limits), 431);
}

/// `at` is a head right at a limit, accepted; `past` one byte or field
/// beyond it, refused with `status`.
void expect_limit(const Limits& limits, std::string_view at, std::string_view past, int status) {
    EXPECT_EQ(status_of(at, limits), ParseStatus::complete) << at;
    EXPECT_EQ(refusal(past, limits), status) << past;
}

TEST(ParserLimits, HeaderCount) {
    Limits limits;
    limits.max_header_count = 3;
    expect_limit(limits, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
                 "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431);
}

TEST(ParserLimits, ContentLengthAboveTheBodyLimit) {
    Limits limits;
    limits.max_body_bytes = 10;
    expect_limit(limits, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
                 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n", 413);
}

// ---- the case-file loader ----------------------------------------------------------

TEST(CasesLoader, LoadsEveryFile) {
    std::vector<HttpCase> cases;
    ASSERT_NO_THROW(cases = lesto::test::load_cases(LESTO_CASES_DIR));
    EXPECT_GE(cases.size(), 150u);
    std::set<std::string> ids;
    for (const HttpCase& c : cases)
        EXPECT_TRUE(ids.insert(c.id()).second) << "duplicate " << c.id();
}

TEST(CasesLoader, LiteralsEscapesAndRepetition) {
    using lesto::test::parse_literals;
    EXPECT_EQ(parse_literals(R"("a\r\n\t\\\"" "x"*3 "\x41\xfF")"),
              (std::vector<std::string>{"a\r\n\t\\\"", "xxx", "A\xff"}));
    EXPECT_EQ(parse_literals(R"("\0")"), (std::vector<std::string>{std::string(1, '\0')}));
    EXPECT_EQ(parse_literals(R"("ab" * 2)"), (std::vector<std::string>{"abab"}));
    EXPECT_EQ(parse_literals(""), (std::vector<std::string>{}));
    EXPECT_THROW(parse_literals(R"("open)"), std::runtime_error);
    EXPECT_THROW(parse_literals(R"("\q")"), std::runtime_error);
    EXPECT_THROW(parse_literals(R"("\x4")"), std::runtime_error);
    EXPECT_THROW(parse_literals(R"(bare)"), std::runtime_error);
    EXPECT_THROW(parse_literals(R"("a"*)"), std::runtime_error);
}

TEST(CasesLoader, ParsesCases) {
    const auto cases = lesto::test::parse_cases(R"(
# comment
[case one]
request: "GET /?a HTTP/1.1\r\n" "Host: h\r\n\r\n" "NEXT"
expect: complete
query: a
header: "Host" "h"
rest: "NEXT"
keep_alive: true

[case two]
request: "x"
expect: 400
reason: bad thing
)",
                                                "sample");
    ASSERT_EQ(cases.size(), 2u);
    EXPECT_EQ(cases[0].id(), "sample_one");
    EXPECT_EQ(cases[0].request_size(), cases[0].request.size() - 4);
    EXPECT_EQ(*cases[0].query, "a");
    ASSERT_TRUE(cases[0].headers);
    EXPECT_EQ(cases[0].headers->at(0).second, "h");
    EXPECT_EQ(cases[1].status, 400);
    EXPECT_EQ(*cases[1].reason, "bad thing");
    EXPECT_THROW(
        lesto::test::parse_cases("[case a]\nrequest: \"x\"\n[case a]\nrequest: \"y\"\n", "f"),
        std::runtime_error);
    EXPECT_THROW(lesto::test::parse_cases("[case a]\nrequest: \"x\"\nrest: \"z\"\n", "f"),
                 std::runtime_error);
    EXPECT_THROW(lesto::test::parse_cases("[case a]\nrequest: \"x\"\nbogus: 1\n", "f"),
                 std::runtime_error);
}

}  // namespace
