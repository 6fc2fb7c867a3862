// static_path_test.cpp: request paths below a static prefix, every traversal trick refused.
#include "files/static_path.hpp"
#include "invariant.hpp"
#include "support/files_check.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

using lesto::files::map_static_path;
using lesto::files::MappedPath;
using lesto::files::PathOptions;
using lesto::files::PathRefusal;

struct PathCase {
    std::string raw;
    PathRefusal refusal;
    std::string relative = {};  ///< when mapped
    bool directory = false;
};

constexpr PathRefusal ok = PathRefusal::none;

const PathCase path_cases[] = {
    // Mapped.
    {"index.html", ok, "index.html"},
    {"css/site.css", ok, "css/site.css"},
    {"a/b/c/d.txt", ok, "a/b/c/d.txt"},
    {"caf%C3%A9.txt", ok, "caf\xC3\xA9.txt"},
    {"caf\xC3\xA9.txt", ok, "caf\xC3\xA9.txt"},  // raw UTF-8 as sent
    {"a%20b.txt", ok, "a b.txt"},
    {"%41%42", ok, "AB"},
    {"%252e%252e/x", ok, "%2e%2e/x"},  // decoded once: the name "%2e%2e"
    {"%252F", ok, "%2F"},
    {"a..b", ok, "a..b"},  // dots inside a name are fine
    {"a.", ok, "a."},
    {"...", PathRefusal::hidden},
    {"x/y..", ok, "x/y.."},
    {"%E2%82%AC", ok, "\xE2\x82\xAC"},         // U+20AC
    {"%F0%9F%98%80", ok, "\xF0\x9F\x98\x80"},  // U+1F600
    {"~user", ok, "~user"},
    {"a;b=c", ok, "a;b=c"},
    // Directories: the caller answers 404 or its index file.
    {"", ok, "", true},
    {"docs/", ok, "docs", true},
    {"a/b/", ok, "a/b", true},
    // "..": raw, encoded in any case, mixed.
    {"..", PathRefusal::dot_segment},
    {"../etc/passwd", PathRefusal::dot_segment},
    {"a/../../etc/passwd", PathRefusal::dot_segment},
    {"a/..", PathRefusal::dot_segment},
    {"a/../", PathRefusal::dot_segment},
    {"%2e%2e/etc/passwd", PathRefusal::dot_segment},
    {"%2E%2e/", PathRefusal::dot_segment},
    {".%2e/x", PathRefusal::dot_segment},
    {"%2e./x", PathRefusal::dot_segment},
    {"a/%2e%2e", PathRefusal::dot_segment},
    // ".": raw or encoded.
    {".", PathRefusal::dot_segment},
    {"./x", PathRefusal::dot_segment},
    {"a/./b", PathRefusal::dot_segment},
    {"%2e/x", PathRefusal::dot_segment},
    // Separators hidden in a name.
    {"..%2f..%2fetc%2fpasswd", PathRefusal::encoded_separator},
    {"..%2Fetc", PathRefusal::encoded_separator},
    {"a%2fb", PathRefusal::encoded_separator},
    {"%2f", PathRefusal::encoded_separator},
    {"%2Fetc%2Fpasswd", PathRefusal::encoded_separator},
    {"a%5cb", PathRefusal::encoded_separator},
    {"..%5c..%5cwindows", PathRefusal::encoded_separator},
    {"%5C", PathRefusal::encoded_separator},
    // Raw backslashes.
    {"a\\b", PathRefusal::backslash},
    {"..\\..\\etc\\passwd", PathRefusal::backslash},
    {"\\", PathRefusal::backslash},
    // NUL and other control bytes, raw or encoded.
    {"%00", PathRefusal::control},
    {"index.html%00.txt", PathRefusal::control},
    {std::string("a\0b", 3), PathRefusal::control},
    {"a%0ab", PathRefusal::control},
    {"a%0d%0aSet-Cookie:x", PathRefusal::control},
    {"a%09b", PathRefusal::control},
    {"a%7fb", PathRefusal::control},
    {"a\x01", PathRefusal::control},
    // Broken escapes.
    {"%", PathRefusal::bad_escape},
    {"a%", PathRefusal::bad_escape},
    {"a%2", PathRefusal::bad_escape},
    {"%zz", PathRefusal::bad_escape},
    {"%%32%65", PathRefusal::bad_escape},       // no double decoding trick either
    {"%u002e%u002e", PathRefusal::bad_escape},  // IIS-style %u escapes
    // Not UTF-8 once decoded: overlong '.' and '/', surrogates, stray bytes.
    {"%c0%ae%c0%ae/etc/passwd", PathRefusal::invalid_utf8},
    {"%c0%af", PathRefusal::invalid_utf8},
    {"%e0%80%ae", PathRefusal::invalid_utf8},
    {"%f0%80%80%ae", PathRefusal::invalid_utf8},
    {"%c1%9c", PathRefusal::invalid_utf8},
    {"%ed%a0%80", PathRefusal::invalid_utf8},     // U+D800
    {"%f4%90%80%80", PathRefusal::invalid_utf8},  // past U+10FFFF
    {"%ff", PathRefusal::invalid_utf8},
    {"%80", PathRefusal::invalid_utf8},
    {"%e2%82", PathRefusal::invalid_utf8},  // cut short
    {"\xc0\xae\xc0\xae", PathRefusal::invalid_utf8},
    // Absolute and empty segments: refused, not collapsed.
    {"/etc/passwd", PathRefusal::absolute},
    {"//etc/passwd", PathRefusal::absolute},
    {"/", PathRefusal::absolute},
    {"a//b", PathRefusal::empty_segment},
    {"a//", PathRefusal::empty_segment},
    // Hidden files and folders.
    {".env", PathRefusal::hidden},
    {".git/config", PathRefusal::hidden},
    {"a/.htpasswd", PathRefusal::hidden},
    {"%2egit/HEAD", PathRefusal::hidden},
    {".well-known/acme-challenge/x", PathRefusal::hidden},
};

