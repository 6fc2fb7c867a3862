// websocket_session_test.cpp: the session's cases as data: client frames in, events and server
// frames out, in every split.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "invariant.hpp"
#include "support/bytes.hpp"
#include "support/splits.hpp"
#include "support/ws_session.hpp"
#include "websocket/deflate.hpp"

namespace {

using lesto::ws::DeflateParams;
using lesto::ws::Limits;
using lesto::ws::Opcode;
using lesto::ws::rsv1;
using lesto::ws::State;
using namespace lesto::test;
namespace failures = lesto::ws::failures;

// ---- the words of the cases ------------------------------------------------------------

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (const int c : b) s += static_cast<char>(c);
    return s;
}

std::string client(Opcode op, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    return client_frame(op, payload, fin, rsv);
}
std::string server(Opcode op, std::string_view payload) { return server_frame(op, payload); }
std::string close_reply(std::uint16_t code) { return server(Opcode::close, close_body(code)); }
/// The close the server fails the connection with.
std::string fail_close(const lesto::ws::Failure& f) {
    return server(Opcode::close, close_body(f.code, f.reason));
}

WsEvent text(std::string_view s) { return {WsEvent::text, std::string(s), 0}; }
WsEvent binary(std::string_view s) { return {WsEvent::binary, std::string(s), 0}; }
WsEvent closed(std::uint16_t code, std::string_view reason = {}) {
    return {WsEvent::closed, std::string(reason), code};
}
WsEvent failed(const lesto::ws::Failure& f) { return closed(f.code, f.reason); }

struct Case {
    std::string name;
    std::string wire;
    std::vector<WsEvent> events;
    std::string out;  ///< what the server writes by itself
    State state = State::open;
    std::optional<DeflateParams> deflate = std::nullopt;
    Limits limits = {};
    /// Bytes the session takes: all of the wire unless it stops (npos).
    std::size_t consumed = std::string::npos;
};

/// Runs the case whole, one byte at a time (also parking between bytes),
/// cut in two at every point and in random pieces: every way gives the
/// case's outcome.
void check(const Case& c) {
    SCOPED_TRACE(c.name + ": wire \"" + escape(c.wire) + "\"");
    const DeflateParams* deflate = c.deflate ? &*c.deflate : nullptr;
    WsOutcome want{c.events, c.out, c.state,
                   c.consumed == std::string::npos ? c.wire.size() : c.consumed};
    const auto run = [&](const std::vector<std::size_t>& ends, const std::string& how,
                         bool park = false) {
        const WsOutcome got = run_session(c.wire, ends, c.limits, deflate, fail_test, park);
        EXPECT_TRUE(got == want) << how << "\n got: " << show(got) << "\nwant: " << show(want);
    };
    run(c.wire.empty() ? std::vector<std::size_t>{} : std::vector<std::size_t>{c.wire.size()},
        "whole");
    run(bytewise_ends(c.wire.size()), "byte by byte");
    run(bytewise_ends(c.wire.size()), "byte by byte, parking between bytes", true);
    for (std::size_t cut = 1; cut < c.wire.size(); ++cut)
        run({cut, c.wire.size()}, "cut at " + std::to_string(cut));
    for (std::uint64_t seed = 0; seed < 4; ++seed)
        run(random_ends(c.wire.size(), seed), "random split, seed " + std::to_string(seed));
}

// RFC 6455 5.7: a masked "Hello", and the masked pong that answers a ping.
const std::string rfc_masked_hello =
    bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
const std::string rfc_masked_pong =
    bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});

// ---- messages ----------------------------------------------------------------------------

