// head_rules.hpp: what the request line and the framing fields mean, for the request parser.
#pragma once

#include "http/fields.hpp"
#include "parser/errors.hpp"
#include "parser/first_block.hpp"
#include "parser/limits.hpp"
#include "parser/parser.hpp"
#include "parser/request.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lesto::http::detail {

/// For the rules every head runs through, once per head or per field line.
/// `inline` alone lets GCC keep them out of line, being called from both
/// the fast path and the resumable parser: each call then costs a prologue,
/// spills and `seen` in memory, ~120 of the ~350 instructions a wrk request
/// took in `Server::service` (bench/instructions.py).
#define LESTO_HOT_RULE [[gnu::always_inline]] inline

/// What the parser has seen so far in one head: flags kept across calls.
enum Seen : std::uint8_t {
    seen_host = 1,
    seen_length = 2,
    seen_transfer = 4,
    absolute_target = 8,
    conn_close = 16,
    conn_keep_alive = 32,
    transfer_unknown = 64,  // a coding other than chunked: 501 at the end of the head
    target_fragment = 128,  // a '#' in the request-target: 400 once the line is read
};

/// The version of the request line; sets `minor` when it is one we speak.
ParseError classify_version(std::string_view v, std::uint8_t& minor) noexcept;

/// Checks the method and target in `out` against each other, and sets path,
/// query and (absolute-form) host. `query` is the offset of the first '?'
/// in the target, npos when there is none.
ParseError check_any_target(RequestHead& out, std::uint8_t& seen, std::size_t query) noexcept;

/// check_any_target, with the origin-form target of nearly every request inline.
LESTO_HOT_RULE ParseError check_target(RequestHead& out, std::uint8_t& seen,
                                       std::size_t query) noexcept {
    // CONNECT (the only 7-byte method refused) and a fragment are refused
    // before the form is looked at: those, like every other form, go the
    // long way.
    if (out.target[0] != '/' || out.method.size() == 7 || (seen & target_fragment)) {
        std::uint8_t flags = seen;  // a copy, as on_field explains
        const ParseError e = check_any_target(out, flags, query);
        seen = flags;
        return e;
    }
    if (query == std::string_view::npos) {
        out.path = out.target;
        return {};
    }
    out.path = out.target.substr(0, query);
    out.query = out.target.substr(query + 1);
    out.has_query = true;
    return {};
}

/// The checks at the blank line that ends a head; sets keep_alive.
LESTO_HOT_RULE ParseError finish_head(RequestHead& out, std::uint8_t seen) noexcept {
    // RFC 9112 3.2: an HTTP/1.1 request without Host is a 400.
    if (out.version_minor == 1 && !(seen & seen_host)) return errors::missing_host;
    if (seen & transfer_unknown) return errors::unknown_coding;
    out.keep_alive = !(seen & conn_close) && (out.version_minor == 1 || (seen & conn_keep_alive));
    return {};
}

/// uri-host [ ":" port ] (RFC 9110 7.2); an empty value is valid for Host.
bool valid_host(std::string_view h) noexcept;

/// valid_host for the value of a Host field line. The value holds no CTL
/// other than HTAB (the value scan stopped at the first), and it ends at
/// least 16 bytes into the buffer: the shortest request line, "M / HTTP/1.1"
/// and CRLF, is 14 bytes, and a field name and its colon 2 more.
inline bool valid_host_field(std::string_view h) noexcept {
#if defined(__x86_64__)
    // The usual host is letters, digits, '.' and '-', maybe with a port,
    // and short: one SSE2 block says so, from the 16 bytes that end where
    // it ends (they are in the buffer), bits of the bytes before it masked
    // off. Any other host, valid or not, is judged by the full test.
    if (h.size() <= 16) {
        using namespace scan;
        const __m128i x = load16(h.data() + h.size() - 16);
        // OR 0x20 lower-cases letters and keeps '-', '.', '/', ':' and the
        // digits; only CTLs (none here; HTAB becomes ')') join them.
        const __m128i y = _mm_or_si128(x, splat16(0x20));
        const __m128i alpha = in_range16(y, 'a', 'z');
        const __m128i dash_to_colon = in_range16(y, '-', ':');
        const __m128i ok =
            _mm_or_si128(alpha, _mm_andnot_si128(_mm_cmpeq_epi8(x, splat16('/')), dash_to_colon));
        // One bit per byte of the host, the bytes before it shifted out.
        const auto bits = [shift = 16 - h.size()](__m128i m, unsigned flip) {
            return (static_cast<unsigned>(_mm_movemask_epi8(m)) ^ flip) >> shift;
        };
        const unsigned not_ok = bits(ok, 0xffff);
        // After the first ':' only the digits of a port: `port` has the
        // bits above the lowest colon (none without a colon).
        const unsigned colons = bits(_mm_cmpeq_epi8(x, splat16(':')), 0);
        const unsigned port = colons ^ (0u - colons);
        const unsigned not_digit = bits(in_range16(x, '0', '9'), 0xffff);
        if ((not_ok | (port & not_digit)) == 0) return true;
    }
#endif
    return valid_host(h);
}

