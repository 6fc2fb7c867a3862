// writer_test.cpp: exact bytes of rendered responses, and what the writer refuses.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "buffer/buffer.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"
#include "response/writer.hpp"

using lesto::Buffer;
using namespace lesto::http;

namespace {

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

std::string render(const ResponseSpec& spec) {
    Buffer out;
    EXPECT_EQ(write_response(out, spec, date), WriteStatus::ok);
    return std::string(out.view());
}

/// A spec with the one header `name: value` is refused whole: bad_header
/// and nothing appended.
testing::AssertionResult header_refused(const std::string& name, const std::string& value) {
    const Header headers[] = {{name, value}};
    ResponseSpec spec;
    spec.headers = headers;
    Buffer out;
    const WriteStatus st = write_response(out, spec, date);
    if (st != WriteStatus::bad_header) {
        return testing::AssertionFailure() << "status " << static_cast<int>(st);
    }
    if (!out.empty()) return testing::AssertionFailure() << "appended " << out.size() << " bytes";
    return testing::AssertionSuccess();
}

ResponseSpec hello() {
    ResponseSpec spec;
    spec.content_type = "text/plain";
    spec.charset = "utf-8";
    spec.body = "Hello world!";
    return spec;
}

}  // namespace

TEST(Writer, HelloWorld) {
    EXPECT_EQ(render(hello()),
              "HTTP/1.1 200 OK\r\n"
              "Content-Length: 12\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n"
              "Hello world!");
}

