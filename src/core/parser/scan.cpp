// scan.cpp: the scalar, SSE2 and AVX2 scanners and the one-time choice between them.
#include "parser/scan.hpp"

#include "parser/first_block.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lesto::http::scan {
namespace {

// ---- scalar -------------------------------------------------------------------

const char* ctl_scalar(const char* p, const char* end) noexcept {
    while (p != end && !is_ctl(*p)) ++p;
    return p;
}

const char* ctl_or_space_scalar(const char* p, const char* end) noexcept {
    while (p != end && !is_ctl_or_space(*p)) ++p;
    return p;
}

const char* non_tchar_scalar(const char* p, const char* end) noexcept {
    while (p != end && is_tchar(*p)) ++p;
    return p;
}

const char* target_scalar(const char* p, const char* end) noexcept {
    while (p != end && !ends_target(*p)) ++p;
    return p;
}

constexpr Scanners scalar_impl{ctl_scalar, ctl_or_space_scalar, non_tchar_scalar, target_scalar,
                               "scalar"};

#if defined(__x86_64__)

// ---- SSE2 (x86-64 baseline): the block tests of first_block.hpp -----------------

template <unsigned (*Mask)(__m128i), Finder Tail>
const char* find16(const char* p, const char* end) noexcept {
    const char* const start = p;
    for (; end - p >= 16; p += 16) {
        if (const unsigned m = Mask(load16(p))) return p + __builtin_ctz(m);
    }
    if (p == end) return end;
    if (end - start >= 16) {
        // One last block ending at `end`: it re-reads bytes already known
        // not to match, so its first hit is at or after p.
        const char* q = end - 16;
        const unsigned m = Mask(load16(q));
        return m ? q + __builtin_ctz(m) : end;
    }
    return Tail(p, end);
}

constexpr Scanners sse2_impl{
    find16<ctl_mask16, ctl_scalar>,
    find16<ctl_or_space_mask16, ctl_or_space_scalar>,
    find16<non_tchar_mask16, non_tchar_scalar>,
    find16<target_mask16, target_scalar>,
    "sse2",
};

// ---- AVX2 (compiled for any x86-64, used only where the CPU has it) -----------

#define LESTO_AVX2 __attribute__((target("avx2")))

LESTO_AVX2 inline __m256i splat32(int c) noexcept { return _mm256_set1_epi8(static_cast<char>(c)); }

LESTO_AVX2 inline unsigned ctl_mask32(__m256i x) noexcept {
    const __m256i ge_space = _mm256_cmpeq_epi8(_mm256_max_epu8(x, splat32(0x20)), x);
    const __m256i allowed = _mm256_or_si256(ge_space, _mm256_cmpeq_epi8(x, splat32('\t')));
    const __m256i ok = _mm256_andnot_si256(_mm256_cmpeq_epi8(x, splat32(0x7f)), allowed);
    return ~static_cast<unsigned>(_mm256_movemask_epi8(ok));
}

LESTO_AVX2 inline __m256i ctl_or_space32(__m256i x) noexcept {
    const __m256i le_space = _mm256_cmpeq_epi8(_mm256_min_epu8(x, splat32(0x20)), x);
    return _mm256_or_si256(le_space, _mm256_cmpeq_epi8(x, splat32(0x7f)));
}

LESTO_AVX2 inline unsigned ctl_or_space_mask32(__m256i x) noexcept {
    return static_cast<unsigned>(_mm256_movemask_epi8(ctl_or_space32(x)));
}

LESTO_AVX2 inline unsigned target_mask32(__m256i x) noexcept {
    const __m256i marks =
        _mm256_or_si256(_mm256_cmpeq_epi8(x, splat32('?')), _mm256_cmpeq_epi8(x, splat32('#')));
    return static_cast<unsigned>(_mm256_movemask_epi8(_mm256_or_si256(ctl_or_space32(x), marks)));
}

// tchar as a nibble lookup: bit h of low_bits[l] is set when byte 0xhl is a
// tchar (h < 8); high_bits[h] is 1 << h, and 0 for bytes >= 0x80.
struct NibbleTables {
    alignas(32) unsigned char low_bits[32];
    alignas(32) unsigned char high_bits[32];
};

constexpr NibbleTables make_nibble_tables() {
    NibbleTables t{};
    for (int lane = 0; lane < 32; lane += 16) {
        for (int l = 0; l < 16; ++l) {
            unsigned bits = 0;
            for (int h = 0; h < 8; ++h)
                if (is_tchar(static_cast<char>(h * 16 + l))) bits |= 1u << h;
            t.low_bits[lane + l] = static_cast<unsigned char>(bits);
            t.high_bits[lane + l] = static_cast<unsigned char>(l < 8 ? 1u << l : 0u);
        }
    }
    return t;
}

constexpr NibbleTables nibble_tables = make_nibble_tables();

LESTO_AVX2 inline unsigned non_tchar_mask32(__m256i x) noexcept {
    const __m256i low_table =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(nibble_tables.low_bits));
    const __m256i high_table =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(nibble_tables.high_bits));
    const __m256i nibble = splat32(0x0f);
    const __m256i low = _mm256_and_si256(x, nibble);
    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble);
    const __m256i hit = _mm256_and_si256(_mm256_shuffle_epi8(low_table, low),
                                         _mm256_shuffle_epi8(high_table, high));
    return static_cast<unsigned>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(hit, _mm256_setzero_si256())));
}

LESTO_AVX2 inline __m256i load32(const char* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

template <unsigned (*Mask)(__m256i), Finder Short>
LESTO_AVX2 const char* find32(const char* p, const char* end) noexcept {
    const char* const start = p;
    for (; end - p >= 32; p += 32) {
        if (const unsigned m = Mask(load32(p))) return p + __builtin_ctz(m);
    }
    if (p == end) return end;
    if (end - start >= 32) {
        const char* q = end - 32;
        const unsigned m = Mask(load32(q));
        return m ? q + __builtin_ctz(m) : end;
    }
    return Short(p, end);
}

#undef LESTO_AVX2

constexpr Scanners avx2_impl{
    find32<ctl_mask32, sse2_impl.ctl>,
    find32<ctl_or_space_mask32, sse2_impl.ctl_or_space>,
    find32<non_tchar_mask32, sse2_impl.non_tchar>,
    find32<target_mask32, sse2_impl.target>,
    "avx2",
};

#endif  // __x86_64__

}  // namespace

const Scanners& scalar() noexcept { return scalar_impl; }

const Scanners* sse2() noexcept {
#if defined(__x86_64__)
    return &sse2_impl;
#else
    return nullptr;
#endif
}

const Scanners* avx2() noexcept {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? &avx2_impl : nullptr;
#else
    return nullptr;
#endif
}

const Scanners& best() noexcept {
    static const Scanners& chosen = []() -> const Scanners& {
        if (const Scanners* a = avx2()) return *a;
        if (const Scanners* s = sse2()) return *s;
        return scalar_impl;
    }();
    return chosen;
}

}  // namespace lesto::http::scan