TEST(WebSocketSession, DeliversMessagesWholeOrInFragments) {
    const std::string k256(256, 'k'), k64(65536, 'q');
    const std::vector<Case> cases = {
        {"RFC 6455 5.7 masked text", rfc_masked_hello, {text("Hello")}, ""},
        {"RFC 6455 5.7 fragments",
         client(Opcode::text, "Hel", false) + client(Opcode::continuation, "lo"),
         {text("Hello")},
         ""},
        {"RFC 6455 5.7 256 bytes: 16-bit length", client(Opcode::binary, k256), {binary(k256)}, ""},
        {"RFC 6455 5.7 64 KiB: 64-bit length", client(Opcode::binary, k64), {binary(k64)}, ""},
        {"empty text and binary",
         client(Opcode::text, "") + client(Opcode::binary, ""),
         {text(""), binary("")},
         ""},
        {"empty fragments",
         client(Opcode::binary, "", false) + client(Opcode::continuation, "", false) +
             client(Opcode::continuation, "ab", false) + client(Opcode::continuation, ""),
         {binary("ab")},
         ""},
        {"messages back to back",
         client(Opcode::text, "one") + client(Opcode::binary, "two", false) +
             client(Opcode::continuation, "!") + client(Opcode::text, "three"),
         {text("one"), binary("two!"), text("three")},
         ""},
        {"UTF-8 cut between fragments",
         client(Opcode::text, "\xce", false) + client(Opcode::continuation, "\xba\xe1\xbd", false) +
             client(Opcode::continuation, "\xb9"),
         {text("\xce\xba\xe1\xbd\xb9")},
         ""},
        {"a frame cut short waits", client(Opcode::text, "Hello").substr(0, 8), {}, ""},
    };
    for (const Case& c : cases) check(c);
}

TEST(WebSocketSession, AnswersControlFramesBetweenFragments) {
    const std::vector<Case> cases = {
        {"ping is answered with its payload",
         client(Opcode::ping, "Hello"),
         {},
         server(Opcode::pong, "Hello")},
        {"an empty ping", client(Opcode::ping, ""), {}, server(Opcode::pong, "")},
        {"RFC 6455 5.7 masked pong is ignored", rfc_masked_pong, {}, ""},
        {"ping and pong between fragments",
         client(Opcode::text, "Hel", false) + client(Opcode::ping, "p1") +
             client(Opcode::pong, "x") + client(Opcode::continuation, "l", false) +
             client(Opcode::ping, "p2") + client(Opcode::continuation, "o"),
         {text("Hello")},
         server(Opcode::pong, "p1") + server(Opcode::pong, "p2")},
        {"a ping of 125 bytes",
         client(Opcode::ping, std::string(125, 'p')),
         {},
         server(Opcode::pong, std::string(125, 'p'))},
    };
    for (const Case& c : cases) check(c);
}

// ---- the close handshake -------------------------------------------------------------------

TEST(WebSocketSession, EchoesTheClientsCloseAndStops) {
    const std::string bye = client(Opcode::close, close_body(1000, "bye"));
    const std::vector<Case> cases = {
        {"an empty close is 1005 and answered empty",
         client(Opcode::close, ""),
         {closed(1005)},
         server(Opcode::close, ""),
         State::closed},
        {"a code and reason: the code is echoed",
         bye,
         {closed(1000, "bye")},
         close_reply(1000),
         State::closed},
        {"bytes after the close are not taken",
         bye + client(Opcode::text, "late"),
         {closed(1000, "bye")},
         close_reply(1000),
         State::closed,
         std::nullopt,
         {},
         bye.size()},
        {"close between fragments",
         client(Opcode::text, "Hel", false) + client(Opcode::close, close_body(1001)),
         {closed(1001)},
         close_reply(1001),
         State::closed},
        {"a close of 125 bytes",
         client(Opcode::close, close_body(4000, std::string(123, 'r'))),
         {closed(4000, std::string(123, 'r'))},
         close_reply(4000),
         State::closed},
        {"a UTF-8 reason",
         client(Opcode::close, close_body(1000, "\xce\xba\xe1\xbd\xb9")),
         {closed(1000, "\xce\xba\xe1\xbd\xb9")},
         close_reply(1000),
         State::closed},
    };
    for (const Case& c : cases) check(c);
}

TEST(WebSocketSession, AcceptsEveryCloseCodeThatMayBeSent) {
    // Autobahn 7.7: each valid code is echoed.
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                           3000, 3999, 4000, 4999}) {
        const auto c = static_cast<std::uint16_t>(code);
        check({"code " + std::to_string(code),
               client(Opcode::close, close_body(c)),
               {closed(c)},
               close_reply(c),
               State::closed});
    }
}

