// websocket_utf8_test.cpp: the incremental UTF-8 validator against a reference decoder, in every
// split.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "websocket/utf8.hpp"

namespace {

using lesto::test::escape;
using lesto::ws::Utf8Validator;

/// Whether `c` is exactly one character as RFC 3629 defines it, judged by
/// its code point: the length its first byte gives, continuation bytes,
/// the shortest form, no surrogate, at most U+10FFFF.
bool one_character(std::string_view c) {
    const auto b = static_cast<unsigned char>(c[0]);
    std::size_t n = 0;
    std::uint32_t cp = 0, min = 0;
    if (b < 0x80) n = 1, cp = b;
    else if ((b & 0xe0) == 0xc0) n = 2, cp = b & 0x1fu, min = 0x80;
    else if ((b & 0xf0) == 0xe0) n = 3, cp = b & 0x0fu, min = 0x800;
    else if ((b & 0xf8) == 0xf0) n = 4, cp = b & 0x07u, min = 0x10000;
    else return false;
    if (c.size() != n) return false;
    for (std::size_t k = 1; k < n; ++k) {
        const auto x = static_cast<unsigned char>(c[k]);
        if ((x & 0xc0) != 0x80) return false;
        cp = cp << 6 | (x & 0x3fu);
    }
    return cp >= min && !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
}

/// Whether some bytes after `p` make it one character. Which continuation
/// bytes may follow changes only at these values, so they are enough to try.
bool may_become_character(std::string_view p) {
    if (one_character(p)) return true;
    if (p.size() >= 4) return false;
    for (const int c : {0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf}) {
        if (may_become_character(std::string(p) + static_cast<char>(c))) return true;
    }
    return false;
}

/// The reference: the offset of the first byte that no valid text can
/// hold there; s.size() when the text is valid so far but ends inside a
/// character; npos when it is UTF-8.
std::size_t reference(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t len = 1;
        for (;; ++len) {
            if (i + len > s.size()) return s.size();
            const std::string_view c = s.substr(i, len);
            if (!may_become_character(c)) return i + len - 1;
            if (one_character(c)) break;
        }
        i += len;
    }
    return std::string_view::npos;
}

/// Feeds `s` to a validator in two pieces cut at `cut`: whether it takes them.
bool takes(std::string_view s, std::size_t cut) {
    Utf8Validator v;
    cut = std::min(cut, s.size());
    return v.feed(s.substr(0, cut)) && v.feed(s.substr(cut));
}

/// Where the validator refuses `s` fed cut at `cut`: the first byte whose
/// prefix it refuses (fed cut the same way); s.size() when it takes
/// everything but the text ends inside a character; npos when it is UTF-8.
std::size_t fail_point(std::string_view s, std::size_t cut) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!takes(s.substr(0, i + 1), cut)) return i;
    return lesto::ws::is_utf8(s) ? std::string_view::npos : s.size();
}

struct Text {
    const char* name;
    std::string bytes;
    bool valid;
};

TEST(WebSocketUtf8, JudgesTheAutobahnTexts) {
    // Autobahn 6.x's kinds of text, and the boundaries of each range.
    const std::vector<Text> texts = {
        {"empty", "", true},
        {"ASCII", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", true},
        {"kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true},
        {"first of each length", std::string(1, '\0') + "\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80",
         true},
        {"last of each length", "\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf", true},
        {"around the surrogates", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd", true},
        {"noncharacters are valid", "\xef\xbf\xbe\xef\xbf\xbf\xf0\x9f\xbf\xbf", true},
        {"long ASCII", std::string(1000, 'a') + "\xce\xba" + std::string(37, 'b'), true},
        {"a lone continuation", "\x80", false},
        {"a lone lead", "\xc2", false},
        {"a lead then ASCII",
         "\xc2"
         "a",
         false},
        {"C0 and C1 are overlong", "\xc0\x80", false},
        {"C1", "\xc1\xbf", false},
        {"overlong three bytes", "\xe0\x9f\xbf", false},
        {"overlong four bytes", "\xf0\x8f\xbf\xbf", false},
        {"high surrogate", "\xed\xa0\x80", false},
        {"low surrogate", "\xed\xbf\xbf", false},
        {"above U+10FFFF", "\xf4\x90\x80\x80", false},
        {"F5", "\xf5\x80\x80\x80", false},
        {"FE and FF", "\xfe\xff", false},
        {"kosme then a surrogate",
         "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
         "edited",
         false},
        {"cut in the middle of long ASCII",
         std::string(20, 'a') + "\xe1\xbd" + std::string(20, 'a'), false},
    };
    for (const Text& t : texts) {
        SCOPED_TRACE(std::string(t.name) + ": \"" + escape(t.bytes) + "\"");
        EXPECT_EQ(lesto::ws::is_utf8(t.bytes), t.valid);
        const std::size_t want = reference(t.bytes);
        EXPECT_EQ(want == std::string_view::npos, t.valid);
        // Fed in two pieces cut anywhere: the same verdict, at the same byte.
        for (std::size_t cut = 0; cut <= t.bytes.size(); ++cut)
            EXPECT_EQ(fail_point(t.bytes, cut), want) << "cut at " << cut;
        // And one byte at a time.
        Utf8Validator v;
        bool ok = true;
        for (const char c : t.bytes) ok = v.feed({&c, 1}) && ok;
        EXPECT_EQ(ok && v.complete(), t.valid);
    }
}

TEST(WebSocketUtf8, AgreesWithTheReferenceOnEverySequenceUpToThreeBytes) {
    // Every one- and two-byte string, and every three-byte one that starts
    // with a lead byte: where the validator fails (or not) is where the
    // reference decoder says.
    std::string s;
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            s = {static_cast<char>(a), static_cast<char>(b)};
            ASSERT_EQ(fail_point(s, 1), reference(s)) << escape(s);
            if (a < 0xe0 || a > 0xf4) continue;
            for (int c = 0; c < 256; ++c) {
                s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
                ASSERT_EQ(fail_point(s, 2), reference(s)) << escape(s);
            }
        }
    }
}

TEST(WebSocketUtf8, StaysFailedOnceFailed) {
    Utf8Validator v;
    EXPECT_FALSE(v.feed("\xff"));
    EXPECT_TRUE(v.failed());
    EXPECT_FALSE(v.feed("abc"));
    EXPECT_FALSE(v.complete());
    v.reset();
    EXPECT_TRUE(v.feed("abc"));
    EXPECT_TRUE(v.complete());
}

}  // namespace
