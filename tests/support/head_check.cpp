// head_check.cpp: an accepted request head checked against the bytes it came from.
#include "support/head_check.hpp"

#include "support/bytes.hpp"
#include "support/grammar.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace lesto::test {

using http::BodyKind;
using http::Limits;
using http::RequestHead;

void check_views(const RequestHead& h, std::string_view data, Broken broken) {
    for (const std::string_view v : {h.method, h.target, h.path, h.query, h.host})
        LESTO_CHECK(broken, inside(v, data), "view '" + escape(v) + "' outside the buffer");
    for (const auto& f : h.headers) {
        LESTO_CHECK(broken, inside(f.name, data), "header name outside the buffer");
        LESTO_CHECK(broken, inside(f.value, data), "header value outside the buffer");
    }
}

void check_error(int code, std::string_view reason, Broken broken) {
    LESTO_CHECK(broken,
                code == 400 || code == 413 || code == 414 || code == 417 || code == 431 ||
                    code == 501 || code == 505,
                "status " + std::to_string(code) + " reason " + std::string(reason));
    LESTO_CHECK(broken, !reason.empty(), "error without a reason");
}

void check_head(const RequestHead& h, std::string_view data, const Limits& limits, Broken broken) {
    const std::size_t size = h.head_size;
    LESTO_CHECK(broken, size <= data.size() && size >= 4, std::to_string(size));
    LESTO_CHECK(broken, size <= limits.max_header_bytes, std::to_string(size));
    const std::string_view head = data.substr(0, size);
    LESTO_CHECK(broken, head.substr(size - 4) == "\r\n\r\n",
                "head does not end with an empty line");
    for (std::size_t i = 0; i < size; ++i) {
        if (head[i] == '\r')
            LESTO_CHECK(broken, i + 1 < size && head[i + 1] == '\n',
                        "bare CR accepted at " + std::to_string(i));
        if (head[i] == '\n')
            LESTO_CHECK(broken, i > 0 && head[i - 1] == '\r',
                        "bare LF accepted at " + std::to_string(i));
        LESTO_CHECK(broken, head[i] != '\0', "NUL accepted at " + std::to_string(i));
    }
    std::vector<std::string_view> lines;
    for (std::size_t at = 0; at < size;) {
        const std::size_t crlf = head.find("\r\n", at);
        lines.push_back(head.substr(at, crlf - at));
        at = crlf + 2;
    }
    std::size_t li = 0;
    while (li < lines.size() && lines[li].empty()) ++li;
    LESTO_CHECK(broken, li < lines.size(), "no request line");
    const std::string_view line = lines[li++];
    LESTO_CHECK(broken, line.size() <= limits.max_request_line,
                "request line of " + std::to_string(line.size()));
    const std::size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1);
    LESTO_CHECK(broken,
                sp1 != std::string_view::npos && sp2 != std::string_view::npos &&
                    line.find(' ', sp2 + 1) == std::string_view::npos,
                "request line is not three words");
    LESTO_CHECK(broken, h.method == line.substr(0, sp1) && token(h.method), escape(h.method));
    LESTO_CHECK(broken, h.target == line.substr(sp1 + 1, sp2 - sp1 - 1), escape(h.target));
    LESTO_CHECK(broken, !h.target.empty() && h.target.find('#') == std::string_view::npos,
                escape(h.target));
    for (const char c : h.target) LESTO_CHECK(broken, field_byte(c) && !blank(c), escape(h.target));
    const std::string_view version = line.substr(sp2 + 1);
    LESTO_CHECK(broken,
                version.size() == 8 && version.substr(0, 7) == "HTTP/1." && version[7] >= '0' &&
                    version[7] <= '9',
                escape(version));
    LESTO_CHECK(broken, h.version_minor == (version[7] == '0' ? 0 : 1), escape(version));
    LESTO_CHECK(broken, h.method != "CONNECT", "CONNECT accepted");

    // Field lines, one per reported header, then the empty line.
    LESTO_CHECK(broken, lines.size() - li == h.headers.size() + 1 && lines.back().empty(),
                std::to_string(lines.size() - li) + " lines for " +
                    std::to_string(h.headers.size()) + " headers");
    LESTO_CHECK(broken, h.headers.size() <= limits.max_header_count,
                std::to_string(h.headers.size()));
    int hosts = 0, lengths = 0, transfers = 0, expects = 0;
    bool close = false, keep = false;
    std::string_view host_value, te_value;
    for (std::size_t i = 0; i < h.headers.size(); ++i) {
        const std::string_view l = lines[li + i];
        const std::size_t colon = l.find(':');
        LESTO_CHECK(broken, colon != std::string_view::npos, escape(l));
        const auto& f = h.headers[i];
        LESTO_CHECK(broken, f.name == l.substr(0, colon) && token(f.name), escape(l));
        LESTO_CHECK(broken, f.value == trim(l.substr(colon + 1)), escape(l));
        LESTO_CHECK(broken, f.value.data() >= l.data() + colon + 1, escape(l));
        for (const char c : f.value)
            LESTO_CHECK(broken, field_byte(c), "control byte in value " + escape(f.value));
        if (ieq(f.name, "host")) ++hosts, host_value = f.value;
        if (ieq(f.name, "content-length")) ++lengths;
        if (ieq(f.name, "transfer-encoding")) ++transfers, te_value = f.value;
        if (ieq(f.name, "expect")) ++expects;
        if (ieq(f.name, "connection")) {
            for (const std::string_view e : elements(f.value)) {
                close |= ieq(e, "close");
                keep |= ieq(e, "keep-alive");
            }
        }
    }

    // Target forms and the host.
    const bool absolute =
        h.target.size() > 7 && (ieq(h.target.substr(0, 7), "http://") ||
                                (h.target.size() > 8 && ieq(h.target.substr(0, 8), "https://")));
    LESTO_CHECK(broken, hosts <= 1, "two Host headers accepted");
    if (h.version_minor == 1) LESTO_CHECK(broken, hosts == 1, "HTTP/1.1 without Host accepted");
    if (h.target[0] == '/') {
        LESTO_CHECK(broken, h.path.find('?') == std::string_view::npos, escape(h.path));
        const std::string rebuilt =
            std::string(h.path) + (h.has_query ? "?" + std::string(h.query) : "");
        LESTO_CHECK(broken, rebuilt == h.target, escape(rebuilt));
        LESTO_CHECK(broken, h.host == host_value, escape(h.host));
    } else if (h.target == "*") {
        LESTO_CHECK(broken, h.method == "OPTIONS" && h.path == "*" && !h.has_query,
                    escape(h.method));
    } else {
        LESTO_CHECK(broken, absolute, "target form " + escape(h.target));
        LESTO_CHECK(broken, !h.host.empty() && h.target.find(h.host) != std::string_view::npos,
                    escape(h.host));
        LESTO_CHECK(broken, !h.path.empty() && h.path[0] == '/', escape(h.path));
    }

    // Framing.
    LESTO_CHECK(broken,
                h.content_length <= limits.max_body_bytes ||
                    h.body_kind != BodyKind::content_length,
                std::to_string(h.content_length));
    if (transfers) {
        LESTO_CHECK(broken, transfers == 1 && lengths == 0 && h.version_minor == 1,
                    "ambiguous framing accepted");
        LESTO_CHECK(broken, h.body_kind == BodyKind::chunked,
                    "Transfer-Encoding without a chunked body");
        // Any other coding is 501 and chunked twice is 400: what is accepted
        // is exactly one non-empty element, "chunked".
        int codings = 0;
        for (const std::string_view e : elements(te_value)) {
            if (e.empty()) continue;
            ++codings;
            LESTO_CHECK(broken, ieq(e, "chunked"), "coding accepted: " + escape(te_value));
        }
        LESTO_CHECK(broken, codings == 1, escape(te_value));
    } else if (lengths) {
        LESTO_CHECK(broken, h.body_kind == BodyKind::content_length,
                    "Content-Length without a length body");
        for (const auto& f : h.headers) {
            if (!ieq(f.name, "content-length")) continue;
            for (const std::string_view e : elements(f.value)) {
                // Digits only, and the same value in every element and line.
                std::uint64_t v = 0;
                bool digits = !e.empty();
                for (const char ch : e) {
                    digits = digits && ch >= '0' && ch <= '9' &&
                             v <= (std::numeric_limits<std::uint64_t>::max() - 9) / 10;
                    if (digits) v = v * 10 + static_cast<std::uint64_t>(ch - '0');
                }
                LESTO_CHECK(broken, digits && v == h.content_length, escape(f.value));
            }
        }
    } else {
        LESTO_CHECK(broken, h.body_kind == BodyKind::none, "a body without framing headers");
    }

    LESTO_CHECK(broken, h.keep_alive == (!close && (h.version_minor == 1 || keep)), "keep_alive");
    if (h.expect_continue)
        LESTO_CHECK(broken, expects > 0 && h.version_minor == 1, "expect_continue");
}

}  // namespace lesto::test
