// websocket_handshake_test.cpp: upgrade requests as data, parsed as the server parses them, checked
// and answered; permessage-deflate offers and answers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser/parser.hpp"
#include "support/bytes.hpp"
#include "websocket/handshake.hpp"

namespace {

using lesto::test::escape;
using lesto::ws::DeflateOptions;
using lesto::ws::DeflateParams;
using lesto::ws::Handshake;
using lesto::ws::Refusal;
namespace refusals = lesto::ws::refusals;

// RFC 6455 1.3's example key and its answer.
constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Parses `wire` with the request parser, as the connection would have.
struct Parsed {
    std::string wire;
    lesto::http::Limits limits;
    lesto::http::RequestHead head;
    explicit Parsed(std::string w) : wire(std::move(w)) {
        lesto::http::RequestParser p(limits);
        const auto r = p.parse(wire, head);
        EXPECT_EQ(r.status, lesto::http::ParseStatus::complete) << escape(wire);
    }
};

/// A valid upgrade request with `fields` after the usual ones (each with its CRLF).
std::string request(std::string_view fields = {}, std::string_view first = "GET /chat HTTP/1.1",
                    std::string_view key = sample_key) {
    return std::string(first) + "\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
           "Connection: Upgrade\r\nSec-WebSocket-Key: " + std::string(key) +
           "\r\nSec-WebSocket-Version: 13\r\n" + std::string(fields) + "\r\n";
}

struct HandshakeCase {
    const char* name;
    std::string wire;
    Refusal refusal;  ///< none: accepted
};

TEST(WebSocketHandshake, TellsAnUpgradeFromPlainHTTP) {
    const std::vector<std::pair<std::string, bool>> cases = {
        {request(), true},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, websocket\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websockets\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-Upgrade: websocket\r\n\r\n", false},
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false},
    };
    for (const auto& [wire, wants] : cases) {
        const Parsed p(wire);
        EXPECT_EQ(lesto::ws::wants_websocket(p.head), wants) << escape(wire);
    }
}

