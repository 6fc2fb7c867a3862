// chars_test.cpp: HTTP's character rules against the RFC's words, and the fast checks against the
// plain ones.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "http/chars.hpp"
#include "http/fields.hpp"
#include "parser/scan.hpp"
#include "response/status.hpp"

namespace http = lesto::http;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// RFC 9110 5.6.2, spelled out as the RFC lists it: the test's own copy.
const std::string rfc_tchars =
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

}  // namespace

TEST(Chars, TcharIsWhatRfc9110Lists) {
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        EXPECT_EQ(http::is_tchar(ch), c != 0 && rfc_tchars.find(ch) != std::string::npos) << c;
    }
}

TEST(Chars, FieldBytesAreVcharObsTextSpaceAndTab) {
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool vchar = c >= 0x21 && c <= 0x7e;
        EXPECT_EQ(http::is_field_vchar(ch), vchar || c >= 0x80) << c;
        EXPECT_EQ(http::is_field_char(ch), vchar || c >= 0x80 || c == ' ' || c == '\t') << c;
        EXPECT_EQ(http::is_ctl(ch), c < 0x20 || c == 0x7f) << c;
    }
}

TEST(Chars, TheParsersClassesAreTheRules) {
    namespace scan = http::scan;
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        EXPECT_EQ(scan::has_class(ch, scan::tchar_class), http::is_tchar(ch)) << c;
        EXPECT_EQ(scan::has_class(ch, scan::value_class), http::is_field_char(ch)) << c;
        EXPECT_EQ(scan::has_class(ch, scan::visible_class), http::is_field_vchar(ch)) << c;
    }
}

TEST(Chars, TokenSymbolsAreTheTcharsThatAreNotAlphanumeric) {
    EXPECT_EQ(http::token_symbols(), "!#$%&'*+-.^_`|~");
}

TEST(Fields, TokensAndValuesOfEveryShortShape) {
    // One odd byte at each position of strings of 0..20 bytes, for every
    // byte value: the fast checks (four and eight bytes at a time) agree
    // with the byte-by-byte search, which names the position.
    for (std::size_t len = 0; len <= 20; ++len) {
        for (std::size_t at = 0; at <= len; ++at) {
            for (int c = 0; c < 256; ++c) {
                std::string s(len, 'a');
                if (at < len) s[at] = static_cast<char>(c);
                const char ch = static_cast<char>(c);
                const bool odd_token = at < len && !http::is_tchar(ch);
                const bool odd_value = at < len && !http::is_field_char(ch);
                ASSERT_EQ(http::is_token(s), len > 0 && !odd_token) << len << " " << at << " " << c;
                ASSERT_EQ(http::is_field_value(s), !odd_value) << len << " " << at << " " << c;
                ASSERT_EQ(http::find_non_tchar(s), odd_token ? at : npos);
                ASSERT_EQ(http::find_non_field_char(s), odd_value ? at : npos);
            }
        }
    }
}

TEST(Fields, RandomStringsAgreeWithTheSearch) {
    std::mt19937 rng(7);
    for (int round = 0; round < 20000; ++round) {
        std::string s(rng() % 70, '\0');
        // Mostly allowed bytes, so that some strings pass.
        for (char& c : s) c = static_cast<char>(rng() % 8 ? 0x20 + rng() % 0x5f : rng() % 256);
        ASSERT_EQ(http::is_token(s), !s.empty() && http::find_non_tchar(s) == npos);
        ASSERT_EQ(http::is_field_value(s), http::find_non_field_char(s) == npos);
    }
}

TEST(Fields, QuotedEscapesControlBytes) {
    using namespace std::string_literals;
    EXPECT_EQ(http::quoted("X-A"), "'X-A'");
    EXPECT_EQ(http::quoted("a\r\nb\t\x01\x7f\0"s), "'a\\r\\nb\\t\\x01\\x7f\\x00'");
    EXPECT_EQ(http::quoted("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

TEST(Status, ValidCodesAreThreeDigits100To599) {
    for (int code = -1; code <= 1000; ++code) {
        EXPECT_EQ(http::is_valid_status(code), code >= 100 && code <= 599) << code;
        EXPECT_EQ(http::reason_phrase(code).empty(), !http::is_valid_status(code)) << code;
    }
}