LESTO_HOT_RULE ParseError on_host(std::string_view value, RequestHead& out,
                                  std::uint8_t& seen) noexcept {
    if (seen & seen_host) return errors::two_hosts;
    seen |= seen_host;
    if (!valid_host_field(value)) return errors::invalid_host;
    // An absolute-form target names the host itself (RFC 9112 3.2.2).
    if (!(seen & absolute_target)) out.host = value;
    return {};
}

ParseError on_content_length(std::string_view value, RequestHead& out, std::uint8_t& seen,
                             const Limits& limits) noexcept;
ParseError on_transfer_encoding(std::string_view value, RequestHead& out,
                                std::uint8_t& seen) noexcept;
ParseError on_expect(std::string_view value, RequestHead& out) noexcept;
/// `seen` with the connection options of `value` added.
std::uint8_t on_connection(std::string_view value, std::uint8_t seen) noexcept;

/// Compares one word of `name` with one of a literal. With `Fold`, the
/// name's bytes are OR-ed with 0x20 first, so a byte c matches a literal
/// byte L when c is L or L - 0x20. For a lower-case letter L that is its
/// upper case; for '-', '/', ':' and digits it is a control byte (0x0d,
/// 0x0f, 0x1a, 0x10-0x19), which no name, value or target compared here
/// holds (and HTAB becomes ')', in no literal). So against a lower-case
/// literal of letters, digits, '-', '/' and ':' it is an exact
/// case-insensitive compare.
template <class Word, bool Fold> inline bool word_is(const char* name, const char* lit) noexcept {
    Word a, b, fold = 0;
    std::memcpy(&a, name, sizeof a);
    std::memcpy(&b, lit, sizeof b);
    if constexpr (Fold) std::memset(&fold, 0x20, sizeof fold);
    return (a | fold) == b;
}

/// Whether the N - 1 bytes at `p` are the literal `lit` (ignoring case with
/// `Fold`, see word_is): two or three overlapping word compares, where
/// memcmp of an odd length may be a call.
template <bool Fold, std::size_t N>
inline bool bytes_are(const char* p, const char (&lit)[N]) noexcept {
    constexpr std::size_t n = N - 1;
    static_assert(n >= 4 && n <= 24);
    if constexpr (n < 8) {
        return word_is<std::uint32_t, Fold>(p, lit) &&
               word_is<std::uint32_t, Fold>(p + n - 4, lit + n - 4);
    } else if constexpr (n <= 16) {
        return word_is<std::uint64_t, Fold>(p, lit) &&
               word_is<std::uint64_t, Fold>(p + n - 8, lit + n - 8);
    } else {
        return word_is<std::uint64_t, Fold>(p, lit) &&
               word_is<std::uint64_t, Fold>(p + 8, lit + 8) &&
               word_is<std::uint64_t, Fold>(p + n - 8, lit + n - 8);
    }
}

/// A field name (tchars only, checked by the caller) that is `lit`, in any case.
template <std::size_t N> inline bool name_is(const char* name, const char (&lit)[N]) noexcept {
    return bytes_are<true>(name, lit);
}

/// Bytes of a field value or target that are `lit`, in any case (see word_is).
template <std::size_t N> inline bool ieq(std::string_view s, const char (&lit)[N]) noexcept {
    return s.size() == N - 1 && bytes_are<true>(s.data(), lit);
}

/// Applies one field line to `out`. Inline: most fields are none of the
/// framing ones and cost a switch on the length, sometimes one compare.
/// The rules out of line get a copy of `seen`: were the caller's own
/// passed by reference, its address would escape and it could not stay in
/// a register.
LESTO_HOT_RULE ParseError on_field(std::string_view name, std::string_view value, RequestHead& out,
                                   std::uint8_t& seen, const Limits& limits) noexcept {
    const char* const s = name.data();
    // Host first: every request has one.
    if (name.size() == 4) return name_is(s, "host") ? on_host(value, out, seen) : ParseError{};
    switch (name.size()) {
    case 6:
        if (name_is(s, "expect")) return on_expect(value, out);
        break;
    case 10:
        if (!name_is(s, "connection")) break;
        // The usual value is one token: the list walk only for the others.
        if (ieq(value, "keep-alive")) seen |= conn_keep_alive;
        else if (ieq(value, "close")) seen |= conn_close;
        else seen = on_connection(value, seen);
        break;
    case 14:
        if (name_is(s, "content-length")) {
            std::uint8_t flags = seen;
            const ParseError e = on_content_length(value, out, flags, limits);
            seen = flags;
            return e;
        }
        break;
    case 17:
        if (name_is(s, "transfer-encoding")) {
            std::uint8_t flags = seen;
            const ParseError e = on_transfer_encoding(value, out, flags);
            seen = flags;
            return e;
        }
        break;
    default:
        break;
    }
    return {};
}

}  // namespace lesto::http::detail
