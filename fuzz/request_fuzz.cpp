// request_fuzz.cpp: valid requests built from the input must be accepted, with exactly the fields
// they were built with.
//
// parser_fuzz checks what the parser accepts; this target checks what it
// must not refuse. The input's bytes choose, one decision each: empty lines
// before the request, a method (common or a random token), a target
// (origin-form with any allowed byte including obs-text, absolute-form,
// asterisk-form), a version (1.0, 1.1, 1.2-1.9), a Host, fields with random
// token names and field values padded with OWS, Connection and Expect
// tokens, and framing (none, Content-Length with leading zeros or as a
// list, chunked with extensions, quoted strings and trailers). One or two
// such requests go back to back; the wire is replayed like parser_fuzz does
// (whole, byte by byte, two random splits) under the default limits.
// Input byte 0: bit 0 two requests; bit 1 refuse mode instead: one request
// broken in one way (bare LF, space before a colon, second Host, CL with TE,
// HTTP/2.0, CONNECT, an unknown expectation, an unknown coding, obs-fold,
// empty name, bad Content-Length, fragment, NUL, no Host on 1.1), which must
// be refused with exactly the status tests/cases/README.md gives it.
#include "fuzz_util.hpp"
#include "support/grammar.hpp"
#include "support/replay.hpp"
#include "support/splits.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::fuzz::Choices;
using lesto::http::BodyKind;
using lesto::http::Limits;
using namespace lesto::test;

constexpr std::string_view tchars =
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view reg_name =
    "-._~!$&'()*+,;=%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A string of up to `max` bytes drawn from `alphabet`, at least `min`.
std::string draw(Choices& c, std::string_view alphabet, std::size_t min, std::size_t max) {
    const std::size_t n = min + c.byte() % (max - min + 1);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[c.byte() % alphabet.size()];
    return s;
}

/// A byte allowed in a request-target: visible ASCII but '#', or obs-text.
char target_byte(std::uint8_t b) {
    const auto c = static_cast<char>(b < 0x80 ? 0x21 + b % 0x5e : b);
    return c == '#' ? '/' : c;
}

/// A byte allowed inside a field value (SP and HTAB only between others).
char value_byte(std::uint8_t b, bool inner) {
    if (inner && b % 7 == 0) return b & 8 ? ' ' : '\t';
    return static_cast<char>(b < 0x80 ? 0x21 + b % 0x5e : b);
}

std::string hex(std::uint64_t v, Choices& c) {
    std::string s;
    do {
        const int d = static_cast<int>(v % 16);
        s.insert(s.begin(), (d >= 10 && (c.byte() & 1)) ? static_cast<char>('A' + d - 10)
                                                        : "0123456789abcdef"[d]);
        v /= 16;
    } while (v);
    return std::string(c.byte() % 3, '0') + s;
}

std::string ows(Choices& c) {
    std::string s;
    for (int n = c.byte() % 3; n > 0; --n) s += (c.byte() & 1) ? ' ' : '\t';
    return s;
}

/// A chunk extension: name, maybe a token or quoted-string value, with BWS.
std::string extension(Choices& c) {
    std::string s = ";" + draw(c, tchars, 1, 6);
    switch (c.byte() % 3) {
    case 0:
        break;
    case 1:
        s += "=" + draw(c, tchars, 1, 6);
        break;
    default: {
        s += "=\"";
        for (int n = c.byte() % 6; n > 0; --n) {
            const std::uint8_t b = c.byte();
            if (b % 5 == 0) s += "\\\"";
            else if (b % 5 == 1) s += "\\\\";
            else if (const char ch = value_byte(b, true); ch != '"' && ch != '\\') s += ch;
        }
        s += '"';
    }
    }
    return s;
}

