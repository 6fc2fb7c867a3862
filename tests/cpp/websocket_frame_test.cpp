// websocket_frame_test.cpp: frame headers read in every split, unmasking at every offset, headers
// written.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "websocket/frame.hpp"

namespace {

using lesto::test::escape;
using lesto::ws::FrameHeader;
using lesto::ws::HeaderReader;
namespace failures = lesto::ws::failures;

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (const int c : b) s += static_cast<char>(c);
    return s;
}

struct HeaderCase {
    const char* name;
    std::string wire;  ///< a header and nothing after it
    bool fin;
    std::uint8_t rsv, opcode;
    bool masked;
    std::uint64_t length;
    lesto::ws::Failure failure;  ///< or none
};

/// Reads `wire` in the pieces ending at `ends`: the header, or the failure.
HeaderReader::Status read_in_pieces(std::string_view wire, const std::vector<std::size_t>& ends,
                                    FrameHeader& h, lesto::ws::Failure& error,
                                    std::size_t& used_total) {
    HeaderReader r;
    std::size_t start = 0;
    used_total = 0;
    for (const std::size_t end : ends) {
        std::string piece(wire.substr(start, end - start));
        std::size_t used = 0;
        const auto status = r.read(piece, used, h, error);
        used_total += used;
        if (status != HeaderReader::Status::incomplete) return status;
        EXPECT_EQ(used, piece.size());
        EXPECT_TRUE(r.partial() || piece.empty());
        start = end;
    }
    return HeaderReader::Status::incomplete;
}

TEST(WebSocketFrame, ReadsHeadersInEverySplit) {
    const std::vector<HeaderCase> cases = {
        {"RFC 6455 5.7 unmasked Hello", bytes({0x81, 0x05}), true, 0, 1, false, 5, {}},
        {"RFC 6455 5.7 masked Hello",
         bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}),
         true,
         0,
         1,
         true,
         5,
         {}},
        {"RFC 6455 5.7 first fragment", bytes({0x01, 0x03}), false, 0, 1, false, 3, {}},
        {"RFC 6455 5.7 last fragment", bytes({0x80, 0x02}), true, 0, 0, false, 2, {}},
        {"RFC 6455 5.7 ping", bytes({0x89, 0x05}), true, 0, 9, false, 5, {}},
        {"RFC 6455 5.7 256 bytes", bytes({0x82, 0x7e, 0x01, 0x00}), true, 0, 2, false, 256, {}},
        {"RFC 6455 5.7 64 KiB",
         bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}),
         true,
         0,
         2,
         false,
         65536,
         {}},
        {"RSV bits and an unknown opcode",
         bytes({0x7f, 0x80, 1, 2, 3, 4}),
         false,
         7,
         15,
         true,
         0,
         {}},
        {"the largest 7-bit length", bytes({0x82, 125}), true, 0, 2, false, 125, {}},
        {"the largest 16-bit length", bytes({0x82, 126, 0xff, 0xff}), true, 0, 2, false, 65535, {}},
        {"the largest 64-bit length",
         bytes({0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9, 9, 9, 9}),
         true,
         0,
         2,
         true,
         0x7fffffffffffffff,
         {}},
        {"125 in 16 bits", bytes({0x82, 126, 0, 125}), true, 0, 2, false, 0,
         failures::non_minimal_length},
        {"65535 in 64 bits", bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff}), true, 0, 2, false, 0,
         failures::non_minimal_length},
        {"the top bit of 64", bytes({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}), true, 0, 2, false, 0,
         failures::long_length},
    };
    for (const HeaderCase& c : cases) {
        SCOPED_TRACE(std::string(c.name) + ": \"" + escape(c.wire) + "\"");
        std::vector<std::vector<std::size_t>> splits = {{c.wire.size()}};
        std::vector<std::size_t> bytewise;
        for (std::size_t i = 1; i <= c.wire.size(); ++i) bytewise.push_back(i);
        splits.push_back(bytewise);
        for (std::size_t cut = 0; cut <= c.wire.size(); ++cut)
            splits.push_back({cut, c.wire.size()});
        for (const auto& ends : splits) {
            FrameHeader h;
            lesto::ws::Failure error;
            std::size_t used = 0;
            const auto status = read_in_pieces(c.wire, ends, h, error, used);
            EXPECT_EQ(used, c.wire.size());
            if (c.failure) {
                EXPECT_EQ(status, HeaderReader::Status::error);
                EXPECT_EQ(error.reason, c.failure.reason);
                continue;
            }
            ASSERT_EQ(status, HeaderReader::Status::complete);
            EXPECT_EQ(h.fin, c.fin);
            EXPECT_EQ(h.rsv, c.rsv);
            EXPECT_EQ(h.opcode, c.opcode);
            EXPECT_EQ(h.masked, c.masked);
            EXPECT_EQ(h.length, c.length);
            if (c.masked) EXPECT_EQ(std::memcmp(&h.mask, c.wire.data() + c.wire.size() - 4, 4), 0);
        }
    }
}

