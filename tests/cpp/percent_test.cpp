// percent_test.cpp: percent-decoding of request paths.
#include <gtest/gtest.h>

#include <string>

#include "parser/percent.hpp"

namespace {

std::string decoded(std::string_view in) {
    std::string out = "untouched";
    return lesto::http::percent_decode(in, out) ? out : "no-percent:" + out;
}

TEST(Percent, NoPercentLeavesTheOutputAlone) {
    EXPECT_EQ(decoded("/plain/path"), "no-percent:untouched");
}

TEST(Percent, DecodesHexEitherCase) {
    EXPECT_EQ(decoded("/caf%C3%A9"), "/caf\xC3\xA9");
    EXPECT_EQ(decoded("/a%2fb%2Fc"), "/a/b/c");
    EXPECT_EQ(decoded("/%7By%7d"), "/{y}");
}

TEST(Percent, MalformedEscapesStayAsSent) {
    EXPECT_EQ(decoded("/100%"), "/100%");
    EXPECT_EQ(decoded("/%4"), "/%4");
    EXPECT_EQ(decoded("/%zz%41"), "/%zzA");
}

TEST(Percent, DecodesOnceOnly) { EXPECT_EQ(decoded("/%2541"), "/%41"); }

TEST(Percent, RoutingKeepsEncodedSlashAndPercent) {
    std::string route;
    ASSERT_TRUE(lesto::http::routing_decode("/users/a%20b%2Fc%2f%25%41", route));
    EXPECT_EQ(route, "/users/a b%2Fc%2f%25A");
    std::string value;
    ASSERT_TRUE(lesto::http::percent_decode("a b%2Fc%2f%25A", value));
    EXPECT_EQ(value, "a b/c/%A");  // decoding the rest once gives what the client meant
    std::string twice;
    ASSERT_TRUE(lesto::http::routing_decode("/%252F", twice));
    lesto::http::percent_decode(twice, value);
    EXPECT_EQ(value, "/%2F");
}

TEST(Percent, FindsAPercentAtEveryPlaceOfEveryLength) {
    // The inline check reads short paths a word at a time, the words
    // overlapping at the end: a '%' anywhere, and bytes that differ from '%'
    // by one bit or by a borrow, must give the answer memchr gives.
    for (std::size_t n = 0; n <= 70; ++n) {
        for (const char filler : {'g', '$', '&', '\x05', '\xa5', '\x00', '\xff'}) {
            const std::string plain(n, filler);
            std::string out = "untouched";
            EXPECT_FALSE(lesto::http::routing_decode(plain, out)) << n;
            EXPECT_EQ(out, "untouched");
            for (std::size_t at = 0; at < n; ++at) {
                std::string s = plain;
                s[at] = '%';
                EXPECT_TRUE(lesto::http::routing_decode(s, out)) << n << " " << at;
                EXPECT_EQ(out, s) << n << " " << at;  // no hex digits follow: it stays
            }
        }
    }
}

}  // namespace