TEST(Writer, MinimalResponseHasLengthAndDateOnly) {
    ResponseSpec spec;
    EXPECT_EQ(
        render(spec),
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
}

TEST(Writer, ContentTypeWithoutCharsetAndCharsetWithoutContentType) {
    ResponseSpec spec;
    spec.content_type = "application/json";
    spec.body = "{}";
    EXPECT_EQ(render(spec),
              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n{}");
    spec.content_type = {};
    spec.charset = "utf-8";  // meaningless without a type: not sent
    EXPECT_EQ(render(spec),
              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n{}");
}

TEST(Writer, StatusLineForManyCodes) {
    for (int code : {200, 201, 202, 206, 226, 299, 301, 302, 307, 308, 399, 400, 401, 403,
                     404, 405, 413, 418, 422, 429, 431, 451, 499, 500, 502, 503, 511, 599}) {
        ResponseSpec spec;
        spec.status = code;
        spec.body = "x";
        std::string expect = "HTTP/1.1 " + std::to_string(code) + " " +
                             std::string(lesto::http::reason_phrase(code)) +
                             "\r\nContent-Length: 1\r\nDate: " + std::string(date) + "\r\n\r\nx";
        EXPECT_EQ(render(spec), expect) << code;
    }
}

TEST(Writer, SpotCheckStatusLines) {
    ResponseSpec spec;
    spec.status = 418;
    EXPECT_TRUE(render(spec).starts_with("HTTP/1.1 418 I'm a teapot\r\n"));
    spec.status = 422;
    EXPECT_TRUE(render(spec).starts_with("HTTP/1.1 422 Unprocessable Content\r\n"));
    spec.status = 429;
    EXPECT_TRUE(render(spec).starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
    spec.status = 599;
    EXPECT_TRUE(render(spec).starts_with("HTTP/1.1 599 Unknown Server Error\r\n"));
    spec.status = 100;
    EXPECT_TRUE(render(spec).starts_with("HTTP/1.1 100 Continue\r\n"));
}

TEST(Writer, HeadSendsTheGetLengthButNoBody) {
    ResponseSpec spec = hello();
    spec.head_request = true;
    EXPECT_EQ(render(spec),
              "HTTP/1.1 200 OK\r\n"
              "Content-Length: 12\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n");
}

TEST(Writer, NoBodyStatusesHaveNoLengthAndNoBody) {
    for (int code : {100, 101, 103, 150, 199, 204, 304}) {
        for (bool head : {false, true}) {
            ResponseSpec spec;
            spec.status = code;
            spec.head_request = head;
            spec.body = "must not be sent";
            spec.content_type = "text/plain";
            std::string expect = "HTTP/1.1 " + std::to_string(code) + " " +
                                 std::string(lesto::http::reason_phrase(code)) +
                                 "\r\nContent-Type: text/plain\r\nDate: " + std::string(date) +
                                 "\r\n\r\n";
            EXPECT_EQ(render(spec), expect) << code << " head=" << head;
        }
    }
}

TEST(Writer, ResponsesNextToNoBodyCodesKeepTheirBody) {
    for (int code : {200, 203, 205, 303, 305}) {
        ResponseSpec spec;
        spec.status = code;
        spec.body = "ab";
        EXPECT_NE(render(spec).find("Content-Length: 2\r\n"), std::string::npos) << code;
        EXPECT_TRUE(render(spec).ends_with("\r\n\r\nab")) << code;
    }
}

TEST(Writer, ConnectionHeaderAcrossVersions) {
    const std::string tail = "Date: " + std::string(date) + "\r\n";
    struct Case {
        std::uint8_t minor;
        bool keep_alive;
        const char* connection;
    };
    const Case cases[] = {
        {1, true, ""},
        {1, false, "Connection: close\r\n"},
        {0, true, "Connection: keep-alive\r\n"},
        {0, false, ""},
    };
    for (const Case& c : cases) {
        ResponseSpec spec;
        spec.version_minor = c.minor;
        spec.keep_alive = c.keep_alive;
        EXPECT_EQ(render(spec),
                  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + tail + c.connection + "\r\n")
            << "1." << int(c.minor) << " keep_alive=" << c.keep_alive;
    }
}

TEST(Writer, UserHeadersThenCookiesInOrder) {
    const Header headers[] = {
        {"X-First", "1"},  {"Cache-Control", "no-store"}, {"X-Empty", ""},
        {"X-Tab", "a\tb"}, {"X-First", "again"},
    };
    const std::string_view cookies[] = {"a=1; Path=/", "b=2; HttpOnly; SameSite=Lax"};
    ResponseSpec spec = hello();
    spec.keep_alive = false;
    spec.headers = headers;
    spec.set_cookies = cookies;
    EXPECT_EQ(render(spec),
              "HTTP/1.1 200 OK\r\n"
              "Content-Length: 12\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Connection: close\r\n"
              "X-First: 1\r\n"
              "Cache-Control: no-store\r\n"
              "X-Empty: \r\n"
              "X-Tab: a\tb\r\n"
              "X-First: again\r\n"
              "Set-Cookie: a=1; Path=/\r\n"
              "Set-Cookie: b=2; HttpOnly; SameSite=Lax\r\n"
              "\r\n"
              "Hello world!");
}

TEST(Writer, ObsTextInValuesIsAllowed) {
    const std::string value = "caf\xc3\xa9";
    const Header headers[] = {{"X-Name", value}};
    ResponseSpec spec;
    spec.headers = headers;
    EXPECT_NE(render(spec).find("X-Name: caf\xc3\xa9\r\n"), std::string::npos);
}

TEST(Writer, TokenPunctuationInNamesIsAllowed) {
    const Header headers[] = {{"!#$%&'*+-.^_`|~09azAZ", "v"}};
    ResponseSpec spec;
    spec.headers = headers;
    EXPECT_NE(render(spec).find("!#$%&'*+-.^_`|~09azAZ: v\r\n"), std::string::npos);
}

TEST(Writer, ControlByteAtEveryPositionOfEveryShortLengthIsRefused) {
    // Values are checked a word at a time; walk a bad byte across every
    // position of every length around the word sizes.
    std::vector<char> bad;
    for (int c = 0; c < 0x20; ++c) {
        if (c != '\t') bad.push_back(static_cast<char>(c));
    }
    bad.push_back('\x7f');
    for (std::size_t len = 1; len <= 40; ++len) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (char c : bad) {
                std::string value(len, 'a');
                value[pos] = c;
                ASSERT_TRUE(header_refused("X", value))
                    << "len " << len << " pos " << pos << " byte " << int(c);
            }
        }
    }
}

TEST(Writer, TabSpaceAndHighBytesAtEveryPositionAreAccepted) {
    for (std::size_t len = 1; len <= 40; ++len) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (char c : {'\t', ' ', '~', '\x80', '\xa0', '\xff'}) {
                std::string value(len, 'a');
                value[pos] = c;
                const Header headers[] = {{"X", value}};
                ResponseSpec spec;
                spec.headers = headers;
                const std::string text = render(spec);
                ASSERT_NE(text.find("\r\nX: " + value + "\r\n"), std::string::npos)
                    << "len " << len << " pos " << pos << " byte " << int(c);
            }
        }
    }
}