TEST(WebSocketSession, RefusesCloseCodesThatMayNotBeSent) {
    // Autobahn 7.9 and the ends of each range.
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        const auto c = static_cast<std::uint16_t>(code);
        check({"code " + std::to_string(code),
               client(Opcode::close, close_body(c)),
               {failed(failures::close_code)},
               fail_close(failures::close_code),
               State::failed});
    }
}

// ---- failures -------------------------------------------------------------------------------

/// A case whose wire fails the connection with `f` (everything taken).
Case fails(std::string name, std::string wire, const lesto::ws::Failure& f,
           std::vector<WsEvent> before = {}, std::string out_before = {}) {
    before.push_back(failed(f));
    return {std::move(name), std::move(wire), std::move(before), out_before + fail_close(f),
            State::failed};
}

TEST(WebSocketSession, FailsOnBrokenFramesWithTheRightCode) {
    const std::string hello_126 = bytes({0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0}) + "Hello";
    std::vector<Case> cases = {
        fails("RFC 6455 5.7 unmasked text", bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}),
              failures::unmasked),
        fails("RFC 6455 5.7 unmasked fragment", bytes({0x01, 0x03, 0x48, 0x65, 0x6c}),
              failures::unmasked),
        fails("RSV1 without deflate", client(Opcode::text, "x", true, rsv1),
              failures::reserved_bits),
        fails("RSV2", client(Opcode::text, "x", true, lesto::ws::rsv2), failures::reserved_bits),
        fails("RSV3", client(Opcode::text, "x", true, lesto::ws::rsv3), failures::reserved_bits),
        fails("fragmented ping", client(Opcode::ping, "x", false), failures::fragmented_control),
        fails("ping of 126 bytes", client(Opcode::ping, std::string(126, 'p')),
              failures::long_control),
        fails("close of one byte", client(Opcode::close, "\x03"), failures::close_one_byte),
        fails("close reason not UTF-8",
              client(Opcode::close, close_body(1000, "\xce\xba\xed\xa0\x80")),
              failures::close_reason_utf8),
        fails("continuation without a message", client(Opcode::continuation, "x"),
              failures::stray_continuation),
        fails("text inside a message", client(Opcode::text, "a", false) + client(Opcode::text, "b"),
              failures::interleaved_message),
        fails("length 5 in 16 bits", hello_126, failures::non_minimal_length),
        fails("length 200 in 64 bits",
              bytes({0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0, 0}) + std::string(200, 'x'),
              failures::non_minimal_length),
        fails("64-bit length with the top bit",
              bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), failures::long_length),
        fails("text not UTF-8", client(Opcode::text, "a\xff"), failures::text_utf8),
        fails("text ending inside a character", client(Opcode::text, "a\xe1\xbd"),
              failures::text_utf8),
        fails("text fragments not UTF-8 together",
              client(Opcode::text, "\xed", false) + client(Opcode::continuation, "\xa0\x80"),
              failures::text_utf8),
        fails("a surrogate", client(Opcode::text, "\xed\xa0\x80"), failures::text_utf8),
        fails("an overlong slash", client(Opcode::text, "\xc0\xaf"), failures::text_utf8),
        fails("above U+10FFFF", client(Opcode::text, "\xf4\x90\x80\x80"), failures::text_utf8),
        fails("pong first, then a bad frame",
              client(Opcode::ping, "a") + client(Opcode::binary, "b") +
                  client(Opcode::continuation, "c"),
              failures::stray_continuation, {binary("b")}, server(Opcode::pong, "a")),
    };
    for (const int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf}) {
        cases.push_back(fails("opcode " + std::to_string(op), client(static_cast<Opcode>(op), "x"),
                              failures::unknown_opcode));
    }
    for (const Case& c : cases) check(c);
}