TEST(StaticPath, EveryCaseOfTheTable) {
    for (const PathCase& c : path_cases) {
        const MappedPath got = map_static_path(c.raw);
        EXPECT_EQ(got.refusal, c.refusal)
            << c.raw << ": " << lesto::files::refusal_reason(got.refusal);
        EXPECT_EQ(got.relative, c.relative) << c.raw;
        EXPECT_EQ(got.directory, c.directory) << c.raw;
        lesto::test::check_mapped_path(lesto::test::fail_test, c.raw, {}, got);
    }
}

TEST(StaticPath, HiddenFilesWhenAllowed) {
    const PathOptions allow{true};
    const auto mapped = [&](std::string_view raw) { return map_static_path(raw, allow); };
    EXPECT_EQ(mapped(".well-known/acme-challenge/tok").relative, ".well-known/acme-challenge/tok");
    EXPECT_EQ(mapped(".env").relative, ".env");
    EXPECT_EQ(mapped("%2eenv").relative, ".env");
    EXPECT_EQ(mapped("...").relative, "...");
    // "." and ".." stay refused.
    EXPECT_EQ(mapped("..").refusal, PathRefusal::dot_segment);
    EXPECT_EQ(mapped(".").refusal, PathRefusal::dot_segment);
    EXPECT_EQ(mapped("%2e%2e/x").refusal, PathRefusal::dot_segment);
    for (std::string_view raw : {".well-known/x", ".env", "..", "a/.b/"})
        lesto::test::check_mapped_path(lesto::test::fail_test, raw, allow, mapped(raw));
}

TEST(StaticPath, EveryRefusalHasAReason) {
    for (int r = 1; r <= static_cast<int>(PathRefusal::hidden); ++r) {
        const auto refusal = static_cast<PathRefusal>(r);
        EXPECT_FALSE(lesto::files::refusal_reason(refusal).empty()) << r;
    }
    EXPECT_TRUE(lesto::files::refusal_reason(PathRefusal::none).empty());
}

TEST(StaticPath, Utf8Validation) {
    EXPECT_TRUE(lesto::files::is_utf8(""));
    EXPECT_TRUE(lesto::files::is_utf8("plain"));
    EXPECT_TRUE(lesto::files::is_utf8("\xC2\x80"));          // U+0080, the smallest 2-byte form
    EXPECT_TRUE(lesto::files::is_utf8("\xEF\xBF\xBF"));      // U+FFFF
    EXPECT_TRUE(lesto::files::is_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    EXPECT_FALSE(lesto::files::is_utf8("\xC2"));
    EXPECT_FALSE(lesto::files::is_utf8("\xE0\x9F\xBF"));      // overlong U+07FF
    EXPECT_FALSE(lesto::files::is_utf8("\xF0\x8F\xBF\xBF"));  // overlong U+FFFF
    EXPECT_FALSE(lesto::files::is_utf8("\xC2\xC0"));
    EXPECT_FALSE(lesto::files::is_utf8("\xF5\x80\x80\x80"));
}

}  // namespace
