// writer_fuzz.cpp: write_response on arbitrary specs: refused exactly when invalid, else a head
// that reads back; chunks that decode back to their pieces.
//
// Input: [0..1] status (100..599 and a few on each side), [2] flags
// (bit 0 HEAD, bit 1 keep-alive, bit 2 HTTP/1.0 request, bit 3 bytes already
// in the buffer, bit 4 a valid content type marked known, as the engine's
// constants are: the writer's fast path; bits 5-6 the framing: whole,
// length, chunked, close; bit 7 a Content-Length near 2^64 for `length`),
// then length-prefixed strings: content type, charset, body, a header count
// (0..7) with that many name/value pairs, a piece count (0..15) with that
// many pieces, each a repeat count (1..16) and a string, and Set-Cookie
// values to the end.
//
// A spec is refused (and nothing appended) exactly when the status is
// outside 100..599 or some name is not a token or names the framing
// (Content-Length, Transfer-Encoding: the writer frames bodies itself) or
// some value holds a control byte other than HTAB: the guard against
// response splitting. An accepted one is read back line by line and must say
// exactly what the spec said: Content-Length, Transfer-Encoding: chunked or
// neither, as its framing says, and a body only when it is whole. The pieces,
// written by write_chunk and ended by write_last_chunk, must decode (core's
// ChunkedDecoder, whole and in a random split) to exactly their concatenation.
#include "buffer/buffer.hpp"
#include "fuzz_util.hpp"
#include "parser/chunked.hpp"
#include "response/status.hpp"
#include "response/writer.hpp"
#include "support/bytes.hpp"
#include "support/decode.hpp"
#include "support/grammar.hpp"
#include "support/splits.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::http::Framing;
using lesto::http::Header;
using lesto::http::WriteStatus;
using namespace lesto::test;

constexpr std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";

/// The next "\r\n"-terminated line of `out` from `at`.
std::string_view next_line(std::string_view out, std::size_t& at) {
    const std::size_t crlf = out.find("\r\n", at);
    FUZZ_CHECK(crlf != std::string_view::npos, "unterminated line at " + std::to_string(at));
    const std::string_view line = out.substr(at, crlf - at);
    at = crlf + 2;
    return line;
}

void expect_line(std::string_view out, std::size_t& at, const std::string& want) {
    const std::string_view got = next_line(out, at);
    FUZZ_CHECK(got == want, "line '" + escape(got) + "', want '" + escape(want) + "'");
}

/// Whether `a` and `b` are equal ignoring ASCII case: the reference for field names.
bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool names_framing(std::string_view name) {
    return same_name(name, "content-length") || same_name(name, "transfer-encoding");
}