TEST(WebSocketSession, FailsUTF8AtTheFirstBadByteNotAtTheEnd) {
    // Autobahn 6.4.3: the bad byte arrives while the frame is still open:
    // the close goes out at once, before the rest of the frame.
    const std::string frame = client(Opcode::text,
                                     "\xce\xba\xe1\xbd\xb9\xf4\x90\x80\x80"
                                     "abc");
    const std::size_t bad = frame.size() - 3 - 3;  // the 0x90 after 0xf4
    for (std::size_t cut = 1; cut <= bad; ++cut) {
        lesto::ws::Session s({}, nullptr);
        lesto::Buffer out;
        struct : lesto::ws::Events {
            std::uint16_t code = 0;
            void message(lesto::ws::Kind, std::string_view) override {}
            void closed(std::uint16_t c, std::string_view) override { code = c; }
        } events;
        std::string first = frame.substr(0, cut);
        s.feed(first, events, out);
        EXPECT_EQ(s.state(), State::open) << cut;
        std::string second = frame.substr(cut, bad + 1 - cut);
        s.feed(second, events, out);
        EXPECT_EQ(s.state(), State::failed) << cut;
        EXPECT_EQ(events.code, 1007) << cut;
    }
}

TEST(WebSocketSession, RefusesFramesAndMessagesOverTheLimitsBeforeBufferingThem) {
    Limits small;
    small.max_message = 10;
    small.max_frame = 6;
    std::vector<Case> cases = {
        {"a frame at the limit", client(Opcode::binary, "123456"), {binary("123456")}, ""},
        fails("a frame over it", client(Opcode::binary, "1234567"), failures::frame_too_big),
        {"a message at the limit",
         client(Opcode::text, "12345", false) + client(Opcode::continuation, "67890"),
         {text("1234567890")},
         ""},
        fails("a message over it",
              client(Opcode::text, "12345", false) + client(Opcode::continuation, "67890", false) +
                  client(Opcode::continuation, "x"),
              failures::message_too_big),
        // Only the header has come: refused all the same.
        fails("a huge frame's header alone",
              bytes({0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}), failures::frame_too_big),
    };
    for (Case& c : cases) {
        c.limits = small;
        check(c);
    }
}

// ---- after the server's close ------------------------------------------------------------------

TEST(WebSocketSession, AfterItsCloseTheServerDropsDataAndWaitsForTheReply) {
    for (const bool reply_with_code : {false, true}) {
        lesto::ws::Session s({}, nullptr);
        lesto::Buffer out;
        ASSERT_TRUE(s.close(1001, "going", out));
        EXPECT_EQ(out.view(), server(Opcode::close, close_body(1001, "going")));
        EXPECT_EQ(s.state(), State::closing);
        EXPECT_FALSE(s.done());
        EXPECT_FALSE(s.send(lesto::ws::Kind::text, "no", out));
        EXPECT_FALSE(s.close(1000, "", out));
        out.clear();
        std::vector<WsEvent> events;
        struct Rec : lesto::ws::Events {
            std::vector<WsEvent>* e;
            void message(lesto::ws::Kind, std::string_view p) override { e->push_back(text(p)); }
            void closed(std::uint16_t c, std::string_view r) override {
                e->push_back(::closed(c, r));
            }
        } rec;
        rec.e = &events;
        std::string wire = client(Opcode::text, "dropped") + client(Opcode::ping, "unanswered") +
                           client(Opcode::binary, "x", false) + client(Opcode::continuation, "y") +
                           client(Opcode::close, reply_with_code ? close_body(1001) : "");
        EXPECT_EQ(s.feed(wire, rec, out), wire.size());
        EXPECT_EQ(events, std::vector<WsEvent>{closed(reply_with_code ? 1001 : 1005)});
        EXPECT_TRUE(out.empty()) << escape(out.view());
        EXPECT_EQ(s.state(), State::closed);
        EXPECT_TRUE(s.done());
    }
}

TEST(WebSocketSession, RefusesToSendWhatTheProtocolForbids) {
    lesto::ws::Session s({}, nullptr);
    lesto::Buffer out;
    EXPECT_FALSE(s.ping(std::string(126, 'p'), out));
    EXPECT_FALSE(s.close(1005, "reason", out));
    EXPECT_FALSE(s.close(1004, "", out));
    EXPECT_FALSE(s.close(1000, std::string(124, 'r'), out));
    EXPECT_FALSE(s.close(1000, "\xff", out));
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(s.ping("", out));
    EXPECT_TRUE(s.send(lesto::ws::Kind::binary, "b", out));
    EXPECT_TRUE(s.close(1005, "", out));  // no code: an empty close
    EXPECT_EQ(out.view(),
              server(Opcode::ping, "") + server(Opcode::binary, "b") + server(Opcode::close, ""));
}