TEST(WebSocketFrame, ReadsOnlyItsHeaderAndGoesOn) {
    // Two headers back to back: the first read takes only its own bytes.
    const std::string wire = bytes({0x81, 0x80, 1, 2, 3, 4, 0x82, 0x00});
    HeaderReader r;
    FrameHeader h;
    lesto::ws::Failure e;
    std::size_t used = 0;
    ASSERT_EQ(r.read(wire, used, h, e), HeaderReader::Status::complete);
    EXPECT_EQ(used, 6u);
    ASSERT_EQ(r.read(std::string_view(wire).substr(used), used, h, e),
              HeaderReader::Status::complete);
    EXPECT_EQ(used, 2u);
    EXPECT_EQ(h.opcode, 2);
    EXPECT_FALSE(r.partial());
}

TEST(WebSocketFrame, UnmasksAtEveryOffsetAndAlignment) {
    // Against a byte-at-a-time reference: every length up to 70, every
    // start in the mask, every alignment of the buffer.
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::uint32_t mask;
    std::memcpy(&mask, key, 4);
    std::vector<char> buf(80 + 8);
    for (std::size_t align = 0; align < 8; ++align) {
        for (std::size_t n = 0; n <= 70; ++n) {
            for (std::uint64_t offset = 0; offset < 9; ++offset) {
                char* p = buf.data() + align;
                for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(i * 31 + 7);
                lesto::ws::unmask(p, n, mask, offset);
                for (std::size_t i = 0; i < n; ++i) {
                    const auto want = static_cast<char>(static_cast<char>(i * 31 + 7) ^
                                                        static_cast<char>(key[(offset + i) % 4]));
                    ASSERT_EQ(p[i], want)
                        << "align " << align << " n " << n << " offset " << offset << " byte " << i;
                }
            }
        }
    }
}

TEST(WebSocketFrame, UnmasksThe5_7ExampleInAnyPieces) {
    // RFC 6455 5.7: the masked "Hello" payload, unmasked in two pieces.
    const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::uint32_t mask;
    std::memcpy(&mask, key, 4);
    for (std::size_t cut = 0; cut <= 5; ++cut) {
        std::string payload = bytes({0x7f, 0x9f, 0x4d, 0x51, 0x58});
        lesto::ws::unmask(payload.data(), cut, mask, 0);
        lesto::ws::unmask(payload.data() + cut, 5 - cut, mask, cut);
        EXPECT_EQ(payload, "Hello") << cut;
    }
}

TEST(WebSocketFrame, WritesServerHeadersInTheShortestForm) {
    struct Want {
        std::uint64_t n;
        std::string header;
    };
    const std::vector<Want> wants = {
        {0, bytes({0x82, 0})},
        {125, bytes({0x82, 125})},
        {126, bytes({0x82, 126, 0, 126})},
        {65535, bytes({0x82, 126, 0xff, 0xff})},
        {65536, bytes({0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0})},
        {0x7fffffffffffffff, bytes({0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
    };
    for (const Want& w : wants) {
        char h[lesto::ws::max_header_size];
        const char* end = lesto::ws::put_header(h, true, 0, lesto::ws::Opcode::binary, w.n);
        EXPECT_EQ(escape({h, static_cast<std::size_t>(end - h)}), escape(w.header)) << w.n;
        EXPECT_EQ(lesto::ws::header_size(w.n), w.header.size());
    }
    char h[2];
    lesto::ws::put_header(h, false, lesto::ws::rsv1, lesto::ws::Opcode::text, 5);
    EXPECT_EQ(escape({h, 2}), escape(bytes({0x41, 0x05})));  // RFC 7692 7.2.3.1's fragment
}

}  // namespace
