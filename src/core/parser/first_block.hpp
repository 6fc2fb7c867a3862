// first_block.hpp: inline scans for short spans: one SSE2 block in the parser, then the Scanners.
#pragma once

#include "parser/scan.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

namespace lesto::http::scan {

#if defined(__x86_64__)

// Each *_mask16 returns one bit per byte of the block that ends its class's
// span. SSE2 is the x86-64 baseline, so these need no run-time check and can
// be inlined into the parser; scan.cpp builds its SSE2 scanners from them too.
// The tchar test is derived from http/chars.hpp at compile time; the others
// are fixed byte ranges, which scan_test checks against the rules' tables
// for every byte value.

inline __m128i splat16(int c) noexcept { return _mm_set1_epi8(static_cast<char>(c)); }

inline __m128i load16(const char* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

inline unsigned ctl_mask16(__m128i x) noexcept {
    // SSE2 has no unsigned byte compare; min_epu8(x, 0x1f) == x means x < 0x20.
    const __m128i below_space = _mm_cmpeq_epi8(_mm_min_epu8(x, splat16(0x1f)), x);
    const __m128i ctl = _mm_andnot_si128(_mm_cmpeq_epi8(x, splat16('\t')), below_space);
    const __m128i del = _mm_cmpeq_epi8(x, splat16(0x7f));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(ctl, del)));
}

inline __m128i ctl_or_space16(__m128i x) noexcept {
    const __m128i le_space = _mm_cmpeq_epi8(_mm_min_epu8(x, splat16(0x20)), x);
    return _mm_or_si128(le_space, _mm_cmpeq_epi8(x, splat16(0x7f)));
}

inline unsigned ctl_or_space_mask16(__m128i x) noexcept {
    return static_cast<unsigned>(_mm_movemask_epi8(ctl_or_space16(x)));
}

inline unsigned target_mask16(__m128i x) noexcept {
    const __m128i marks =
        _mm_or_si128(_mm_cmpeq_epi8(x, splat16('?')), _mm_cmpeq_epi8(x, splat16('#')));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(ctl_or_space16(x), marks)));
}

inline __m128i in_range16(__m128i x, int lo, int hi) noexcept {
    // For 0 <= lo <= hi < 0x80: x - lo, wrapped, is at most hi - lo exactly
    // when x is in range; biased by -128, one signed compare tests that.
    // Bytes >= 0x80 fall outside every such range.
    const __m128i biased = _mm_add_epi8(x, splat16(-128 - lo));
    return _mm_cmpgt_epi8(splat16(hi - lo - 127), biased);
}

// The runs of consecutive visible bytes that are not tchars ('"', '(' to ')',
// ',', '/', ':' to '@', ...), found at compile time in http/chars.hpp's
// definition: SSE2 has no pshufb (SSSE3) for a nibble lookup, so a block is
// tested as visible ASCII minus these runs.
struct ByteRun {
    int first;
    int last;
};

constexpr std::size_t count_delimiter_runs() {
    std::size_t runs = 0;
    for (int c = 0x21; c <= 0x7e; ++c)
        if (!is_tchar(static_cast<char>(c)) && is_tchar(static_cast<char>(c - 1))) ++runs;
    return runs;
}

constexpr std::array<ByteRun, count_delimiter_runs()> delimiter_runs = [] {
    std::array<ByteRun, count_delimiter_runs()> runs{};
    std::size_t n = 0;
    for (int c = 0x21; c <= 0x7e; ++c) {
        if (is_tchar(static_cast<char>(c))) continue;
        if (is_tchar(static_cast<char>(c - 1))) runs[n++] = {c, c};
        runs[n - 1].last = c;
    }
    return runs;
}();

// The test below assumes every tchar is visible ASCII, and '!' (0x21) one
// of them so that every run starts after a tchar.
constexpr bool tchars_are_visible_from_bang() {
    for (int c = 0; c < 256; ++c)
        if (is_tchar(static_cast<char>(c)) && (c < 0x21 || c > 0x7e)) return false;
    return is_tchar('!');
}
static_assert(tchars_are_visible_from_bang());

template <std::size_t I> inline __m128i in_delimiter_run16(__m128i x) noexcept {
    constexpr ByteRun run = delimiter_runs[I];
    if constexpr (run.first == run.last) return _mm_cmpeq_epi8(x, splat16(run.first));
    else return in_range16(x, run.first, run.last);
}