TEST(WebSocketSession, SendsFramesWithTheShortestLength) {
    lesto::ws::Session s({}, nullptr);
    for (const std::size_t n : {0, 125, 126, 65535, 65536}) {
        lesto::Buffer out;
        const std::string payload(n, 'x');
        ASSERT_TRUE(s.send(lesto::ws::Kind::text, payload, out));
        EXPECT_EQ(out.view(), server(Opcode::text, payload)) << n;
        EXPECT_EQ(out.size(), n + lesto::ws::header_size(n)) << n;
    }
}

TEST(WebSocketSession, HandsAWholeFrameOverWhereItLies) {
    std::string wire = client(Opcode::binary, "in place");
    lesto::ws::Session s({}, nullptr);
    lesto::Buffer out;
    struct : lesto::ws::Events {
        const char* at = nullptr;
        void message(lesto::ws::Kind, std::string_view p) override { at = p.data(); }
        void closed(std::uint16_t, std::string_view) override {}
    } events;
    s.feed(wire, events, out);
    EXPECT_EQ(events.at, wire.data() + 6);  // after the 2-byte header and the key
    EXPECT_EQ(wire.substr(6), "in place");  // unmasked in place
}

TEST(WebSocketSession, StopsBeforeABadFrameThatFollowsAMessageUntilFedAgain) {
    // Autobahn 3.2: a message, then a frame with RSV2, in one read. The
    // app's answer to the message must be able to go out before the close.
    const std::string message = client(Opcode::text, "first");
    std::string wire = message + client(Opcode::text, "bad", true, lesto::ws::rsv2);
    lesto::ws::Session s({}, nullptr);
    lesto::Buffer out;
    struct : lesto::ws::Events {
        int messages = 0;
        std::uint16_t code = 0;
        void message(lesto::ws::Kind, std::string_view) override { ++messages; }
        void closed(std::uint16_t c, std::string_view) override { code = c; }
    } events;
    const std::size_t used = s.feed(wire, events, out);
    EXPECT_EQ(used, message.size());
    EXPECT_TRUE(s.deferred());
    EXPECT_EQ(events.messages, 1);
    EXPECT_EQ(s.state(), State::open);
    EXPECT_TRUE(out.empty());
    s.feed({wire.data() + used, wire.size() - used}, events, out);
    EXPECT_FALSE(s.deferred());
    EXPECT_EQ(s.state(), State::failed);
    EXPECT_EQ(events.code, failures::reserved_bits.code);
}

// ---- permessage-deflate (RFC 7692) -------------------------------------------------------------

DeflateParams takeover() { return {}; }
DeflateParams no_takeover() {
    DeflateParams p;
    p.client_no_context_takeover = true;
    p.server_no_context_takeover = true;
    return p;
}

// RFC 7692 7.2.3.1: "Hello" compressed.
const std::string hello_deflated = bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
// 7.2.3.2: the second "Hello" with the first one's window.
const std::string hello_again = bytes({0xf2, 0x00, 0x11, 0x00, 0x00});

