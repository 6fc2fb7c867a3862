// chunked_test.cpp: the chunked decoder on its own, in every split and at its limits.
#include <gtest/gtest.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "invariant.hpp"
#include "parser/chunked.hpp"
#include "support/decode.hpp"
#include "support/splits.hpp"

namespace {

using namespace lesto::http;
using namespace lesto::test;

/// Feeds `wire` in pieces of `step` bytes (0: whole) until the decoder ends.
Decoded decode(std::string_view wire, const Limits& limits, std::size_t step = 0) {
    ChunkedDecoder d(limits);
    const std::vector<std::size_t> ends =
        step == 0 ? std::vector<std::size_t>{wire.size()} : even_ends(wire.size(), step);
    return lesto::test::decode(d, wire, ends, lesto::test::fail_test);
}

/// Same outcome whole, byte by byte and in pieces of 2..7 bytes.
Decoded decode_all_ways(std::string_view wire, const Limits& limits = {}) {
    const Decoded whole = decode(wire, limits);
    for (std::size_t step = 1; step < 8; ++step) {
        const Decoded split = decode(wire, limits, step);
        EXPECT_TRUE(split == whole)
            << "step " << step << ": " << show(split) << "\nwhole: " << show(whole);
    }
    return whole;
}

TEST(Chunked, DecodesChunksAndStopsAtTheEnd) {
    const std::string wire = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    const Decoded d = decode_all_ways(wire);
    ASSERT_EQ(d.status, ParseStatus::complete);
    EXPECT_EQ(d.body, "hello world");
    EXPECT_EQ(d.consumed, wire.find("GET"));
}

TEST(Chunked, ExtensionsTrailersAndHexSizes) {
    const std::string wire =
        "A;name=value;q=\"quoted \\\" ; string\"\r\n0123456789\r\n"
        "00000001 ; bare\r\nx\r\n0;last\r\nTrailer: yes\r\nX-Sum: 1\r\n\r\n";
    const Decoded d = decode_all_ways(wire);
    ASSERT_EQ(d.status, ParseStatus::complete) << d.code;
    EXPECT_EQ(d.body, "0123456789x");
    EXPECT_EQ(d.consumed, wire.size());
}

TEST(Chunked, ResetStartsANewBody) {
    const Limits limits;
    ChunkedDecoder d(limits);
    std::string body;
    ASSERT_EQ(d.feed("1\r\na\r\n0\r\n\r\n", body).status, ParseStatus::complete);
    d.reset();
    body.clear();
    const ParseResult r = d.feed("2\r\nbc\r\n0\r\n\r\n", body);
    ASSERT_EQ(r.status, ParseStatus::complete);
    EXPECT_EQ(body, "bc");
}

TEST(Chunked, ErrorsRepeat) {
    const Limits limits;
    ChunkedDecoder d(limits);
    std::string body;
    EXPECT_EQ(d.feed("x\r\n", body).status, ParseStatus::error);
    EXPECT_EQ(d.feed("1\r\na\r\n0\r\n\r\n", body).status, ParseStatus::error);
}

TEST(Chunked, Refusals) {
    struct Bad {
        const char* wire;
        int status;
    };
    const Bad cases[] = {
        {"\r\n", 400},                       // no size
        {"-1\r\n", 400},                     // sign
        {"0x5\r\nhello\r\n0\r\n\r\n", 400},  // hex prefix
        {"5\nhello\r\n0\r\n\r\n", 400},      // bare LF after size
        {"5\rhello", 400},                   // bare CR
        {"5 \r\nhello\r\n0\r\n\r\n", 400},   // whitespace without extension
        {"5;\r\nhello\r\n0\r\n\r\n", 400},   // bare ';'
        {"5;a\rb\r\nhello\r\n", 400},        // CR inside an extension
        {"5;=v\r\n", 400},                   // extension without name
        {"5;a=\r\n", 400},                   // extension without value
        {"5;a=\"open\r\n", 400},             // unterminated quoted-string
        {"5\r\nhelloX\r\n", 400},            // data longer than its size
        {"5\r\nhello\n0\r\n\r\n", 400},      // bare LF after data
        {"0\r\nbad header\r\n\r\n", 400},    // trailer without colon
        {"0\r\nX : y\r\n\r\n", 400},         // whitespace before colon
        {"0\r\n:y\r\n\r\n", 400},            // empty trailer name
        {"0\r\n folded\r\n\r\n", 400},       // obs-fold in trailers
        {"0\r\nX: a\nb\r\n\r\n", 400},       // bare LF in a trailer value
        {"0\r\n\rx", 400},                   // bare CR at the end
        {"10000000000000000\r\n", 400},      // 2^64: overflow
    };
    for (const Bad& b : cases) {
        const Decoded d = decode_all_ways(b.wire);
        EXPECT_EQ(d.status, ParseStatus::error) << b.wire;
        EXPECT_EQ(d.code, b.status) << b.wire;
    }
    const char nul_in_extension[] = "5;a=\"x\0y\"\r\nhello\r\n0\r\n\r\n";
    EXPECT_EQ(decode_all_ways(std::string(nul_in_extension, sizeof nul_in_extension - 1)).code,
              400);
}

/// `at` is a body right at a limit, decoded; each of `past` goes beyond
/// it and is refused with `status`.
void expect_limit(const Limits& limits, std::string_view at, int status,
                  std::initializer_list<std::string_view> past) {
    EXPECT_EQ(decode_all_ways(at, limits).status, ParseStatus::complete) << at;
    for (std::string_view wire : past)
        EXPECT_EQ(decode_all_ways(wire, limits).code, status) << wire;
}

TEST(Chunked, BodyLimitCountsEveryChunk) {
    Limits limits;
    limits.max_body_bytes = 10;
    expect_limit(limits, "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 413,
                 {"5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n",
                  // Refused from the size line, before any of that chunk's data arrives.
                  "5\r\nhello\r\nffffffff\r\n"});
}

TEST(Chunked, SizeLineLimit) {
    Limits limits;
    limits.max_chunk_line = 8;
    expect_limit(limits, "1;a=bcde\r\nx\r\n0\r\n\r\n", 400,
                 {"1;a=bcdef\r\n", "000000001\r\n",
                  // Without a line end in sight: refused once the limit is passed.
                  "1;aaaaaaaaaaaaaaaa"});
}

TEST(Chunked, TrailerLimit) {
    Limits limits;
    limits.max_trailer_bytes = 16;
    // A field line counts with its CRLF; the final empty line does not count.
    expect_limit(limits, "0\r\nA: 01234567890\r\n\r\n", 431,
                 {"0\r\nA: 012345678901\r\n\r\n", "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"});
}

TEST(Chunked, LargeChunksInBigPieces) {
    std::string wire, expect;
    for (int i = 0; i < 20; ++i) {
        const std::string data(static_cast<std::size_t>(1000 + i * 37), static_cast<char>('a' + i));
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", data.size());
        wire += size + data + "\r\n";
        expect += data;
    }
    wire += "0\r\n\r\n";
    for (std::size_t step : {0u, 1u, 100u, 4096u}) {
        const Decoded d = decode(wire, Limits{}, step);
        ASSERT_EQ(d.status, ParseStatus::complete);
        EXPECT_EQ(d.body, expect);
        EXPECT_EQ(d.consumed, wire.size());
    }
}

}  // namespace