template <std::size_t... I>
inline __m128i any_delimiter16(__m128i x, std::index_sequence<I...>) noexcept {
    __m128i any = _mm_setzero_si128();
    ((any = _mm_or_si128(any, in_delimiter_run16<I>(x))), ...);
    return any;
}

inline unsigned non_tchar_mask16(__m128i x) noexcept {
    const __m128i visible = in_range16(x, 0x21, 0x7e);
    const __m128i delim = any_delimiter16(x, std::make_index_sequence<delimiter_runs.size()>{});
    const __m128i tchar = _mm_andnot_si128(delim, visible);
    return ~static_cast<unsigned>(_mm_movemask_epi8(tchar)) & 0xffffu;
}

inline unsigned name_fast_mask16(__m128i x) noexcept {
    // OR 0x20 lower-cases A-Z and maps no other byte into a-z.
    const __m128i letter = in_range16(_mm_or_si128(x, splat16(0x20)), 'a', 'z');
    const __m128i ok = _mm_or_si128(letter, _mm_cmpeq_epi8(x, splat16('-')));
    return ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xffffu;
}

/// The block test of each class of scan.hpp.
template <std::uint8_t Class> inline unsigned stop_mask16(__m128i x) noexcept {
    if constexpr (Class == value_class) return ctl_mask16(x);
    else if constexpr (Class == visible_class) return ctl_or_space_mask16(x);
    else if constexpr (Class == target_class) return target_mask16(x);
    else if constexpr (Class == tchar_class) return non_tchar_mask16(x);
    else {
        static_assert(Class == name_fast_class);
        return name_fast_mask16(x);
    }
}

#endif  // __x86_64__

/// The first byte in [p, end) that lacks `Class`, or `end`, for a span whose
/// buffer holds the 16 bytes before `end`: the first 16 bytes are tested
/// here, inline, and only a longer span pays for a call, to `rest` (a
/// Scanners member for a class that holds no more than `Class`).
template <std::uint8_t Class>
inline const char* find_first_backed(const char* p, const char* end, Finder rest) noexcept {
#if defined(__x86_64__)
    if (end - p >= 16) {
        if (const unsigned m = stop_mask16<Class>(load16(p))) return p + __builtin_ctz(m);
        return rest(p + 16, end);
    }
    // Fewer than 16 bytes left: the block that ends at `end` has its bytes
    // before p shifted out of the mask (all of them when p == end).
    const unsigned m = stop_mask16<Class>(load16(end - 16)) >> (16 - (end - p));
    return m ? p + __builtin_ctz(m) : end;
#else
    const char* const stop = end - p > 16 ? p + 16 : end;
    for (; p != stop; ++p)
        if (!has_class(*p, Class)) return p;
    return p == end ? end : rest(p, end);
#endif
}

#if defined(__x86_64__)
/// find_first_backed without the call: every block tested here, inline.
/// For the fast path, whose spans are short: a call anywhere in its loop
/// costs it more (registers saved around it, pointers kept for it) than
/// the few more blocks of a long span that SSE2 tests instead of AVX2.
template <std::uint8_t Class>
inline const char* find_first_inline(const char* p, const char* end) noexcept {
    for (; end - p >= 16; p += 16)
        if (const unsigned m = stop_mask16<Class>(load16(p))) return p + __builtin_ctz(m);
    const unsigned m = stop_mask16<Class>(load16(end - 16)) >> (16 - (end - p));
    return m ? p + __builtin_ctz(m) : end;
}
#endif

/// find_first_backed for any span: `base` <= p is the start of the buffer;
/// nothing outside [base, end) is read.
template <std::uint8_t Class>
inline const char* find_first(const char* base, const char* p, const char* end,
                              Finder rest) noexcept {
#if defined(__x86_64__)
    if (end - p >= 16 || end - base >= 16) return find_first_backed<Class>(p, end, rest);
#else
    (void)base;
#endif
    const char* const stop = end - p > 16 ? p + 16 : end;
    for (; p != stop; ++p)
        if (!has_class(*p, Class)) return p;
    return p == end ? end : rest(p, end);
}

}  // namespace lesto::http::scan