TEST(Writer, PiecesOfEveryLengthAreCopiedExactly) {
    // Short pieces are copied by size class; cover each class and its edges.
    for (std::size_t len = 0; len <= 70; ++len) {
        std::string value, body;
        for (std::size_t i = 0; i < len; ++i) {
            value += static_cast<char>('A' + i % 26);
            body += static_cast<char>('a' + (i * 7) % 26);
        }
        const Header headers[] = {{"X-V", value}};
        ResponseSpec spec;
        spec.content_type = value;
        spec.headers = headers;
        spec.body = body;
        std::string expect = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(len) + "\r\n";
        if (len > 0) expect += "Content-Type: " + value + "\r\n";
        expect += "Date: " + std::string(date) + "\r\nX-V: " + value + "\r\n\r\n" + body;
        ASSERT_EQ(render(spec), expect) << len;
    }
}

TEST(Writer, BadStatusAppendsNothing) {
    for (int code : {-200, 0, 99, 600, 1000}) {
        Buffer out;
        out.append("kept");
        ResponseSpec spec = hello();
        spec.status = code;
        EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_status) << code;
        EXPECT_EQ(out.view(), "kept") << code;
    }
}

TEST(Writer, RefusedHeaderNamesAppendNothing) {
    using namespace std::string_literals;
    const std::string names[] = {
        "",          "X Space", " X",       "X ",       "X:Colon", "X\r",  "X\nY",
        "X\0Y"s,     "X\tTab",  "X\"Quote", "X(Paren)", "X/Slash", "X@At", "X\x7f",
        "X\xc3\xa9", "X;",      "X=Y",      "X,Y",      "X[",      "X{",   "X\\",
    };
    for (const std::string& name : names) {
        const Header headers[] = {{"X-Ok", "fine"}, {name, "v"}};
        ResponseSpec spec = hello();
        spec.headers = headers;
        Buffer out;
        out.append("kept");
        EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header)
            << testing::PrintToString(name);
        EXPECT_EQ(out.view(), "kept");
    }
}

TEST(Writer, NonTokenByteAtEveryPositionOfANameIsRefused) {
    // Names are checked four bytes at a time and then the last 0 to 3: walk
    // a refused byte across every position of every length around that.
    for (std::size_t len = 1; len <= 13; ++len) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (char c : {' ', ':', '\0', '\x80', '"'}) {
                std::string name(len, 'a');
                name[pos] = c;
                ASSERT_TRUE(header_refused(name, "v"))
                    << "len " << len << " pos " << pos << " byte " << int(c);
            }
        }
        const std::string name(len, 'a');
        const Header headers[] = {{name, "v"}};
        ResponseSpec spec;
        spec.headers = headers;
        ASSERT_NE(render(spec).find("\r\n" + name + ": v\r\n"), std::string::npos) << len;
    }
}

TEST(Writer, RefusedHeaderValuesAppendNothing) {
    using namespace std::string_literals;
    const std::string values[] = {
        "a\rb", "a\nb",  "a\r\nX-Injected: 1", "a\0b"s, "\r", "\n", "\x01", "a\x0b", "\x0c", "\x1f",
        "\x7f", "end\n",
    };
    for (const std::string& value : values) {
        const Header headers[] = {{"X-Ok", "fine"}, {"X-Bad", value}};
        ResponseSpec spec = hello();
        spec.headers = headers;
        Buffer out;
        out.append("kept");
        EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header)
            << testing::PrintToString(value);
        EXPECT_EQ(out.view(), "kept");
    }
}

TEST(Writer, RefusedCookiesAppendNothing) {
    using namespace std::string_literals;
    for (const std::string& cookie : {"a=1\r\nSet-Cookie: evil=1"s, "a=\n"s, "a=\0"s, "\x01"s}) {
        const std::string_view cookies[] = {"ok=1", cookie};
        ResponseSpec spec = hello();
        spec.set_cookies = cookies;
        Buffer out;
        EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header)
            << testing::PrintToString(cookie);
        EXPECT_TRUE(out.empty());
    }
}

TEST(Writer, RefusedContentTypeAndCharsetAppendNothing) {
    ResponseSpec spec = hello();
    spec.content_type = "text/html\r\nX-Injected: 1";
    Buffer out;
    EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header);
    spec = hello();
    spec.charset = "utf-8\n";
    EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header);
    EXPECT_TRUE(out.empty());
}

