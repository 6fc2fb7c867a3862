// scan_test.cpp: every scanner version agrees with a byte-by-byte reference, at every position.
#include "parser/scan.hpp"

#include <cstring>
#include <gtest/gtest.h>
#include <memory>
#include <random>
#include <vector>

namespace {

namespace scan = lesto::http::scan;

struct Class {
    const char* name;
    scan::Finder scan::Scanners::*finder;
    bool (*member)(char); // the class a finder stops at
};

bool stops_ctl(char c) {
    return scan::is_ctl(c);
}
bool stops_ctl_or_space(char c) {
    return scan::is_ctl_or_space(c);
}
bool stops_non_tchar(char c) {
    return !scan::is_tchar(c);
}

const Class classes[] = {
    {"ctl", &scan::Scanners::ctl, stops_ctl},
    {"ctl_or_space", &scan::Scanners::ctl_or_space, stops_ctl_or_space},
    {"non_tchar", &scan::Scanners::non_tchar, stops_non_tchar},
};

std::vector<const scan::Scanners*> versions() {
    std::vector<const scan::Scanners*> v{&scan::scalar()};
    if (const auto* s = scan::sse2()) v.push_back(s);
    if (const auto* a = scan::avx2()) v.push_back(a);
    return v;
}

std::size_t reference(const char* p, std::size_t n, bool (*member)(char)) {
    std::size_t i = 0;
    while (i < n && !member(p[i]))
        ++i;
    return i;
}

/// Bytes that never stop the given class, to fill around the special byte.
char filler(const Class& k) {
    return k.member('a') ? '{' : 'a';
}

/// Checks every version on [p, p + n) of an exactly sized heap copy, so that
/// a read past either end is an AddressSanitizer error.
void check_all(const std::string& bytes, const Class& k) {
    auto buf = std::make_unique<char[]>(bytes.size() + 1);
    std::memcpy(buf.get(), bytes.data(), bytes.size());
    const char* p = buf.get();
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
    for (const auto* v : versions())
        found |= (v == &best);
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
                if (rare(rng) == 0)
                    c = static_cast<char>(byte(rng));
                else if (rare(rng) < 32)
                    c = static_cast<char>('A' + rare(rng) % 26);
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

} // namespace