/// Appends one valid request to `wire` and returns what parsing it must give.
Request generate(Choices& c, std::string& wire) {
    Request want;
    const std::size_t start = wire.size();
    for (int n = c.byte() % 3; n > 0; --n) wire += "\r\n";

    static constexpr std::string_view methods[] = {"GET",  "POST",    "PUT",   "DELETE",
                                                   "HEAD", "OPTIONS", "PATCH", "TRACE"};
    const std::uint8_t mb = c.byte();
    std::string method = (mb & 0x80) ? draw(c, tchars, 1, 8) : std::string(methods[mb % 8]);
    if (method == "CONNECT") method = "CONNECX";
    want.method = method;

    // Target.
    std::string target, authority;
    const std::uint8_t tb = c.byte();
    if (tb % 8 == 7 && method == "OPTIONS") {
        target = "*";
        want.path = "*";
    } else if (tb % 8 == 6) {
        target = (tb & 0x10) ? "HTTPS://" : "http://";
        authority = draw(c, reg_name, 1, 10);
        if (c.byte() & 1) authority += ":" + draw(c, "0123456789", 0, 5);
        target += authority;
        std::string tail;
        if (c.byte() & 1) {
            tail = "/";
            for (int n = c.byte() % 12; n > 0; --n) tail += target_byte(c.byte());
        }
        target += tail;
        const std::size_t q = tail.find('?');
        want.path = tail.empty() || tail[0] == '?' ? "/" : tail.substr(0, q);
        if (q != std::string::npos) want.query = tail.substr(q + 1), want.has_query = true;
        want.host = authority;
    } else {
        target = "/";
        for (int n = c.byte() % 24; n > 0; --n) target += target_byte(c.byte());
        const std::size_t q = target.find('?');
        want.path = target.substr(0, q);
        if (q != std::string::npos) want.query = target.substr(q + 1), want.has_query = true;
    }
    want.target = target;

    // Version.
    const std::uint8_t vb = c.byte();
    std::string version = vb % 4 == 0 ? "HTTP/1.0" : "HTTP/1.1";
    if (vb % 4 == 3) version[7] = static_cast<char>('2' + vb / 4 % 8);
    want.version_minor = vb % 4 == 0 ? 0 : 1;
    wire += method + " " + target + " " + version + "\r\n";

    // Fields: Host (required on 1.1), random ones, Connection, Expect, framing.
    struct Field {
        std::string name, raw, value;
    };
    std::vector<Field> fields;
    const bool one_one = want.version_minor == 1;
    if (one_one || (c.byte() & 1)) {
        std::string host = (c.byte() % 4 == 0) ? "[::1]" : draw(c, reg_name, 0, 12);
        if (c.byte() & 1) host += ":" + draw(c, "0123456789", 1, 5);
        fields.push_back({(c.byte() & 1) ? "HOST" : "Host", ows(c) + host + ows(c), host});
        if (authority.empty()) want.host = host;
    }
    for (int n = c.byte() % 5; n > 0; --n) {
        std::string name = draw(c, tchars, 1, 12);
        if (ieq(name, "host") || ieq(name, "content-length") || ieq(name, "transfer-encoding") ||
            ieq(name, "expect") || ieq(name, "connection"))
            name = "x-" + name;
        std::string value;
        for (int k = c.byte() % 16; k > 0; --k) value += value_byte(c.byte(), true);
        value = std::string(lesto::test::trim(value));
        fields.push_back({name, ows(c) + value + ows(c), value});
    }
    bool close = false, keep = false;
    if (const std::uint8_t cb = c.byte(); cb % 4 != 0) {
        static constexpr std::string_view tokens[] = {"close", "keep-alive", "Keep-Alive",
                                                      "upgrade", "CLOSE"};
        std::string v = std::string(tokens[cb % 5]);
        if (cb & 0x20) v += ", " + std::string(tokens[cb / 5 % 5]);
        for (const std::string_view e : lesto::test::elements(v)) {
            close |= ieq(e, "close");
            keep |= ieq(e, "keep-alive");
        }
        fields.push_back({"Connection", ows(c) + v, v});
    }
    want.keep_alive = !close && (one_one || keep);
    if (c.byte() % 4 == 0) {
        const std::string v = (c.byte() & 1) ? "100-Continue" : "100-continue";
        fields.push_back({"Expect", " " + v, v});
        want.expect_continue = one_one;
    }

    // Framing and body.
    std::string body_wire;
    const std::uint8_t fb = c.byte();
    if (fb % 3 == 1 || (fb % 3 == 2 && !one_one)) {
        const std::size_t n = c.byte() % 40;
        for (std::size_t i = 0; i < n; ++i) want.body += static_cast<char>(c.byte());
        body_wire = want.body;
        std::string v = std::string(c.byte() % 3, '0') + std::to_string(n);
        if (fb & 0x40) v += ", " + std::to_string(n);
        fields.push_back({"Content-Length", " " + v, v});
        want.body_kind = BodyKind::content_length;
        want.content_length = n;
    } else if (fb % 3 == 2) {
        const std::string v = (fb & 0x40) ? "Chunked" : ((fb & 0x80) ? "chunked ," : "chunked");
        fields.push_back({"Transfer-Encoding", " " + v, std::string(lesto::test::trim(v))});
        want.body_kind = BodyKind::chunked;
        for (int k = c.byte() % 4; k > 0; --k) {
            const std::size_t n = 1 + c.byte() % 16;
            std::string data;
            for (std::size_t i = 0; i < n; ++i) data += static_cast<char>(c.byte());
            body_wire += hex(n, c);
            if (c.byte() & 1) body_wire += extension(c);
            body_wire += "\r\n" + data + "\r\n";
            want.body += data;
        }
        body_wire += hex(0, c);
        if (c.byte() & 1) body_wire += extension(c);
        body_wire += "\r\n";
        for (int k = c.byte() % 3; k > 0; --k) {
            std::string value;
            for (int i = c.byte() % 8; i > 0; --i) value += value_byte(c.byte(), true);
            body_wire += draw(c, tchars, 1, 8) + ":" + value + "\r\n";
        }
        body_wire += "\r\n";
    }

    // Fields in an order chosen by the input (Host need not come first).
    for (std::size_t i = fields.size(); i > 1; --i) std::swap(fields[i - 1], fields[c.byte() % i]);
    for (const Field& f : fields) {
        wire += f.name + ":" + f.raw + "\r\n";
        want.headers.emplace_back(f.name, f.value);
    }
    wire += "\r\n";
    want.head_size = wire.size() - start;
    wire += body_wire;
    want.consumed = wire.size() - start;
    want.status = lesto::http::ParseStatus::complete;
    return want;
}