TEST(Writer, KnownContentTypeIsWrittenAsGivenAndOnlyItSkipsTheCheck) {
    ResponseSpec spec = hello();
    spec.content_type = "text/plain; charset=utf-8";
    spec.charset = {};
    spec.content_type_known = true;
    EXPECT_EQ(render(spec), render(hello()));
    // The flag vouches for the content type alone: user headers are still checked.
    const Header bad{"X-A", "1\r\nX-Injected: 1"};
    spec.headers = {&bad, 1};
    Buffer out;
    EXPECT_EQ(write_response(out, spec, date), WriteStatus::bad_header);
    EXPECT_TRUE(out.empty());
}

// The common response (200, known type, no user headers, keep-alive on 1.1)
// has its own branch-free path; it must write what the general path writes
// for the same spec, which is taken when the type is not vouched for.
TEST(Writer, CommonResponseIsWrittenAsTheGeneralPathWritesIt) {
    const std::string long_text(70, 't');
    const std::string_view types[] = {"text/plain; charset=utf-8",
                                      "application/json",
                                      "x",
                                      "text/plain",
                                      std::string_view(long_text).substr(0, 16),
                                      std::string_view(long_text).substr(0, 32),
                                      std::string_view(long_text).substr(0, 33),
                                      long_text};
    const std::string_view charsets[] = {"", "utf-8", "x",
                                         std::string_view(long_text).substr(0, 40)};
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 70; ++n) lengths.push_back(n);
    for (std::size_t n : {99u, 100u, 101u, 105u, 999u, 1000u, 1005u, 1234u, 5009u, 9999u, 10000u,
                          65536u, 1000000u}) {
        lengths.push_back(n);
    }
    for (std::string_view type : types) {
        for (std::string_view charset : charsets) {
            for (std::size_t n : lengths) {
                std::string body(n, 'b');
                if (n > 0) body[n - 1] = 'e';
                ResponseSpec general;
                general.content_type = type;
                general.charset = charset;
                general.body = body;
                ResponseSpec common = general;
                common.content_type_known = true;
                ASSERT_EQ(render(common), render(general))
                    << "type " << type << " charset " << charset << " body " << n;
            }
        }
    }
}

TEST(Writer, CommonResponseAtEveryTailRoomAroundItsSize) {
    // Without room for its longest form it goes to the general path, which
    // grows the buffer; the bytes are the same either way and nothing
    // already buffered moves out of order.
    ResponseSpec spec = hello();
    spec.content_type_known = true;
    const std::string one = render(spec);
    for (std::size_t room = 0; room <= one.size() + 40; ++room) {
        Buffer out;
        out.prepare(4096);
        const std::string filler(out.tail_room() - room, '.');
        out.append(filler);
        ASSERT_EQ(out.tail_room(), room);
        ASSERT_EQ(write_response(out, spec, date), WriteStatus::ok);
        ASSERT_EQ(out.view(), filler + one) << room;
    }
}

TEST(Writer, OneMegabyteHeaderAndBodyAreNotTruncated) {
    const std::string big(1 << 20, 'v');
    const std::string body(3 << 20, 'b');
    const Header headers[] = {{"X-Big", big}, {"X-After", "1"}};
    const std::string_view cookies[] = {big};
    ResponseSpec spec;
    spec.headers = headers;
    spec.set_cookies = cookies;
    spec.body = body;
    const std::string expect =
        "HTTP/1.1 200 OK\r\nContent-Length: 3145728\r\nDate: " + std::string(date) +
        "\r\nX-Big: " + big + "\r\nX-After: 1\r\nSet-Cookie: " + big + "\r\n\r\n" + body;
    EXPECT_TRUE(render(spec) == expect);
}

TEST(Writer, AppendsAfterPendingBytesAndReservesExactly) {
    Buffer out;
    out.append("previous response;");
    ResponseSpec spec = hello();
    ASSERT_EQ(write_response(out, spec, date), WriteStatus::ok);
    ASSERT_EQ(write_response(out, spec, date), WriteStatus::ok);
    const std::string one = render(spec);
    EXPECT_EQ(out.view(), "previous response;" + one + one);

    // The reservation is the exact size: a response of exactly 8192 bytes
    // into an empty buffer leaves it at 8192 capacity, where asking for even
    // one byte more than needed would have doubled it.
    const std::string probe_body(5000, 'z');
    spec.body = probe_body;
    const std::size_t head = render(spec).size() - probe_body.size();
    const std::string body(8192 - head, 'z');
    spec.body = body;
    Buffer exact;
    ASSERT_EQ(write_response(exact, spec, date), WriteStatus::ok);
    EXPECT_EQ(exact.size(), 8192u);
    EXPECT_EQ(exact.capacity(), 8192u);
}

