// host_test.cpp: the Host check of short usual hosts (one SSE2 block) agrees with the full one.
#include "parser/parser.hpp"

#include <gtest/gtest.h>
#include <random>
#include <string>

namespace {

using lesto::http::Limits;
using lesto::http::ParseResult;
using lesto::http::ParseStatus;
using lesto::http::RequestHead;
using lesto::http::RequestParser;

ParseResult parse_whole(const std::string& wire) {
    const Limits limits;
    RequestParser parser(limits);
    RequestHead head;
    return parser.parse(wire, head);
}

TEST(ParserHost, ShortHostsAgreeWithTheFullTest) {
    // A Host value of up to 16 bytes is judged by one SSE2 block when it is
    // letters, digits, '.', '-' and a port, and byte by byte otherwise; the
    // host of an absolute-form target always byte by byte. The same host
    // must get the same answer both ways.
    const std::string odd = "Z_~!$&'()*+,;=%[]@^`{|}\"<>\x80\t ";
    const std::string usual = "ab1.-:9";
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> len(1, 20), pick(0, 255), plain(0, 4);
    for (int round = 0; round < 20000; ++round) {
        std::string host;
        for (std::size_t n = len(rng); n > 0; --n)
            host += plain(rng) ? usual[pick(rng) % usual.size()] : odd[pick(rng) % odd.size()];
        // Not what the absolute form can carry, or refused there first.
        if (host[0] == ':' || host.find_first_of(" \t") != std::string::npos) continue;
        const ParseResult origin = parse_whole("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        const ParseResult absolute =
            parse_whole("GET http://" + host + "/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        ASSERT_EQ(origin.status, absolute.status) << host << ": " << origin.error.reason;
        if (origin.status != ParseStatus::complete) {
            EXPECT_EQ(origin.error.reason, "invalid Host header") << host;
            EXPECT_EQ(absolute.error.reason, "invalid host in request target") << host;
        }
    }
}

}  // namespace
