// head_rules.cpp: what the request line and the framing fields mean (RFC 9110, RFC 9112).
#include "parser/head_rules.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

namespace lesto::http::detail {
namespace {

// reg-name bytes of RFC 3986 (unreserved, sub-delims, '%' of pct-encoded).
constexpr std::array<bool, 256> make_reg_name() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (char c : {'-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', '%'})
        t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr std::array<bool, 256> reg_name_table = make_reg_name();

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

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

}  // namespace

bool valid_host(std::string_view h) noexcept {
    const char* p = h.data();
    const char* const end = p + h.size();
    const auto reg_name = [](char c) noexcept {
        return reg_name_table[static_cast<unsigned char>(c)];
    };
    if (p != end && *p == '[') {
        // IP-literal: IPv6 or IPvFuture, checked loosely as reg-name bytes and ':'.
        const char* q = ++p;
        while (p != end && (reg_name(*p) || *p == ':')) ++p;
        if (p == end || *p != ']' || p == q) return false;
        ++p;
    } else {
        while (p != end && reg_name(*p)) ++p;
    }
    if (p == end) return true;
    if (*p != ':') return false;
    while (++p != end)
        if (!is_digit(*p)) return false;
    return true;
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
        return errors::version_not_supported;
    }
    return errors::malformed_version;
}

ParseError check_any_target(RequestHead& out, std::uint8_t& seen, std::size_t query) noexcept {
    const std::string_view t = out.target;
    // Lesto serves origins, it is not a proxy: CONNECT is a method it does
    // not implement, hence 501 rather than a 400 for its authority-form.
    if (out.method == "CONNECT") return errors::connect;
    if (seen & target_fragment) return errors::fragment;
    if (t[0] == '/') {
        if (query == std::string_view::npos) {
            out.path = t;
            return {};
        }
        out.path = t.substr(0, query);
        out.query = t.substr(query + 1);
        out.has_query = true;
        return {};
    }
    if (t == "*") {
        if (out.method != "OPTIONS") return errors::asterisk_not_options;
        out.path = t;
        return {};
    }
    std::size_t scheme = 0;
    if (t.size() > 7 && ieq(t.substr(0, 7), "http://")) scheme = 7;
    else if (t.size() > 8 && ieq(t.substr(0, 8), "https://")) scheme = 8;
    if (scheme == 0) return errors::target_form;
    const std::string_view rest = t.substr(scheme);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (authority.empty() || authority[0] == ':' || !valid_host(authority))
        return errors::target_host;
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

ParseError on_content_length(std::string_view value, RequestHead& out, std::uint8_t& seen,
                             const Limits& limits) noexcept {
    if (seen & seen_transfer) return errors::length_and_transfer;
    ParseError err;
    std::uint64_t first = 0;
    bool any = false;
    // A list of identical values ("5, 5") is one length (RFC 9110 8.6).
    each_element(value, [&](std::string_view e) {
        if (e.empty())
            return err = value.empty() ? errors::empty_length : errors::empty_length_element, false;
        std::uint64_t v = 0;
        for (char c : e) {
            if (!is_digit(c)) return err = errors::invalid_length, false;
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
                return err = errors::length_overflows, false;
            v = v * 10 + d;
        }
        if (any && v != first) return err = errors::conflicting_lengths, false;
        first = v;
        any = true;
        return true;
    });
    if (err.status) return err;
    if ((seen & seen_length) && out.content_length != first) return errors::conflicting_lengths;
    seen |= seen_length;
    out.body_kind = BodyKind::content_length;
    out.content_length = first;
    if (first > limits.max_body_bytes) return errors::length_too_large;
    return {};
}

ParseError on_transfer_encoding(std::string_view value, RequestHead& out,
                                std::uint8_t& seen) noexcept {
    if (out.version_minor == 0) return errors::transfer_in_http10;
    // Two field lines would be one list by RFC 9110 5.3, but combining them is
    // where proxies disagree; refusing is the smuggling-safe answer.
    if (seen & seen_transfer) return errors::two_transfers;
    if (seen & seen_length) return errors::length_and_transfer;
    seen |= seen_transfer;
    bool any = false, last_chunked = false, chunked_not_last = false, unknown = false;
    each_element(value, [&](std::string_view e) {
        if (e.empty()) return true;  // empty list elements do not count (RFC 9110 5.6.1)
        if (last_chunked) chunked_not_last = true;
        // Exactly "chunked": "chun ked", "xchunked" or "chunked;x=1" are some
        // other coding and must never frame the body as chunked.
        last_chunked = ieq(e, "chunked");
        unknown |= !last_chunked;
        any = true;
        return true;
    });
    if (!any) return errors::empty_transfer;
    if (chunked_not_last) return errors::chunked_not_last;
    // An unknown coding is refused only once the head is complete, so that a
    // later Content-Length or second Transfer-Encoding still answers 400:
    // ambiguous framing gets the same answer whatever the order of lines.
    if (unknown) seen |= transfer_unknown;
    else out.body_kind = BodyKind::chunked;
    return {};
}

ParseError on_expect(std::string_view value, RequestHead& out) noexcept {
    ParseError err;
    bool any = false;
    each_element(value, [&](std::string_view e) {
        if (e.empty()) return true;
        if (!ieq(e, "100-continue")) return err = errors::expectation, false;
        any = true;
        return true;
    });
    // An HTTP/1.0 client cannot wait for a 100 (RFC 9110 10.1.1): ignore it.
    if (any && out.version_minor == 1) out.expect_continue = true;
    return err;
}

std::uint8_t on_connection(std::string_view value, std::uint8_t seen) noexcept {
    each_element(value, [&](std::string_view e) {
        if (ieq(e, "close")) seen |= conn_close;
        else if (ieq(e, "keep-alive")) seen |= conn_keep_alive;
        return true;
    });
    return seen;
}

}  // namespace lesto::http::detail
