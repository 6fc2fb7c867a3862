// percent.hpp: percent-decoding of a request path (RFC 3986 2.1), for routing and for the app.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace lesto::http {

/// The value of a hex digit (RFC 3986 HEXDIG, either case); -1 for any other byte.
constexpr int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

namespace detail {

/// Whether one of the N bytes of `word` is '%' (exact: the borrow of the
/// subtraction only runs on from a byte that was zero after the XOR).
template <class Word> inline bool word_has_percent(const char* p) noexcept {
    Word w, ones;
    std::memcpy(&w, p, sizeof w);
    std::memset(&ones, 0x01, sizeof ones);
    const Word x = w ^ static_cast<Word>(ones * 0x25u);
    return ((x - ones) & ~x & static_cast<Word>(ones * 0x80u)) != 0;
}

/// Whether `s` holds a '%'. Inline and without a call for the paths of up
/// to 32 bytes that nearly every request has, with none: two overlapping
/// loads cover each length class (words, or SSE2 blocks); longer paths go
/// to memchr.
inline bool has_percent(std::string_view s) noexcept {
    const char* const p = s.data();
    const std::size_t n = s.size();
    if (n < 4) return n != 0 && (p[0] == '%' || p[n / 2] == '%' || p[n - 1] == '%');
    using Word32 = std::uint32_t;
    using Word64 = std::uint64_t;
    if (n <= 8) return word_has_percent<Word32>(p) || word_has_percent<Word32>(p + n - 4);
    if (n <= 16) return word_has_percent<Word64>(p) || word_has_percent<Word64>(p + n - 8);
    if (n <= 32) {
#if defined(__x86_64__)
        const __m128i pct = _mm_set1_epi8('%');
        const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
        const __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(head, pct), _mm_cmpeq_epi8(tail, pct));
        return _mm_movemask_epi8(hits) != 0;
#else
        return word_has_percent<Word64>(p) || word_has_percent<Word64>(p + 8) ||
               word_has_percent<Word64>(p + n - 16) || word_has_percent<Word64>(p + n - 8);
#endif
    }
    return std::memchr(p, '%', n) != nullptr;
}

/// Decodes `in`, which holds a '%', into `out` (see percent_decode and routing_decode).
void decode_escapes(std::string_view in, std::string& out, bool keep_reserved);

}  // namespace detail

/// Decode every `%XX` (hex, either case) of `in` into `out`. A '%' not
/// followed by two hex digits stays as it is. Returns false, leaving `out`
/// untouched, when `in` has no '%' at all (the common case: use `in` itself).
inline bool percent_decode(std::string_view in, std::string& out) {
    if (!detail::has_percent(in)) return false;
    detail::decode_escapes(in, out, false);
    return true;
}

/// The path the router matches: like `percent_decode`, except that `%2F`
/// and `%25` stay encoded, so an encoded slash never splits a segment and a
/// placeholder's value can be decoded once more, exactly once, with
/// `percent_decode`. Returns false when `in` has no '%'; that check is
/// inline, as the engine asks for every request's path.
inline bool routing_decode(std::string_view in, std::string& out) {
    if (!detail::has_percent(in)) return false;
    detail::decode_escapes(in, out, true);
    return true;
}

}  // namespace lesto::http
