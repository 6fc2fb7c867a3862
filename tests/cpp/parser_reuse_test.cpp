// parser_reuse_test.cpp: a connection's parser is asked again right after each request,
// often with no bytes yet; that must neither keep stale views nor cost the next head its
// fast path (the result is the same either way; parser_fuzz checks the views).
#include "parser/parser.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>

namespace {

using lesto::http::Limits;
using lesto::http::ParseStatus;
using lesto::http::RequestHead;
using lesto::http::RequestParser;

constexpr std::string_view first = "GET /one HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n";
constexpr std::string_view second = "POST /two?q HTTP/1.0\r\nContent-Length: 0\r\n\r\n";

TEST(ParserReuse, NoBytesBetweenRequestsClearsTheHeadAndWaits) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    {
        const std::string wire(first);
        ASSERT_EQ(parser.parse(wire, head).status, ParseStatus::complete);
        EXPECT_EQ(head.path, "/one");
    }  // the buffer the views pointed into is gone
    parser.reset();
    const auto r = parser.parse({}, head);
    EXPECT_EQ(r.status, ParseStatus::incomplete);
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_TRUE(head.method.empty() && head.path.empty() && head.host.empty());
    EXPECT_TRUE(head.headers.empty());
    // Asked again with nothing: still waiting, still nothing consumed.
    EXPECT_EQ(parser.parse({}, head).status, ParseStatus::incomplete);
    const std::string wire(second);
    const auto r2 = parser.parse(wire, head);
    ASSERT_EQ(r2.status, ParseStatus::complete);
    EXPECT_EQ(r2.consumed, second.size());
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.path, "/two");
    EXPECT_EQ(head.query, "q");
    EXPECT_TRUE(head.has_query);
    EXPECT_EQ(head.version_minor, 0);
    EXPECT_FALSE(head.keep_alive);
}

TEST(ParserReuse, AHeadArrivingInPiecesAfterAnEmptyAskIsTheSame) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    EXPECT_EQ(parser.parse({}, head).status, ParseStatus::incomplete);
    const std::string wire(first);
    for (std::size_t n = 1; n < wire.size(); ++n) {
        ASSERT_EQ(parser.parse(std::string_view(wire).substr(0, n), head).status,
                  ParseStatus::incomplete)
            << n;
    }
    ASSERT_EQ(parser.parse(wire, head).status, ParseStatus::complete);
    EXPECT_EQ(head.path, "/one");
    ASSERT_EQ(head.headers.size(), 2u);
    EXPECT_EQ(head.headers[1].value, "1");
}

}  // namespace
