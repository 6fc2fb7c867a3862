// scan_test.cpp: every scanner version agrees with a byte-by-byte reference, at every position.
#include "parser/first_block.hpp"
#include "parser/scan.hpp"
#include "support/bytes.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <vector>

namespace {

namespace scan = lesto::http::scan;

struct Class {
    const char* name;
    scan::Finder scan::Scanners::*finder;
    bool (*member)(char);  // the class a finder stops at
};

bool stops_ctl(char c) { return scan::is_ctl(c); }
bool stops_ctl_or_space(char c) { return scan::is_ctl_or_space(c); }
bool stops_non_tchar(char c) { return !scan::is_tchar(c); }
bool stops_target(char c) { return scan::is_ctl_or_space(c) || c == '?' || c == '#'; }

const Class classes[] = {
    {"ctl", &scan::Scanners::ctl, stops_ctl},
    {"ctl_or_space", &scan::Scanners::ctl_or_space, stops_ctl_or_space},
    {"non_tchar", &scan::Scanners::non_tchar, stops_non_tchar},
    {"target", &scan::Scanners::target, stops_target},
};

std::vector<const scan::Scanners*> versions() {
    std::vector<const scan::Scanners*> v{&scan::scalar()};
    if (const auto* s = scan::sse2()) v.push_back(s);
    if (const auto* a = scan::avx2()) v.push_back(a);
    return v;
}

std::size_t reference(const char* p, std::size_t n, bool (*member)(char)) {
    std::size_t i = 0;
    while (i < n && !member(p[i])) ++i;
    return i;
}

/// Bytes that never stop the given class, to fill around the special byte.
char filler(const Class& k) { return k.member('a') ? '{' : 'a'; }

/// Checks every version on [p, p + n) of an exactly sized heap copy, so that
/// a read past either end is an AddressSanitizer error.
void check_all(const std::string& bytes, const Class& k) {
    const lesto::test::ExactCopy copy(bytes);
    const char* p = copy.view().data();
    const std::size_t expect = reference(p, bytes.size(), k.member);
    for (const auto* v : versions()) {
        const char* got = (v->*k.finder)(p, p + bytes.size());
        ASSERT_EQ(static_cast<std::size_t>(got - p), expect)
            << v->name << "." << k.name << " on " << bytes.size() << " bytes";
    }
}

TEST(Scan, TheBestVersionIsOneOfTheOthers) {
    const auto& best = scan::best();
    bool found = false;
    for (const auto* v : versions()) found |= (v == &best);
    EXPECT_TRUE(found) << best.name;
}

TEST(Scan, TablesMatchTheRfc) {
    const std::string tchar =
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        EXPECT_EQ(scan::is_tchar(ch), c != 0 && tchar.find(ch) != std::string::npos) << c;
        EXPECT_EQ(scan::is_ctl(ch), (c < 0x20 && c != '\t') || c == 0x7f) << c;
        EXPECT_EQ(scan::is_ctl_or_space(ch), c <= 0x20 || c == 0x7f) << c;
        EXPECT_EQ(scan::ends_target(ch), c <= 0x20 || c == 0x7f || ch == '?' || ch == '#') << c;
        EXPECT_EQ(scan::has_class(ch, scan::value_class), !scan::is_ctl(ch)) << c;
        EXPECT_EQ(scan::has_class(ch, scan::visible_class), !scan::is_ctl_or_space(ch)) << c;
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        EXPECT_EQ(scan::has_class(ch, scan::name_fast_class), letter || ch == '-') << c;
    }
}

TEST(Scan, SpecialBytesAtEveryPosition) {
    // Bytes on both sides of every class edge, alone at each position of
    // buffers of 0..70 bytes: this crosses the 16- and 32-byte blocks and
    // the overlapping last block.
    const unsigned char special[] = {0x00, 0x01, '\t', '\n', '\r', 0x1f, ' ',  '!', '"', '(',
                                     ')',  ',',  '/',  '0',  ':',  '@',  'A',  '[', ']', '^',
                                     '{',  '|',  '}',  '~',  0x7f, 0x80, 0xc3, 0xff};
    for (const Class& k : classes) {
        for (std::size_t n = 0; n <= 70; ++n) {
            std::string bytes(n, filler(k));
            check_all(bytes, k);
            for (std::size_t at = 0; at < n; ++at) {
                for (unsigned char c : special) {
                    bytes[at] = static_cast<char>(c);
                    check_all(bytes, k);
                }
                bytes[at] = filler(k);
            }
        }
    }
}