/// The pieces written as chunks and ended, after `prefix`: decoded back they
/// are exactly the pieces' bytes, all consumed, nothing before them touched.
void check_chunks(const std::vector<std::string>& pieces, std::uint64_t seed) {
    lesto::Buffer buf;
    const std::string_view prefix = "HTTP/1.1 200 OK\r\n\r\n";
    buf.append(prefix);
    std::string want;
    for (const std::string& p : pieces) {
        const std::size_t before = buf.size();
        lesto::http::write_chunk(buf, p);
        FUZZ_CHECK(!p.empty() || buf.size() == before, "an empty piece wrote a chunk");
        want += p;
    }
    lesto::http::write_last_chunk(buf);
    const std::string_view all = buf.view();
    FUZZ_CHECK(all.substr(0, prefix.size()) == prefix, "bytes before the chunks changed");
    const std::string_view wire = all.substr(prefix.size());
    lesto::http::Limits limits;
    limits.max_body_bytes = want.size();
    for (const auto& ends :
         {std::vector<std::size_t>{wire.size()}, random_ends(wire.size(), seed)}) {
        lesto::http::ChunkedDecoder dec(limits);
        const Decoded d = decode(dec, wire, ends, lesto::fuzz::broken);
        FUZZ_CHECK(d.status == lesto::http::ParseStatus::complete && d.consumed == wire.size(),
                   "chunks do not decode: " + show(d) + " from '" + escape(wire.substr(0, 80)) +
                       "'");
        FUZZ_CHECK(d.body == want, "decoded '" + escape(d.body.substr(0, 80)) + "', want '" +
                                       escape(std::string_view(want).substr(0, 80)) + "'");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto& ctx = lesto::fuzz::context();
    ctx.wire = in;
    ctx.limits = "writer";
    ctx.split = "-";
    lesto::fuzz::Choices r(in);
    lesto::http::ResponseSpec spec;
    const unsigned raw = r.byte() | (unsigned{r.byte()} << 8);
    spec.status = 90 + static_cast<int>(raw % 520);
    const std::uint8_t flags = r.byte();
    spec.head_request = flags & 1;
    spec.keep_alive = flags & 2;
    spec.version_minor = (flags & 4) ? 0 : 1;
    spec.content_type = r.string();
    spec.charset = r.string();
    spec.body = r.string();
    std::vector<Header> headers(r.byte() % 8);
    for (Header& h : headers) {
        h.name = r.string();
        h.value = r.string();
    }
    std::vector<std::string> pieces(r.byte() % 16);
    for (std::string& p : pieces) {
        const std::size_t times = r.byte() % 16 + 1;
        const std::string_view s = r.string();
        for (std::size_t i = 0; i < times; ++i) p += s;
    }
    std::vector<std::string_view> cookies;
    while (!r.empty()) cookies.push_back(r.string());
    spec.headers = headers;
    spec.set_cookies = cookies;
    // `known` promises a valid type: the writer then skips checking it.
    spec.content_type_known =
        (flags & 16) && field_value(spec.content_type) && field_value(spec.charset);
    spec.framing = static_cast<Framing>((flags >> 5) & 3);
    spec.content_length = (flags & 128) ? ~std::uint64_t{0} - spec.body.size() : spec.body.size();

    check_chunks(pieces, raw ^ (std::uint64_t{flags} << 16));

    bool valid_fields = field_value(spec.content_type) && field_value(spec.charset);
    for (const Header& h : headers)
        valid_fields =
            valid_fields && token(h.name) && !names_framing(h.name) && field_value(h.value);
    for (const std::string_view c : cookies) valid_fields = valid_fields && field_value(c);
    const bool valid_status = spec.status >= 100 && spec.status <= 599;

    // The engine's own error page: always a response, whatever the status.
    lesto::Buffer err;
    lesto::http::write_error(err, spec.status, spec.body, date, spec.keep_alive);
    const std::string_view e = err.view();
    const int es = valid_status ? spec.status : 500;
    FUZZ_CHECK(e.substr(0, 13) == "HTTP/1.1 " + std::to_string(es) + " ", escape(e.substr(0, 40)));
    const std::string tail =
        (es >= 200 && es != 204 && es != 304) ? std::string(spec.body) + "\n" : "";
    FUZZ_CHECK(e.size() >= tail.size() &&
                   e.substr(e.size() - tail.size()) == std::string_view(tail),
               "error page body");

    lesto::Buffer buf;
    const std::string prefix =
        (flags & 8) ? std::string("HTTP/1.1 204 No Content\r\n\r\n") : std::string();
    if (!prefix.empty()) buf.append(prefix);
    const WriteStatus st = lesto::http::write_response(buf, spec, date);
    if (!valid_status || !valid_fields) {
        FUZZ_CHECK(st == (valid_status ? WriteStatus::bad_header : WriteStatus::bad_status),
                   "status " + std::to_string(spec.status) + " result " +
                       std::to_string(static_cast<int>(st)));
        FUZZ_CHECK(buf.view() == prefix, "a refused response appended bytes");
        return 0;
    }
    FUZZ_CHECK(st == WriteStatus::ok,
               "a valid spec refused: " + std::to_string(static_cast<int>(st)));
    const std::string_view all = buf.view();
    FUZZ_CHECK(all.substr(0, prefix.size()) == prefix, "bytes already in the buffer changed");
    const std::string_view out = all.substr(prefix.size());

    // Read it back: every line as the spec says, in the writer's order.
    const int s = spec.status;
    const bool has_content = s >= 200 && s != 204 && s != 304;
    std::size_t at = 0;
    expect_line(out, at,
                "HTTP/1.1 " + std::to_string(s) + " " + std::string(lesto::http::reason_phrase(s)));
    const Framing framing = spec.framing;
    if (has_content && framing == Framing::whole)
        expect_line(out, at, "Content-Length: " + std::to_string(spec.body.size()));
    if (has_content && framing == Framing::length)
        expect_line(out, at, "Content-Length: " + std::to_string(spec.content_length));
    if (has_content && framing == Framing::chunked)
        expect_line(out, at, "Transfer-Encoding: chunked");
    if (!spec.content_type.empty()) {
        std::string ct = "Content-Type: " + std::string(spec.content_type);
        if (!spec.charset.empty()) ct += "; charset=" + std::string(spec.charset);
        expect_line(out, at, ct);
    }
    expect_line(out, at, "Date: " + std::string(date));
    // HTTP/1.0 closes by default; a body that ends with the close says so anyway.
    if (!spec.keep_alive &&
        (spec.version_minor == 1 || spec.framing == lesto::http::Framing::close))
        expect_line(out, at, "Connection: close");
    if (spec.keep_alive && spec.version_minor == 0) expect_line(out, at, "Connection: keep-alive");
    for (const Header& h : headers)
        expect_line(out, at, std::string(h.name) + ": " + std::string(h.value));
    for (const std::string_view c : cookies) expect_line(out, at, "Set-Cookie: " + std::string(c));
    expect_line(out, at, "");
    // Whatever the lines above: one framing field at most, as the framing says.
    std::size_t lengths = 0, codings = 0;
    for (std::size_t l = 0; l + 2 < at;) {
        const std::string_view line = next_line(out, l);
        const std::string_view name = line.substr(0, line.find(':'));
        lengths += same_name(name, "content-length");
        codings += same_name(name, "transfer-encoding");
    }
    const bool want_length =
        has_content && (framing == Framing::whole || framing == Framing::length);
    const bool want_chunked = has_content && framing == Framing::chunked;
    FUZZ_CHECK(lengths == (want_length ? 1u : 0u) && codings == (want_chunked ? 1u : 0u),
               std::to_string(lengths) + " Content-Length, " + std::to_string(codings) +
                   " Transfer-Encoding");
    const std::string_view body = out.substr(at);
    const bool send_body = has_content && !spec.head_request && framing == Framing::whole;
    FUZZ_CHECK(body == (send_body ? spec.body : std::string_view()),
               "body '" + escape(body) + "' for '" + escape(spec.body) + "'");

    return 0;
}