TEST(WebSocketHandshake, ChecksEveryRuleOf4_2_1) {
    const std::vector<HandshakeCase> cases = {
        {"RFC 6455 1.3's request", request("Origin: http://example.com\r\n"), {}},
        {"Connection among other options", request("Connection: keep-alive\r\n"), {}},
        {"Connection: keep-alive, Upgrade on one line",
         "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         {}},
        {"Content-Length: 0 is no body", request("Content-Length: 0\r\n"), {}},
        {"POST", request({}, "POST /chat HTTP/1.1"), refusals::not_get},
        {"HTTP/1.0", request({}, "GET /chat HTTP/1.0"), refusals::not_http11},
        {"no Connection: upgrade",
         "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         refusals::no_connection_upgrade},
        {"a body", request("Content-Length: 3\r\n"), refusals::has_body},
        {"a chunked body", request("Transfer-Encoding: chunked\r\n"), refusals::has_body},
        {"version 8",
         "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
         refusals::version},
        {"no version",
         "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
         refusals::version},
        {"two versions", request("Sec-WebSocket-Version: 13\r\n"), refusals::two_versions},
        {"no key",
         "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n",
         refusals::no_key},
        {"two keys", request("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
         refusals::two_keys},
        {"a key of 15 bytes", request({}, "GET / HTTP/1.1", "dGhlIHNhbXBsZSBub25jZQ="),
         refusals::bad_key},
        {"a key of 17 bytes", request({}, "GET / HTTP/1.1", "dGhlIHNhbXBsZSBub25jZQ==="),
         refusals::bad_key},
        {"a key not base64", request({}, "GET / HTTP/1.1", "dGhlIHNhbXBsZSBub25jZ!=="),
         refusals::bad_key},
        {"a key without its padding", request({}, "GET / HTTP/1.1", "dGhlIHNhbXBsZSBub25jZQAA"),
         refusals::bad_key},
        {"a subprotocol that is no token", request("Sec-WebSocket-Protocol: chat, a b\r\n"),
         refusals::bad_protocol},
    };
    for (const HandshakeCase& c : cases) {
        SCOPED_TRACE(std::string(c.name) + ": " + escape(c.wire));
        const Parsed p(c.wire);
        ASSERT_TRUE(lesto::ws::wants_websocket(p.head));
        Handshake h;
        const Refusal r = lesto::ws::read_handshake(p.head, {}, h);
        EXPECT_EQ(r.status, c.refusal.status);
        EXPECT_EQ(r.reason, c.refusal.reason);
        if (r) continue;
        EXPECT_EQ(h.key, sample_key);
    }
}

TEST(WebSocketHandshake, Answers426WithTheVersionItSpeaks) {
    const auto headers = lesto::ws::refusal_headers(refusals::version);
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers[0].name, "Sec-WebSocket-Version");
    EXPECT_EQ(headers[0].value, "13");
    EXPECT_TRUE(lesto::ws::refusal_headers(refusals::bad_key).empty());
}

TEST(WebSocketHandshake, ReadsSubprotocolsFromEveryLineAndTheOrigin) {
    const Parsed p(
        request("Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, , v2.chat\r\n"
                "Sec-WebSocket-Protocol: superchat\r\n"));
    Handshake h;
    ASSERT_FALSE(lesto::ws::read_handshake(p.head, {}, h));
    EXPECT_EQ(h.origin, "http://example.com");
    EXPECT_EQ(h.subprotocols, (std::vector<std::string_view>{"chat", "v2.chat", "superchat"}));
    EXPECT_TRUE(lesto::ws::is_offered(h, "superchat"));
    EXPECT_FALSE(lesto::ws::is_offered(h, "Chat"));
    EXPECT_FALSE(h.deflate);
}

TEST(WebSocketHandshake, ComputesTheAcceptKeyOf1_3) {
    const lesto::ws::AcceptKey k = lesto::ws::accept_key(sample_key);
    EXPECT_EQ(std::string_view(k.data(), k.size()), sample_accept);
}

TEST(WebSocketHandshake, WritesThe101) {
    lesto::Buffer out;
    out.append("kept");
    DeflateParams d;
    d.server_no_context_takeover = true;
    const lesto::http::Header extra[] = {{"Set-Cookie", "a=b"}, {"X-Room", "lobby"}};
    EXPECT_EQ(lesto::ws::render_accept(out, sample_accept, "chat", &d, extra), "");
    EXPECT_EQ(out.view(),
              "keptHTTP/1.1 101 Switching Protocols\r\n"
              "Upgrade: websocket\r\n"
              "Connection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
              "Sec-WebSocket-Protocol: chat\r\n"
              "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
              "Set-Cookie: a=b\r\n"
              "X-Room: lobby\r\n"
              "\r\n");
    out.clear();
    EXPECT_EQ(lesto::ws::render_accept(out, sample_accept, "", nullptr, {}), "");
    EXPECT_EQ(out.view(),
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(WebSocketHandshake, RefusesHeadersThatWouldSplitTheResponse) {
    const std::vector<std::vector<lesto::http::Header>> bad = {
        {{"X-Evil", "a\r\nSet-Cookie: stolen"}},
        {{"X Evil", "a"}},
        {{"", "a"}},
        {{"Content-Length", "0"}},
        {{"Sec-WebSocket-Accept", "forged"}},
        {{"connection", "close"}},
        {{"X-Nul", std::string_view("a\0b", 3)}},
    };
    for (const auto& headers : bad) {
        lesto::Buffer out;
        const std::string why = lesto::ws::render_accept(out, sample_accept, "", nullptr, headers);
        EXPECT_FALSE(why.empty()) << escape(headers[0].name);
        EXPECT_TRUE(out.empty());
    }
    lesto::Buffer out;
    EXPECT_EQ(lesto::ws::render_accept(out, sample_accept, "a b", nullptr, {}),
              "subprotocol 'a b' is not a token; a token holds letters, digits and "
              "!#$%&'*+-.^_`|~");
    EXPECT_NE(lesto::ws::render_accept(out, sample_accept, "x\r\ny", nullptr, {}), "");
    EXPECT_TRUE(out.empty());
}

// ---- permessage-deflate negotiation (RFC 7692 5, 7.1) ------------------------------------------

struct OfferCase {
    const char* name;
    std::string extensions;  ///< Sec-WebSocket-Extensions value(s), one per line
    DeflateOptions options;
    const char* response;  ///< the answer, or null for none
};

TEST(WebSocketHandshake, AnswersTheFirstAcceptableDeflateOffer) {
    DeflateOptions small;
    small.server_max_window_bits = 10;
    small.client_max_window_bits = 9;
    DeflateOptions off;
    off.enabled = false;
    DeflateOptions forget;
    forget.server_no_context_takeover = true;
    forget.client_no_context_takeover = true;
    const std::vector<OfferCase> cases = {
        {"a bare offer", "permessage-deflate", {}, "permessage-deflate"},
        {"in any case", "PerMessage-Deflate", {}, "permessage-deflate"},
        {"disabled", "permessage-deflate", off, nullptr},
        {"another extension only", "x-webkit-deflate-frame", {}, nullptr},
        {"Chrome's offer", "permessage-deflate; client_max_window_bits", {}, "permessage-deflate"},
        {"client_max_window_bits answered when smaller",
         "permessage-deflate; client_max_window_bits", small,
         "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"},
        {"a client's bound kept",
         "permessage-deflate; client_max_window_bits=8",
         {},
         "permessage-deflate; client_max_window_bits=8"},
        {"server_max_window_bits answered",
         "permessage-deflate; server_max_window_bits=12",
         {},
         "permessage-deflate; server_max_window_bits=12"},
        {"the smaller of the two", "permessage-deflate; server_max_window_bits=12", small,
         "permessage-deflate; server_max_window_bits=10"},
        {"8 is kept (zlib's 9 never reaches past 256 bytes)",
         "permessage-deflate; server_max_window_bits=8",
         {},
         "permessage-deflate; server_max_window_bits=8"},
        {"Autobahn 13.5",
         "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
         {},
         "permessage-deflate; server_no_context_takeover; server_max_window_bits=8"},
        {"client_no_context_takeover agreed",
         "permessage-deflate; client_no_context_takeover",
         {},
         "permessage-deflate; client_no_context_takeover"},
        {"takeover refused by the server", "permessage-deflate", forget,
         "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
        {"a quoted value",
         "permessage-deflate; server_max_window_bits=\"10\"",
         {},
         "permessage-deflate; server_max_window_bits=10"},
        {"spaces around ; and =",
         "permessage-deflate ;server_max_window_bits = 10 ",
         {},
         "permessage-deflate; server_max_window_bits=10"},
        {"Autobahn 13.7: the first of several",
         "permessage-deflate; server_no_context_takeover; server_max_window_bits=8, "
         "permessage-deflate; server_no_context_takeover, permessage-deflate",
         {},
         "permessage-deflate; server_no_context_takeover; server_max_window_bits=8"},
        {"a bad offer skipped for the next",
         "permessage-deflate; server_max_window_bits=16, permessage-deflate; "
         "client_no_context_takeover",
         {},
         "permessage-deflate; client_no_context_takeover"},
        {"an offer on a later line",
         "foo\r\nSec-WebSocket-Extensions: permessage-deflate",
         {},
         "permessage-deflate"},
        {"another extension first",
         "foo; bar=\"a,b\", permessage-deflate",
         {},
         "permessage-deflate"},
        {"no offer hides in a quoted string",
         "foo; bar=\"x y, permessage-deflate, z\"",
         {},
         nullptr},
        {"unknown parameter", "permessage-deflate; foo", {}, nullptr},
        {"repeated parameter",
         "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
         {},
         nullptr},
        {"a value on a flag", "permessage-deflate; client_no_context_takeover=1", {}, nullptr},
        {"server_max_window_bits bare", "permessage-deflate; server_max_window_bits", {}, nullptr},
        {"7 bits", "permessage-deflate; server_max_window_bits=7", {}, nullptr},
        {"16 bits", "permessage-deflate; client_max_window_bits=16", {}, nullptr},
        {"a leading zero", "permessage-deflate; server_max_window_bits=09", {}, nullptr},
        {"an empty value", "permessage-deflate; server_max_window_bits=", {}, nullptr},
        {"an unclosed quote", "permessage-deflate; server_max_window_bits=\"10", {}, nullptr},
        {"junk after the name", "permessage-deflate x", {}, nullptr},
    };
    for (const OfferCase& c : cases) {
        SCOPED_TRACE(std::string(c.name) + ": " + escape(c.extensions));
        const Parsed p(request("Sec-WebSocket-Extensions: " + c.extensions + "\r\n"));
        Handshake h;
        ASSERT_FALSE(lesto::ws::read_handshake(p.head, c.options, h));
        if (!c.response) {
            EXPECT_FALSE(h.deflate);
            continue;
        }
        ASSERT_TRUE(h.deflate);
        EXPECT_EQ(lesto::ws::deflate_response(*h.deflate), c.response);
    }
}

TEST(WebSocketHandshake, TheAgreementSaysWhichWindowsToUse) {
    const lesto::ws::DeflateOffer offer{false, true, 11, true, 10};
    DeflateOptions options;
    options.level = 1;
    const DeflateParams p = lesto::ws::accept_offer(offer, options);
    EXPECT_FALSE(p.server_no_context_takeover);
    EXPECT_TRUE(p.client_no_context_takeover);
    EXPECT_EQ(p.server_max_window_bits, 11);
    EXPECT_EQ(p.client_max_window_bits, 10);
    EXPECT_EQ(p.level, 1);
    // Without client_max_window_bits offered, the client may use 15 bits.
    EXPECT_EQ(lesto::ws::accept_offer({}, {}).client_max_window_bits, 15);
}

}  // namespace