TEST(Writer, BodyLengthDigits) {
    for (std::size_t n : {0u, 1u, 9u, 10u, 99u, 100u, 999u, 1000u, 65535u, 100000u}) {
        const std::string body(n, 'x');
        ResponseSpec spec;
        spec.body = body;
        spec.head_request = true;
        EXPECT_EQ(render(spec), "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) +
                                    "\r\nDate: " + std::string(date) + "\r\n\r\n");
    }
}

TEST(Writer, ErrorResponse) {
    Buffer out;
    write_error(out, 400, "Bad Request: invalid header", date, false);
    EXPECT_EQ(out.view(),
              "HTTP/1.1 400 Bad Request\r\n"
              "Content-Length: 28\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Connection: close\r\n"
              "\r\n"
              "Bad Request: invalid header\n");
    out.clear();
    write_error(out, 413, "too large", date, true);
    EXPECT_EQ(out.view(),
              "HTTP/1.1 413 Content Too Large\r\n"
              "Content-Length: 10\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "\r\n"
              "too large\n");
}

TEST(Writer, ErrorResponseWithHeaders) {
    Buffer out;
    const lesto::http::Header retry_after{"Retry-After", "1"};
    write_error(out, 503, "stopping", date, false, {&retry_after, 1});
    EXPECT_EQ(out.view(),
              "HTTP/1.1 503 Service Unavailable\r\n"
              "Content-Length: 9\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Connection: close\r\n"
              "Retry-After: 1\r\n"
              "\r\n"
              "stopping\n");
}

