// parser.cpp: the HTTP/1.x request-head parser, one resumable pass over the head.
#include "parser/parser.hpp"

#include "parser/scan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

namespace lesto::http {

// Every stage scans forward from scanned_ and stops at the first byte that
// ends it; when the data runs out, scanned_ remembers where to go on, so no
// byte of the head is looked at twice by the scanners, however it is split.
enum class RequestParser::Stage : std::uint8_t {
    fresh, // nothing seen: clear `out` first
    start, // skipping empty lines before the request line (RFC 9112 2.2)
    method,
    target,
    version,
    name, // start of a field line, or the blank line that ends the head
    value,
    done,
    failed,
};

namespace {

enum Seen : std::uint8_t {
    seen_host = 1,
    seen_length = 2,
    seen_transfer = 4,
    absolute_target = 8,
    conn_close = 16,
    conn_keep_alive = 32,
    transfer_unknown = 64, // a coding other than chunked: 501 at the end of the head
};

constexpr std::size_t add_sat(std::size_t a, std::size_t b) noexcept {
    return b > std::numeric_limits<std::size_t>::max() - a ? std::numeric_limits<std::size_t>::max()
                                                           : a + b;
}

constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

/// ASCII case-insensitive compare against a lower-case literal.
constexpr bool ieq(std::string_view s, std::string_view lower_lit) noexcept {
    if (s.size() != lower_lit.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (lower(s[i]) != lower_lit[i]) return false;
    return true;
}

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

/// Calls f on each comma-separated element of a field value, trimmed of OWS
/// (empty ones included: each field decides what an empty element means).
/// Stops early when f returns false.
template <class F> constexpr void each_element(std::string_view list, F&& f) {
    for (;;) {
        const std::size_t comma = list.find(',');
        if (!f(trim_ows(list.substr(0, comma)))) return;
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

// reg-name bytes of RFC 3986 (unreserved, sub-delims, '%' of pct-encoded).
constexpr std::array<bool, 256> make_reg_name() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
        t[static_cast<std::size_t>(c)] = true;
    for (char c : {'-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '%'})
        t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr std::array<bool, 256> reg_name_table = make_reg_name();

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

/// uri-host [ ":" port ] (RFC 9110 7.2); an empty value is valid for Host.
bool valid_host(std::string_view h) noexcept {
    const char* p = h.data();
    const char* const end = p + h.size();
    const auto reg_name = [](char c) noexcept {
        return reg_name_table[static_cast<unsigned char>(c)];
    };
    if (p != end && *p == '[') {
        // IP-literal: IPv6 or IPvFuture, checked loosely as reg-name bytes and ':'.
        const char* q = ++p;
        while (p != end && (reg_name(*p) || *p == ':'))
            ++p;
        if (p == end || *p != ']' || p == q) return false;
        ++p;
    } else {
        while (p != end && reg_name(*p))
            ++p;
    }
    if (p == end) return true;
    if (*p != ':') return false;
    while (++p != end)
        if (!is_digit(*p)) return false;
    return true;
}

/// Splits an origin-form path at the first '?'.
void split_query(std::string_view s, RequestHead& out) noexcept {
    const std::size_t q = s.find('?');
    if (q == std::string_view::npos) {
        out.path = s;
        return;
    }
    out.path = s.substr(0, q);
    out.query = s.substr(q + 1);
    out.has_query = true;
}

ParseError classify_version(std::string_view v, std::uint8_t& minor) noexcept {
    if (v.size() == 8 && std::memcmp(v.data(), "HTTP/1.", 7) == 0) {
        if (v[7] == '1') return minor = 1, ParseError{};
        if (v[7] == '0') return minor = 0, ParseError{};
        // RFC 9110 2.5: a higher minor version of a major version we speak is
        // processed as the highest minor we implement, so HTTP/1.2 is 1.1.
        if (is_digit(v[7])) return minor = 1, ParseError{};
    } else if (v.size() == 8 && std::memcmp(v.data(), "HTTP/", 5) == 0 && is_digit(v[5]) &&
               v[6] == '.' && is_digit(v[7])) {
        return {505, "HTTP version not supported"};
    }
    return {400, "malformed HTTP version"};
}

ParseError check_target(RequestHead& out, std::uint8_t& seen) noexcept {
    const std::string_view t = out.target;
    // Lesto serves origins, it is not a proxy: CONNECT is a method it does
    // not implement, hence 501 rather than a 400 for its authority-form.
    if (out.method == "CONNECT") return {501, "CONNECT is not supported"};
    if (t.find('#') != std::string_view::npos) return {400, "fragment in request target"};
    if (t[0] == '/') {
        split_query(t, out);
        return {};
    }
    if (t == "*") {
        if (out.method != "OPTIONS") return {400, "asterisk-form target is only for OPTIONS"};
        out.path = t;
        return {};
    }
    std::size_t scheme = 0;
    if (t.size() > 7 && ieq(t.substr(0, 7), "http://"))
        scheme = 7;
    else if (t.size() > 8 && ieq(t.substr(0, 8), "https://"))
        scheme = 8;
    if (scheme == 0) return {400, "invalid request target"};
    const std::string_view rest = t.substr(scheme);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (authority.empty() || authority[0] == ':' || !valid_host(authority))
        return {400, "invalid host in request target"};
    out.host = authority;
    seen |= absolute_target;
    const std::string_view tail = rest.substr(authority.size());
    if (tail.empty() || tail[0] == '?') {
        // No path: it is "/" (RFC 9112 3.2.2). The last '/' of "://" is such a
        // byte inside the buffer, so the view still moves with rebase().
        out.path = t.substr(scheme - 1, 1);
        if (!tail.empty()) {
            out.query = tail.substr(1);
            out.has_query = true;
        }
        return {};
    }
    split_query(tail, out);
    return {};
}

ParseError on_host(std::string_view value, RequestHead& out, std::uint8_t& seen) noexcept {
    if (seen & seen_host) return {400, "more than one Host header"};
    seen |= seen_host;
    if (!valid_host(value)) return {400, "invalid Host header"};
    // An absolute-form target names the host itself (RFC 9112 3.2.2).
    if (!(seen & absolute_target)) out.host = value;
    return {};
}

ParseError on_content_length(std::string_view value, RequestHead& out, std::uint8_t& seen,
                             const Limits& limits) noexcept {
    if (seen & seen_transfer) return {400, "Content-Length and Transfer-Encoding together"};
    ParseError err;
    std::uint64_t first = 0;
    bool any = false;
    // A list of identical values ("5, 5") is one length (RFC 9110 8.6).
    each_element(value, [&](std::string_view e) {
        if (e.empty()) return err = {400, "invalid Content-Length"}, false;
        std::uint64_t v = 0;
        for (char c : e) {
            if (!is_digit(c)) return err = {400, "invalid Content-Length"}, false;
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
                return err = {400, "Content-Length overflows"}, false;
            v = v * 10 + d;
        }
        if (any && v != first) return err = {400, "conflicting Content-Length values"}, false;
        first = v;
        any = true;
        return true;
    });
    if (err.status) return err;
    if ((seen & seen_length) && out.content_length != first)
        return {400, "conflicting Content-Length values"};
    seen |= seen_length;
    out.body_kind = BodyKind::content_length;
    out.content_length = first;
    if (first > limits.max_body_bytes) return {413, "Content-Length larger than the body limit"};
    return {};
}

ParseError on_transfer_encoding(std::string_view value, RequestHead& out,
                                std::uint8_t& seen) noexcept {
    if (out.version_minor == 0) return {400, "Transfer-Encoding in an HTTP/1.0 request"};
    // Two field lines would be one list by RFC 9110 5.3, but combining them is
    // where proxies disagree; refusing is the smuggling-safe answer.
    if (seen & seen_transfer) return {400, "more than one Transfer-Encoding header"};
    if (seen & seen_length) return {400, "Content-Length and Transfer-Encoding together"};
    seen |= seen_transfer;
    bool any = false, last_chunked = false, chunked_not_last = false, unknown = false;
    each_element(value, [&](std::string_view e) {
        if (e.empty()) return true; // empty list elements do not count (RFC 9110 5.6.1)
        if (last_chunked) chunked_not_last = true;
        // Exactly "chunked": "chun ked", "xchunked" or "chunked;x=1" are some
        // other coding and must never frame the body as chunked.
        last_chunked = ieq(e, "chunked");
        unknown |= !last_chunked;
        any = true;
        return true;
    });
    if (!any) return {400, "empty Transfer-Encoding"};
    if (chunked_not_last) return {400, "chunked is not the final transfer coding"};
    // An unknown coding is refused only once the head is complete, so that a
    // later Content-Length or second Transfer-Encoding still answers 400:
    // ambiguous framing gets the same answer whatever the order of lines.
    if (unknown)
        seen |= transfer_unknown;
    else
        out.body_kind = BodyKind::chunked;
    return {};
}

ParseError on_expect(std::string_view value, RequestHead& out) noexcept {
    ParseError err;
    bool any = false;
    each_element(value, [&](std::string_view e) {
        if (e.empty()) return true;
        if (!ieq(e, "100-continue")) return err = {417, "unsupported expectation"}, false;
        any = true;
        return true;
    });
    // An HTTP/1.0 client cannot wait for a 100 (RFC 9110 10.1.1): ignore it.
    if (any && out.version_minor == 1) out.expect_continue = true;
    return err;
}

void on_connection(std::string_view value, std::uint8_t& seen) noexcept {
    each_element(value, [&](std::string_view e) {
        if (ieq(e, "close"))
            seen |= conn_close;
        else if (ieq(e, "keep-alive"))
            seen |= conn_keep_alive;
        return true;
    });
}

ParseError on_field(std::string_view name, std::string_view value, RequestHead& out,
                    std::uint8_t& seen, const Limits& limits) noexcept {
    // Dispatch on length first: most fields are none of these and cost one switch.
    switch (name.size()) {
    case 4:
        if (ieq(name, "host")) return on_host(value, out, seen);
        break;
    case 6:
        if (ieq(name, "expect")) return on_expect(value, out);
        break;
    case 10:
        if (ieq(name, "connection")) on_connection(value, seen);
        break;
    case 14:
        if (ieq(name, "content-length")) return on_content_length(value, out, seen, limits);
        break;
    case 17:
        if (ieq(name, "transfer-encoding")) return on_transfer_encoding(value, out, seen);
        break;
    default:
        break;
    }
    return {};
}

/// Reason for a byte that ended a token where it may not.
constexpr std::string_view line_end_reason(char c, std::string_view otherwise) noexcept {
    // Bare LF is refused although RFC 9112 2.2 lets a recipient accept it: a
    // proxy in front that disagrees about line ends is a smuggling vector.
    if (c == '\n') return "bare LF (line ends must be CRLF)";
    if (c == '\r') return "bare CR (line ends must be CRLF)";
    return otherwise;
}

} // namespace

ParseResult RequestParser::fail(int status, std::string_view reason) noexcept {
    stage_ = Stage::failed;
    error_ = {status, reason};
    return {ParseStatus::error, 0, error_};
}

ParseResult RequestParser::parse(std::string_view data, RequestHead& out) {
    const char* const b = data.data();
    const std::size_t n = data.size();
    const Limits& limits = *limits_;
    const scan::Scanners& sc = scan::best();

    switch (stage_) {
    case Stage::fresh:
        out.clear();
        stage_ = Stage::start;
        break;
    case Stage::done:
        return {ParseStatus::complete, out.head_size, {}};
    case Stage::failed:
        return {ParseStatus::error, 0, error_};
    default:
        if (base_ != b) out.rebase(base_, b);
        break;
    }
    base_ = b;

    // The state lives in locals while parsing (the compiler keeps them in
    // registers across the scanner calls) and goes back to the members only
    // when the data runs out.
    Stage stage = stage_;
    std::size_t line = line_, scanned = scanned_, mark = mark_, mark2 = mark2_;
    std::uint8_t seen = seen_;
    const auto suspend = [&](std::size_t resume_at) noexcept {
        stage_ = stage;
        line_ = line;
        scanned_ = resume_at;
        mark_ = mark;
        mark2_ = mark2;
        seen_ = seen;
        return ParseResult{};
    };

    // Byte indexes at or past head_cap are over the header-size limit: once
    // such a byte is present and still needed, the answer is 431, without
    // waiting for the end of the head.
    const std::size_t head_cap = limits.max_header_bytes;
    const std::size_t head_window = std::min(n, head_cap);

    // Checks that b[i] is the LF after a CR at i - 1.
    enum class Lf : std::uint8_t { ok, short_of_data, over, bad };
    const auto lf_at = [&](std::size_t i) noexcept {
        if (i >= n) return Lf::short_of_data;
        if (i >= head_cap) return Lf::over;
        return b[i] == '\n' ? Lf::ok : Lf::bad;
    };

    for (;;) {
        switch (stage) {
        case Stage::start: {
            for (;;) {
                if (line >= n) return suspend(line);
                if (line >= head_cap) return fail(431, "request header section too large");
                if (b[line] == '\n') return fail(400, line_end_reason('\n', {}));
                if (b[line] != '\r') break;
                switch (lf_at(line + 1)) {
                case Lf::short_of_data:
                    return suspend(line);
                case Lf::over:
                    return fail(431, "request header section too large");
                case Lf::bad:
                    return fail(400, line_end_reason('\r', {}));
                case Lf::ok:
                    line += 2;
                    break;
                }
            }
            scanned = line;
            stage = Stage::method;
            // The methods of nearly every request, without a scan.
            const std::size_t room =
                std::min({n, head_cap, add_sat(line, limits.max_request_line)}) - line;
            if (room > 5 && std::memcmp(b + line, "GET /", 5) == 0) {
                mark = line + 3;
                scanned = mark + 1;
                stage = Stage::target;
            } else if (room > 6 && std::memcmp(b + line, "POST /", 6) == 0) {
                mark = line + 4;
                scanned = mark + 1;
                stage = Stage::target;
            }
            break;
        }
        case Stage::method:
        case Stage::target:
        case Stage::version: {
            // The request line holds at most max_request_line bytes before
            // its CR: the byte at line_cap can only be that CR.
            const std::size_t line_cap = add_sat(line, limits.max_request_line);
            const std::size_t window = std::min(head_window, line_cap);
            std::size_t p;
            if (stage == Stage::version && window - scanned >= 8 && n - scanned >= 10 &&
                std::memcmp(b + scanned, "HTTP/1.1\r\n", 10) == 0) {
                p = scanned + 8; // the usual version, without a scan
            } else {
                const scan::Finder find = stage == Stage::method ? sc.non_tchar : sc.ctl_or_space;
                p = static_cast<std::size_t>(find(b + scanned, b + window) - b);
            }
            if (p == window) {
                if (window == n) return suspend(p);
                if (window == head_cap) return fail(431, "request header section too large");
                if (stage != Stage::version || b[p] != '\r')
                    return fail(414, "request line too long");
            }
            const char c = b[p];
            if (stage == Stage::method) {
                if (c == '\n') return fail(400, line_end_reason(c, {}));
                if (p == line) return fail(400, "missing method");
                if (c == '\r') return fail(400, "request line without a target");
                if (c != ' ') return fail(400, "invalid character in method");
                mark = p;
                scanned = p + 1;
                stage = Stage::target;
            } else if (stage == Stage::target) {
                if (c == ' ' && p == mark + 1) return fail(400, "empty request target");
                if (c == '\r' || c == '\n') return fail(400, "missing HTTP version");
                if (c != ' ') return fail(400, "invalid character in request target");
                mark2 = p;
                scanned = p + 1;
                stage = Stage::version;
            } else {
                if (c != '\r') return fail(400, line_end_reason(c, "malformed HTTP version"));
                // Judged at the CR already, so that a bad version or
                // target is refused without waiting for another byte.
                out.method = {b + line, mark - line};
                out.target = {b + mark + 1, mark2 - mark - 1};
                if (const ParseError e =
                        classify_version({b + mark2 + 1, p - mark2 - 1}, out.version_minor);
                    e.status)
                    return fail(e.status, e.reason);
                if (const ParseError e = check_target(out, seen); e.status)
                    return fail(e.status, e.reason);
                switch (lf_at(p + 1)) {
                case Lf::short_of_data:
                    return suspend(p);
                case Lf::over:
                    return fail(431, "request header section too large");
                case Lf::bad:
                    return fail(400, line_end_reason('\r', {}));
                case Lf::ok:
                    break;
                }
                line = scanned = p + 2;
                stage = Stage::name;
            }
            break;
        }
        case Stage::name: {
            const std::size_t p =
                static_cast<std::size_t>(sc.non_tchar(b + scanned, b + head_window) - b);
            if (p == head_window) {
                if (head_window < n) return fail(431, "request header section too large");
                return suspend(p);
            }
            const char c = b[p];
            if (c == ':' && p != line) {
                mark = p;
                scanned = p + 1;
                stage = Stage::value;
                break;
            }
            if (p != line) {
                if (c == ' ' || c == '\t')
                    return fail(400, "whitespace between header name and colon");
                if (c == '\r') return fail(400, "header line without a colon");
                return fail(400, line_end_reason(c, "invalid character in header name"));
            }
            if (c == '\r') {
                switch (lf_at(p + 1)) {
                case Lf::short_of_data:
                    return suspend(p);
                case Lf::over:
                    return fail(431, "request header section too large");
                case Lf::bad:
                    return fail(400, line_end_reason('\r', {}));
                case Lf::ok:
                    break;
                }
                // RFC 9112 3.2: an HTTP/1.1 request without Host is a 400.
                if (out.version_minor == 1 && !(seen & seen_host))
                    return fail(400, "missing Host header");
                if (seen & transfer_unknown) return fail(501, "unsupported transfer coding");
                out.keep_alive =
                    !(seen & conn_close) && (out.version_minor == 1 || (seen & conn_keep_alive));
                out.head_size = p + 2;
                stage_ = Stage::done;
                return {ParseStatus::complete, p + 2, {}};
            }
            // obs-fold is refused (RFC 9112 5.2 allows 400): unfolding is
            // another place where two parsers can disagree.
            if (c == ' ' || c == '\t') return fail(400, "folded header line (obs-fold)");
            if (c == ':') return fail(400, "empty header name");
            return fail(400, line_end_reason(c, "invalid character in header name"));
        }
        case Stage::value: {
            const std::size_t p =
                static_cast<std::size_t>(sc.ctl(b + scanned, b + head_window) - b);
            if (p == head_window) {
                if (head_window < n) return fail(431, "request header section too large");
                return suspend(p);
            }
            if (b[p] != '\r')
                return fail(400, b[p] == '\n' ? line_end_reason('\n', {})
                                              : "invalid character in header value");
            switch (lf_at(p + 1)) {
            case Lf::short_of_data:
                return suspend(p);
            case Lf::over:
                return fail(431, "request header section too large");
            case Lf::bad:
                return fail(400, line_end_reason('\r', {}));
            case Lf::ok:
                break;
            }
            if (out.headers.size() >= limits.max_header_count)
                return fail(431, "too many header fields");
            const Header h{{b + line, mark - line}, trim_ows({b + mark + 1, p - mark - 1})};
            out.headers.push_back(h);
            if (const ParseError e = on_field(h.name, h.value, out, seen, limits); e.status)
                return fail(e.status, e.reason);
            line = scanned = p + 2;
            stage = Stage::name;
            break;
        }
        case Stage::fresh:
        case Stage::done:
        case Stage::failed:
            return fail(500, "parser in an impossible state");
        }
    }
}

} // namespace lesto::http