TEST(Scan, EveryByteValueAtBlockEdges) {
    for (const Class& k : classes) {
        for (std::size_t at :
             {0u, 1u, 14u, 15u, 16u, 17u, 30u, 31u, 32u, 33u, 47u, 48u, 63u, 64u, 65u}) {
            std::string bytes(66, filler(k));
            for (int c = 0; c < 256; ++c) {
                bytes[at] = static_cast<char>(c);
                check_all(bytes, k);
                check_all(bytes.substr(0, at + 1), k);
            }
        }
    }
}

TEST(Scan, RandomBuffersAndOffsets) {
    std::mt19937 rng(20240601);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 200), rare(0, 63);
    for (const Class& k : classes) {
        for (int round = 0; round < 3000; ++round) {
            // Mostly bytes outside the class, so that the stop lands anywhere.
            std::string bytes(static_cast<std::size_t>(len(rng)), filler(k));
            for (char& c : bytes)
                if (rare(rng) == 0) c = static_cast<char>(byte(rng));
                else if (rare(rng) < 32) c = static_cast<char>('A' + rare(rng) % 26);
            check_all(bytes, k);
        }
    }
}

TEST(Scan, StartsAndEndsInsideABuffer) {
    // Sub-ranges of one buffer: a match before p or at/after end is not seen.
    const std::string bytes =
        std::string(40, 'a') + "\r" + std::string(40, 'b') + "\x01" + std::string(40, 'c');
    for (const auto* v : versions()) {
        const char* p = bytes.data();
        for (std::size_t from = 0; from < bytes.size(); ++from) {
            for (std::size_t to = from; to <= bytes.size(); ++to) {
                const std::size_t expect = from + reference(p + from, to - from, stops_ctl);
                ASSERT_EQ(static_cast<std::size_t>(v->ctl(p + from, p + to) - p), expect)
                    << v->name << " " << from << " " << to;
            }
        }
    }
}

// find_first is what the parser calls: its first 16 bytes inline (or the
// block that ends at `end`, reading back into the buffer), then a Scanners
// member. Every start, end and byte value near the edges, with each version
// as the rest, against the byte-by-byte reference.
template <std::uint8_t Class, class Stops>
void check_find_first(Stops stops, scan::Finder scan::Scanners::*rest) {
    std::mt19937 rng(99);
    std::uniform_int_distribution<int> byte(0, 255), rare(0, 15);
    for (int round = 0; round < 300; ++round) {
        const std::size_t n = static_cast<std::size_t>(rng() % 90);
        auto buf = std::make_unique<char[]>(n + 1);
        for (std::size_t i = 0; i < n; ++i)
            buf[i] = rare(rng) == 0 ? static_cast<char>(byte(rng)) : 'a';
        const char* b = buf.get();
        for (std::size_t from = 0; from <= n; ++from) {
            for (std::size_t to = from; to <= n; to += 1 + (to > from + 40 ? 7 : 0)) {
                std::size_t expect = from;
                while (expect < to && !stops(b[expect])) ++expect;
                for (const auto* v : versions()) {
                    const char* got = scan::find_first<Class>(b, b + from, b + to, v->*rest);
                    ASSERT_EQ(static_cast<std::size_t>(got - b), expect)
                        << v->name << " " << n << " " << from << " " << to;
                }
#if defined(__x86_64__)
                // The fast path's version, for spans with 16 bytes before their end.
                if (to >= 16) {
                    const char* got = scan::find_first_inline<Class>(b + from, b + to);
                    ASSERT_EQ(static_cast<std::size_t>(got - b), expect)
                        << "inline " << n << " " << from << " " << to;
                }
#endif
            }
        }
    }
}

TEST(Scan, FindFirstAgreesWithTheReference) {
    check_find_first<scan::value_class>(stops_ctl, &scan::Scanners::ctl);
    check_find_first<scan::visible_class>(stops_ctl_or_space, &scan::Scanners::ctl_or_space);
    check_find_first<scan::tchar_class>(stops_non_tchar, &scan::Scanners::non_tchar);
    check_find_first<scan::target_class>(stops_target, &scan::Scanners::target);
}

TEST(Scan, FindFirstNameFastStopsAtAnyNonLetter) {
    // Letters and '-', then the tchar scanner: it stops at the first byte
    // that is not a letter or '-' within 16 bytes, and at the first
    // non-tchar after.
    const std::string bytes = "Accept-Language-Extra-Long-Name:x";
    const char* b = bytes.data();
    for (const auto* v : versions()) {
        const char* end = b + bytes.size();
        EXPECT_EQ(scan::find_first<scan::name_fast_class>(b, b, end, v->non_tchar) - b, 31);
        const std::string digits = "X-B3-TraceId: 1";
        EXPECT_EQ(scan::find_first<scan::name_fast_class>(
                      digits.data(), digits.data(), digits.data() + digits.size(), v->non_tchar) -
                      digits.data(),
                  3);
    }
}

}  // namespace