TEST(Writer, ErrorWithAnOutOfRangeCodeIsStillAResponse) {
    Buffer out;
    write_error(out, 42, "oops", date, false);
    EXPECT_TRUE(out.view().starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    EXPECT_TRUE(out.view().ends_with("\r\n\r\noops\n"));
}

TEST(Writer, Continue) {
    Buffer out;
    out.append("x");
    write_continue(out);
    EXPECT_EQ(out.view(), "xHTTP/1.1 100 Continue\r\n\r\n");
}

// ---- refusals in words (response/checks.hpp) ----------------------------------

TEST(Writer, RefusalReasonNamesThePartTheByteAndItsPosition) {
    using namespace std::string_literals;
    using lesto::http::refusal_reason;
    ResponseSpec spec = hello();
    EXPECT_EQ(refusal_reason(spec), "");
    spec.status = 700;
    EXPECT_EQ(refusal_reason(spec), "status 700 is not a status code (100-599)");

    spec = hello();
    spec.content_type = "text/plain\r\nX-Injected: 1";
    EXPECT_EQ(refusal_reason(spec),
              "Content-Type 'text/plain\\r\\nX-Injected: 1': byte 0x0d at position 10 is not "
              "allowed; a field value holds tab, space, visible ASCII and bytes 0x80-0xff "
              "(obs-text), no other control character");
    spec.content_type_known = true;  // a constant of the caller's: not checked
    EXPECT_EQ(refusal_reason(spec), "");

    spec = hello();
    spec.charset = "utf-8\x7f";
    EXPECT_TRUE(refusal_reason(spec).starts_with("charset 'utf-8\\x7f': byte 0x7f at position 5"));

    const Header bad_name[] = {{"X-Ok", "1"}, {"X A", "1"}};
    spec = hello();
    spec.headers = bad_name;
    EXPECT_EQ(refusal_reason(spec),
              "header name 'X A': byte 0x20 at position 1 is not allowed; a token holds "
              "letters, digits and !#$%&'*+-.^_`|~");
    const Header empty_name[] = {{"", "1"}};
    spec.headers = empty_name;
    EXPECT_TRUE(refusal_reason(spec).starts_with("a header name is empty; a token holds"));
    const Header bad_value[] = {{"X-A",
                                 "a\x01"
                                 "b"}};
    spec.headers = bad_value;
    EXPECT_TRUE(refusal_reason(spec).starts_with(
        "header 'X-A' value 'a\\x01b': byte 0x01 at position 1 is not allowed; a field value"));

    const std::string nul_cookie = "b=\0"s;
    const std::string_view cookies[] = {"a=1", nul_cookie};
    spec = hello();
    spec.set_cookies = cookies;
    EXPECT_TRUE(refusal_reason(spec).starts_with("Set-Cookie 'b=\\x00': byte 0x00 at position 2"));
}

TEST(Writer, RefusalReasonIsEmptyExactlyWhenTheWriterAccepts) {
    // Random specs, mostly valid: the reason and the writer never disagree.
    std::mt19937 rng(11);
    const auto piece = [&rng](bool token) {
        std::string s(rng() % 12, 'a');
        for (char& c : s) {
            if (rng() % 6 == 0) c = static_cast<char>(rng() % 256);
            else if (!token && rng() % 4 == 0) c = ' ';
        }
        return s;
    };
    for (int round = 0; round < 20000; ++round) {
        ResponseSpec spec;
        spec.status = rng() % 20 == 0 ? static_cast<int>(rng() % 1000) : 200;
        const std::string content_type = piece(false), charset = piece(false);
        spec.content_type = content_type;
        spec.charset = charset;
        spec.content_type_known = rng() % 4 == 0;
        const std::string n1 = piece(true), v1 = piece(false), n2 = piece(true), v2 = piece(false);
        const Header headers[] = {{n1, v1}, {n2, v2}};
        spec.headers = {headers, rng() % 3};
        const std::string c1 = piece(false);
        const std::string_view cookies[] = {c1};
        spec.set_cookies = {cookies, rng() % 2};
        Buffer out;
        const bool accepted = write_response(out, spec, date) == WriteStatus::ok;
        ASSERT_EQ(lesto::http::refusal_reason(spec).empty(), accepted) << round;
    }
}

TEST(Writer, FramingFieldsAreContentLengthAndTransferEncodingInAnyCase) {
    using lesto::http::is_framing_field;
    for (std::string_view name : {"Content-Length", "content-length", "CONTENT-LENGTH",
                                  "Transfer-Encoding", "transfer-ENCODING"}) {
        EXPECT_TRUE(is_framing_field(name)) << name;
    }
    for (std::string_view name : {"Content-Type", "Content-Length ", "Content_Length",
                                  "Transfer-Encodings", "", "TE", "Connection"}) {
        EXPECT_FALSE(is_framing_field(name)) << name;
    }
}

namespace {

/// The head `spec` gives with `framing` (and `length` for Framing::length).
std::string head_with(Framing framing, std::uint64_t length = 0, std::uint8_t minor = 1) {
    ResponseSpec spec;
    spec.framing = framing;
    spec.content_length = length;
    spec.version_minor = minor;
    spec.keep_alive = framing != Framing::close;
    spec.body = "never sent";  // only Framing::whole sends `body`
    return render(spec);
}

}  // namespace

TEST(Writer, EachFramingSaysHowTheBodyEndsAndSendsNoBody) {
    const std::string length = head_with(Framing::length, 1234);
    EXPECT_NE(length.find("Content-Length: 1234\r\n"), std::string::npos);
    EXPECT_EQ(length.find("Transfer-Encoding"), std::string::npos);
    const std::string chunked = head_with(Framing::chunked);
    EXPECT_NE(chunked.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_EQ(chunked.find("Content-Length"), std::string::npos);
    const std::string close = head_with(Framing::close, 0, 0);
    EXPECT_EQ(close.find("Content-Length"), std::string::npos);
    EXPECT_EQ(close.find("Transfer-Encoding"), std::string::npos);
    // HTTP/1.0 closes by default; said anyway, for clients that want a length or a close.
    EXPECT_NE(close.find("\r\nConnection: close\r\n"), std::string::npos);
    for (const std::string& head : {length, chunked, close}) {
        EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
        EXPECT_EQ(head.find("never sent"), std::string::npos);
    }
}

TEST(Writer, ChunksAreSizedInHexAndTheLastEndsTheBody) {
    Buffer out;
    write_chunk(out, "hello");
    write_chunk(out, "");  // nothing: an empty chunk would end the body
    write_chunk(out, std::string(300, 'x'));
    write_last_chunk(out);
    EXPECT_EQ(std::string(out.view()),
              "5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n");
}

TEST(Writer, UserHeadersMayNotNameTheFraming) {
    for (const char* name : {"Content-Length", "content-length", "TRANSFER-ENCODING"})
        EXPECT_TRUE(header_refused(name, "1")) << name;
}