TEST(WebSocketSession, InflatesTheRFC7692Examples) {
    std::vector<Case> cases = {
        {"7.2.3.1 a message in one frame",
         client(Opcode::text, hello_deflated, true, rsv1),
         {text("Hello")},
         ""},
        {"7.2.3.1 in two fragments",
         client(Opcode::text, hello_deflated.substr(0, 3), false, rsv1) +
             client(Opcode::continuation, hello_deflated.substr(3)),
         {text("Hello")},
         ""},
        {"7.2.3.2 sharing the window",
         client(Opcode::text, hello_deflated, true, rsv1) +
             client(Opcode::text, hello_again, true, rsv1),
         {text("Hello"), text("Hello")},
         ""},
        {"7.2.3.3 a stored block",
         client(Opcode::text,
                bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}), true,
                rsv1),
         {text("Hello")},
         ""},
        {"7.2.3.4 a block with BFINAL, then the window again",
         client(Opcode::text, bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}), true, rsv1) +
             client(Opcode::text, hello_again, true, rsv1),
         {text("Hello"), text("Hello")},
         ""},
        {"7.2.3.5 two blocks in one message",
         client(
             Opcode::binary,
             bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}),
             true, rsv1),
         {binary("Hello")},
         ""},
        {"an uncompressed message among compressed ones",
         client(Opcode::text, hello_deflated, true, rsv1) + client(Opcode::text, "plain") +
             client(Opcode::text, hello_again, true, rsv1),
         {text("Hello"), text("plain"), text("Hello")},
         ""},
        {"the empty message (7.2.3.6)",
         client(Opcode::binary, std::string(1, '\0'), true, rsv1),
         {binary("")},
         ""},
        fails("RSV1 on a continuation",
              client(Opcode::text, hello_deflated.substr(0, 3), false, rsv1) +
                  client(Opcode::continuation, hello_deflated.substr(3), true, rsv1),
              failures::compressed_continuation),
        fails("RSV1 on a ping", client(Opcode::ping, "x", true, rsv1),
              failures::compressed_control),
        fails("not DEFLATE data", client(Opcode::binary, "\xff\xff\xff", true, rsv1),
              failures::bad_compression),
        fails("compressed text not UTF-8",
              client(Opcode::text, bytes({0x00, 0x02, 0x00, 0xfd, 0xff, 0xc0, 0xaf, 0x00}), true,
                     rsv1),
              failures::text_utf8),
    };
    for (Case& c : cases) {
        if (!c.deflate) c.deflate = takeover();
        check(c);
    }
    // Without context takeover the second message may not use the first's window.
    Case reset = fails("7.2.3.2 without context takeover",
                       client(Opcode::text, hello_deflated, true, rsv1) +
                           client(Opcode::text, hello_again, true, rsv1),
                       failures::bad_compression, {text("Hello")});
    reset.deflate = no_takeover();
    check(reset);
    // Each message then inflates on its own: zlib's stream lasts from the
    // first fragment to the last, and the next message starts afresh.
    Case fresh = {"7.2.3.1 twice without context takeover, the first in two fragments",
                  client(Opcode::text, hello_deflated.substr(0, 3), false, rsv1) +
                      client(Opcode::continuation, hello_deflated.substr(3)) +
                      client(Opcode::text, hello_deflated, true, rsv1),
                  {text("Hello"), text("Hello")},
                  ""};
    fresh.deflate = no_takeover();
    check(fresh);
}

TEST(WebSocketSession, BoundsWhatAMessageInflatesTo) {
    lesto::ws::Deflater client_side(takeover());
    lesto::Buffer bomb;
    ASSERT_TRUE(client_side.compress(std::string(100000, 'a'), bomb));
    ASSERT_LT(bomb.size(), 200u);
    Limits limits;
    limits.max_message = 1000;
    Case c = fails("100 KB of 'a' in a few bytes", client(Opcode::binary, bomb.view(), true, rsv1),
                   failures::message_too_big);
    c.deflate = takeover();
    c.limits = limits;
    check(c);
    limits.max_message = 100000;
    c = {"exactly at the bound",
         client(Opcode::binary, bomb.view(), true, rsv1),
         {binary(std::string(100000, 'a'))},
         ""};
    c.deflate = takeover();
    c.limits = limits;
    check(c);
}

TEST(WebSocketSession, CompressesWhatItSendsAsRFC7692Shows) {
    for (const bool keep : {true, false}) {
        const DeflateParams params = keep ? takeover() : no_takeover();
        lesto::ws::Session s({}, &params);
        lesto::Buffer out;
        ASSERT_TRUE(s.send(lesto::ws::Kind::text, "Hello", out));
        ASSERT_TRUE(s.send(lesto::ws::Kind::text, "Hello", out));
        ASSERT_TRUE(s.send(lesto::ws::Kind::binary, "", out));
        // 7.2.3.1, 7.2.3.2 (or 7.2.3.1 again without takeover), 7.2.3.6.
        const std::string second = keep ? hello_again : hello_deflated;
        EXPECT_EQ(escape(out.view()),
                  escape(server_frame(Opcode::text, hello_deflated, true, rsv1) +
                         server_frame(Opcode::text, second, true, rsv1) +
                         server_frame(Opcode::binary, std::string(1, '\0'), true, rsv1)));
    }
}