/// The fields a generated request fixes (the parser's choice of null or
/// empty views is not one of them).
bool matches(const Request& got, const Request& want) {
    return got.status == want.status && got.method == want.method && got.target == want.target &&
           got.path == want.path && got.query == want.query && got.has_query == want.has_query &&
           got.host == want.host && got.version_minor == want.version_minor &&
           got.headers == want.headers && got.body_kind == want.body_kind &&
           got.content_length == want.content_length && got.keep_alive == want.keep_alive &&
           got.expect_continue == want.expect_continue && got.head_size == want.head_size &&
           got.body == want.body && got.consumed == want.consumed;
}

/// Breaks the single request in `wire` (parsed as `want`) in one way chosen
/// by the input and returns the status it must be refused with.
int refuse(Choices& c, std::string& wire, const Request& want) {
    std::size_t line = 0;
    while (wire.compare(line, 2, "\r\n") == 0) line += 2;
    const std::size_t line_end = wire.find("\r\n", line);
    const std::size_t blank = want.head_size - 2;  // the empty line that ends the head
    std::vector<std::size_t> fields;               // start of each field line
    for (std::size_t at = line_end + 2; at < blank; at = wire.find("\r\n", at) + 2)
        fields.push_back(at);
    const std::size_t boundary =
        fields.empty() ? blank : (c.byte() % 2 ? blank : fields[c.byte() % fields.size()]);
    const auto insert = [&](std::string_view text) { wire.insert(boundary, text); };
    bool has_host = false;
    for (const auto& [name, value] : want.headers) has_host |= ieq(name, "host");
    const bool one_one = want.version_minor == 1;

    switch (c.byte() % 14) {
    case 0: {  // a bare LF ends a line
        const std::size_t end =
            fields.empty() ? line_end : wire.find("\r\n", fields[c.byte() % fields.size()]);
        wire.erase(end, 1);
        return 400;
    }
    case 1:  // whitespace between a field name and its colon
        if (fields.empty()) break;
        wire.insert(wire.find(':', fields[c.byte() % fields.size()]), 1, ' ');
        return 400;
    case 2:
        if (!has_host) break;
        insert("Host: second\r\n");
        return 400;
    case 3:
        insert("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n");
        return 400;
    case 4:
        wire.replace(line_end - 8, 8, (c.byte() & 1) ? "HTTP/2.0" : "HTTP/3.1");
        return 505;
    case 5:
        wire.replace(line, want.method.size(), "CONNECT");
        return 501;
    case 6:
        insert("Expect: 100-continue, x\r\n");
        return 417;
    case 7:
        insert("Transfer-Encoding: gzip\r\n");
        return one_one && want.body_kind == BodyKind::none ? 501 : 400;
    case 8:  // obs-fold
        insert(" folded\r\n");
        return 400;
    case 9:
        insert(":x\r\n");
        return 400;
    case 10:
        insert("Content-Length: x5\r\n");
        return 400;
    case 11:  // a fragment in the target
        wire.insert(line + want.method.size() + 2, 1, '#');
        return 400;
    case 12:  // NUL at the end of a field value
        if (fields.empty()) break;
        wire.insert(wire.find("\r\n", fields[c.byte() % fields.size()]), 1, '\0');
        return 400;
    default:  // no Host on HTTP/1.1
        if (!one_one) break;
        for (std::size_t i = fields.size(); i-- > 0;) {
            const std::size_t end = wire.find("\r\n", fields[i]) + 2;
            if (ieq(std::string_view(wire).substr(fields[i], 5), "host:"))
                wire.erase(fields[i], end - fields[i]);
        }
        return 400;
    }
    wire.replace(line_end - 8, 8, "HTTP/9.9");  // when the chosen break does not apply
    return 505;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Choices c(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::uint8_t options = c.byte();
    std::string wire;
    std::vector<Request> want{generate(c, wire)};
    if (options & 2) {
        // Refuse mode: one request, broken once; the parser must say exactly why.
        Request refused;
        refused.status = lesto::http::ParseStatus::error;
        refused.code = refuse(c, wire, want[0]);
        want[0] = refused;
    } else if (options & 1) {
        want.push_back(generate(c, wire));
    }
    const Limits limits;
    const bool pipelined = want.size() > 1;

    auto& ctx = lesto::fuzz::context();
    ctx.wire = wire;
    ctx.limits = "defaults" + std::string(pipelined ? " (pipelined)" : "");
    const lesto::test::ReplayOptions replay_options{.max_requests =
                                                        pipelined ? lesto::fuzz::max_pipelined : 1};
    const auto check = [&](const std::vector<std::size_t>& ends) {
        ctx.split = lesto::test::describe_ends(ends);
        const std::vector<Request> got =
            lesto::test::replay(wire, ends, limits, lesto::fuzz::broken, replay_options);
        bool ok = got.size() == want.size();
        for (std::size_t i = 0; ok && i < got.size(); ++i) {
            ok = want[i].status == lesto::http::ParseStatus::error
                     ? got[i].status == want[i].status && got[i].code == want[i].code
                     : matches(got[i], want[i]);
        }
        FUZZ_CHECK(ok, "want:" + lesto::test::show(want) + "\ngot:" + lesto::test::show(got));
    };
    check({wire.size()});
    check(lesto::test::bytewise_ends(wire.size()));
    check(lesto::test::random_ends(wire.size(), options));
    check(lesto::test::random_ends(wire.size(), options + 256u));
    return 0;
}