// A client that named a small window and refers further back: zlib can
// reach into what the same call made, so a small inflate window would
// catch it in some splits of the wire and not in others. The server
// inflates within the largest window whatever was agreed: the message
// comes through every way.
TEST(WebSocketSession, InflatesAReferenceBeyondTheAgreedWindowEveryWay) {
    std::string block;
    std::uint32_t x = 12345;
    for (int i = 0; i < 300; ++i) block += static_cast<char>((x = x * 1103515245 + 12345) >> 24);
    DeflateParams wide;  // what the client really compresses with: 15 bits
    lesto::ws::Deflater client_deflater(wide);
    lesto::Buffer compressed;
    ASSERT_TRUE(client_deflater.compress(block + block, compressed));
    ASSERT_LT(compressed.size(), 400u);  // the second block is a reference 300 bytes back
    DeflateParams agreed;
    agreed.client_max_window_bits = 8;
    Case c = {"a reference 300 bytes back in a window of 256",
              client(Opcode::binary, compressed.view(), true, rsv1),
              {binary(block + block)},
              ""};
    c.deflate = agreed;
    check(c);
}

TEST(WebSocketSession, RoundTripsCompressedMessagesOfEveryWindow) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919 % 1000) + ",";
    for (std::uint8_t bits = 8; bits <= 15; ++bits) {
        DeflateParams p;
        p.server_max_window_bits = bits;
        p.client_max_window_bits = bits;
        // What the server sends, a client with that window inflates.
        lesto::ws::Session server_side({}, &p);
        lesto::Buffer out;
        ASSERT_TRUE(server_side.send(lesto::ws::Kind::text, big, out));
        ASSERT_TRUE(server_side.send(lesto::ws::Kind::text, big, out));
        const auto frames = read_server_frames(out.view(), fail_test);
        ASSERT_EQ(frames.size(), 2u);
        lesto::ws::Inflater client_side(p);
        for (const ServerFrame& f : frames) {
            lesto::Buffer inflated;
            ASSERT_EQ(client_side.feed(f.payload, inflated, big.size()),
                      lesto::ws::Inflater::Result::ok);
            ASSERT_EQ(client_side.finish(inflated, big.size()), lesto::ws::Inflater::Result::ok);
            EXPECT_TRUE(inflated.view() == big) << int(bits);
        }
        // And the other way, through the session's own reading, in pieces.
        lesto::ws::Deflater client_deflater(p);
        lesto::Buffer compressed;
        ASSERT_TRUE(client_deflater.compress(big, compressed));
        const std::string wire = client(Opcode::text, compressed.view(), true, rsv1);
        const WsOutcome o = run_session(wire, random_ends(wire.size(), bits), {}, &p, fail_test);
        ASSERT_EQ(o.events.size(), 1u);
        EXPECT_TRUE(o.events[0] == text(big)) << int(bits);
    }
}

// ---- parking: an idle connection keeps only its windows -------------------------------------

/// The messages a session delivers, as text.
struct Received final : lesto::ws::Events {
    std::vector<std::string> messages;
    void message(lesto::ws::Kind, std::string_view payload) override {
        messages.emplace_back(payload);
    }
    void closed(std::uint16_t code, std::string_view) override {
        messages.push_back("closed " + std::to_string(code));
    }
};

std::size_t feed_all(lesto::ws::Session& s, std::string wire, Received& got, lesto::Buffer& out) {
    return s.feed({wire.data(), wire.size()}, got, out);
}

TEST(WebSocketSession, ParkedCompressesWithTheWindowItHad) {
    // 7.2.3.2's second "Hello" refers back to the first: after parking, the
    // new stream must still have it, or it would compress "Hello" afresh.
    // Parked or not, the bytes are the same.
    const DeflateParams params = takeover();
    lesto::ws::Session parked({}, &params);
    lesto::ws::Session kept({}, &params);
    lesto::Buffer out;
    lesto::Buffer reference;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(parked.send(lesto::ws::Kind::text, "Hello", out));
        ASSERT_TRUE(kept.send(lesto::ws::Kind::text, "Hello", reference));
        parked.park();
        if (i == 1) parked.park();  // twice in a row: nothing more to give back
    }
    EXPECT_EQ(escape(out.view()), escape(reference.view()));
    EXPECT_TRUE(out.view().starts_with(server_frame(Opcode::text, hello_deflated, true, rsv1) +
                                       server_frame(Opcode::text, hello_again, true, rsv1)));
}

TEST(WebSocketSession, ParkedInflatesWithTheWindowItHad) {
    const DeflateParams params = takeover();
    lesto::ws::Session s({}, &params);
    Received got;
    lesto::Buffer out;
    s.park();  // before any message: nothing to keep
    feed_all(s, client(Opcode::text, hello_deflated, true, rsv1), got, out);
    s.park();
    feed_all(s, client(Opcode::text, hello_again, true, rsv1), got, out);
    // Half a message in: the stream holds more than its window, so it stays.
    feed_all(s, client(Opcode::text, hello_again.substr(0, 2), false, rsv1), got, out);
    s.park();
    feed_all(s, client(Opcode::continuation, hello_again.substr(2)), got, out);
    EXPECT_EQ(got.messages, (std::vector<std::string>{"Hello", "Hello", "Hello"}));
    EXPECT_EQ(out.view(), "");
    EXPECT_EQ(s.state(), State::open);
}

TEST(WebSocketSession, ParksOnlyOnABlockBoundary) {
    // A message cut inside a block (no conforming client sends one: its
    // sync flush ends on a boundary) leaves inflate state that the window
    // does not hold; parked anyway, what follows would read otherwise.
    const DeflateParams params = takeover();
    for (const std::string& first : {hello_deflated.substr(0, 6), hello_deflated.substr(0, 3)}) {
        const std::string wire = client(Opcode::text, first, true, rsv1) +
                                 client(Opcode::text, hello_again, true, rsv1) +
                                 client(Opcode::text, hello_deflated, true, rsv1);
        const WsOutcome whole = run_session(wire, {wire.size()}, {}, &params, fail_test);
        const WsOutcome parked =
            run_session(wire, bytewise_ends(wire.size()), {}, &params, fail_test, true);
        EXPECT_TRUE(parked == whole) << "whole: " << show(whole) << "\nparked: " << show(parked);
    }
}

TEST(WebSocketSession, ParkedRoundTripsLongMessagesOfEveryWindow) {
    // A window full of earlier text: the parked bytes are the last 2^bits,
    // exactly what a client's window holds.
    std::string big;
    for (int i = 0; i < 5000; ++i) big += std::to_string(i * 7919 % 1000) + ",";
    for (std::uint8_t bits = 9; bits <= 15; ++bits) {
        DeflateParams p;
        p.server_max_window_bits = bits;
        p.client_max_window_bits = bits;
        lesto::ws::Session server_side({}, &p);
        lesto::ws::Inflater client_inflater(p);
        lesto::ws::Deflater client_deflater(p);
        Received got;
        for (int round = 0; round < 3; ++round) {
            lesto::Buffer out;
            ASSERT_TRUE(server_side.send(lesto::ws::Kind::text, big, out));
            const auto frames = read_server_frames(out.view(), fail_test);
            ASSERT_EQ(frames.size(), 1u);
            lesto::Buffer inflated;
            ASSERT_EQ(client_inflater.feed(frames[0].payload, inflated, big.size()),
                      lesto::ws::Inflater::Result::ok);
            ASSERT_EQ(client_inflater.finish(inflated, big.size()),
                      lesto::ws::Inflater::Result::ok);
            EXPECT_TRUE(inflated.view() == big) << int(bits) << " round " << round;
            lesto::Buffer compressed;
            ASSERT_TRUE(client_deflater.compress(big, compressed));
            feed_all(server_side, client(Opcode::text, compressed.view(), true, rsv1), got, out);
            server_side.park();
        }
        ASSERT_EQ(got.messages.size(), 3u) << int(bits);
        for (const std::string& m : got.messages) EXPECT_TRUE(m == big) << int(bits);
    }
}

}  // namespace
