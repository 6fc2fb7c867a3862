// http_date_test.cpp: reading HTTP-dates in their three forms, and writing IMF-fixdate.
#include "files/http_date.hpp"
#include "invariant.hpp"
#include "response/date.hpp"
#include "support/files_check.hpp"

#include <ctime>
#include <gtest/gtest.h>
#include <optional>
#include <string>

namespace {

using lesto::http::parse_http_date;

constexpr std::int64_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t now_2026 = 1780000000;    // 2026-05-28

struct DateCase {
    const char* text;
    std::optional<std::int64_t> seconds;  ///< nullopt: not a date, the condition is ignored
};

// RFC 9110 5.6.7's example in its three forms, then edges of each field.
const DateCase valid_dates[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", rfc_example},
    {"Sunday, 06-Nov-94 08:49:37 GMT", rfc_example},
    {"Sun Nov  6 08:49:37 1994", rfc_example},
    {"Sun Nov 06 08:49:37 1994", rfc_example},  // date3 allows 2DIGIT too
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
    {"Tue, 29 Feb 2000 23:59:59 GMT", 951868799},
    {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
    {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
    {"Sat, 01 Jan 0000 00:00:00 GMT", -62167219200},
    {"Tue, 19 Jan 2038 03:14:08 GMT", 2147483648},
    {"Mon, 06 Nov 1994 08:49:37 GMT", rfc_example},       // a wrong day name is not checked
    {"Sun, 06 Nov 1994 08:49:60 GMT", rfc_example + 23},  // leap second: the next minute
    {"Thu Jan  1 00:00:00 1970", 0},
    {"Tuesday, 31-Dec-69 23:59:59 GMT", 3155759999},  // 2069: 43 years ahead of now, not 1969
};

const DateCase invalid_dates[] = {
    {"", std::nullopt},
    {"Sun", std::nullopt},
    {"sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},  // case-sensitive
    {"Sun, 06 nov 1994 08:49:37 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 gmt", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 +0000", std::nullopt},
    {"Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},    // two-digit day only
    {"Sun, 06 Nov 94 08:49:37 GMT", std::nullopt},     // four-digit year only
    {"Sun,  06 Nov 1994 08:49:37 GMT", std::nullopt},  // no extra whitespace
    {" Sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 GMT ", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 GMTX", std::nullopt},
    {"Sun, 06 Nov 1994 8:49:37 GMT", std::nullopt},
    {"Sun, 31 Nov 1994 08:49:37 GMT", std::nullopt},  // November has 30 days
    {"Sun, 29 Feb 1900 08:49:37 GMT", std::nullopt},  // 1900 is no leap year
    {"Sun, 00 Nov 1994 08:49:37 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:61 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", std::nullopt},  // a list
    {"Sun, 06 Nov 1994 08:49:3\0 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37", std::nullopt},
    {"Sunday, 06-Nov-1994 08:49:37 GMT", std::nullopt},
    {"Sun, 06-Nov-94 08:49:37 GMT", std::nullopt},  // RFC 850 needs the long day name
    {"Sunday, 06 Nov 1994 08:49:37 GMT", std::nullopt},
    {"Funday, 06-Nov-94 08:49:37 GMT", std::nullopt},
    {"Sun Nov 6 08:49:37 1994", std::nullopt},  // one-digit day after two spaces only
    {"Sun Nov   6 08:49:37 1994", std::nullopt},
    {"Sun Nov  6 08:49:37 1994 GMT", std::nullopt},
    {"1994-11-06T08:49:37Z", std::nullopt},
    {"784111777", std::nullopt},
    {"-1", std::nullopt},
    {"\"etag\"", std::nullopt},
};

TEST(HttpDate, ReadsEveryFormTheRfcRequires) {
    for (const DateCase& c : valid_dates) {
        EXPECT_EQ(parse_http_date(c.text, now_2026), c.seconds) << c.text;
        lesto::test::check_date(lesto::test::fail_test, c.text, now_2026);
    }
}

TEST(HttpDate, AnythingElseIsNoDate) {
    for (const DateCase& c : invalid_dates) {
        const std::string_view text(c.text, std::char_traits<char>::length(c.text));
        EXPECT_EQ(parse_http_date(text, now_2026), std::nullopt) << c.text;
    }
    const std::string with_nul("Sun, 06 Nov 1994 08:49:37 GMT\0", 30);
    EXPECT_EQ(parse_http_date(with_nul, now_2026), std::nullopt);
}

TEST(HttpDate, Rfc850YearsMoreThanFiftyYearsAheadAreInThePast) {
    struct Case {
        std::int64_t now;
        const char* text;
        int year;
    };
    const Case cases[] = {
        {now_2026, "Friday, 01-Jan-76 00:00:00 GMT", 2076},    // 50 years ahead: still ahead
        {now_2026, "Saturday, 01-Jan-77 00:00:00 GMT", 1977},  // 51: the past
        {now_2026, "Saturday, 01-Jan-00 00:00:00 GMT", 2000},
        {now_2026, "Wednesday, 01-Jan-26 00:00:00 GMT", 2026},
        {rfc_example, "Sunday, 06-Nov-94 08:49:37 GMT", 1994},
        {rfc_example, "Thursday, 01-Jan-44 00:00:00 GMT", 2044},
        {rfc_example, "Thursday, 01-Jan-45 00:00:00 GMT", 1945},
        {-86400 * 365, "Thursday, 01-Jan-70 00:00:00 GMT", 1970},  // a clock in 1969
        {4102444800, "Thursday, 01-Jan-50 00:00:00 GMT", 2150},    // now 2100: 2150 is 50 ahead
    };
    for (const Case& c : cases) {
        const auto t = parse_http_date(c.text, c.now);
        ASSERT_TRUE(t.has_value()) << c.text;
        std::tm tm{};
        const std::time_t tt = static_cast<std::time_t>(*t);
        ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
        EXPECT_EQ(tm.tm_year + 1900, c.year) << c.text << " at now=" << c.now;
    }
}

TEST(HttpDate, Rfc850AgainstAFarClockCanLeaveFourDigitYears) {
    // Found by files_fuzz: a clock in the year 15191 reads "-94" as 15194,
    // an instant that has no IMF-fixdate; the parse is still right.
    constexpr std::int64_t now = 417235744805;
    const char* text = "Sunday, 06-Nov-94 08:49:37 GMT";
    const auto t = parse_http_date(text, now);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(*t, lesto::http::days_from_civil(15194, 11, 6) * 86400 + 8 * 3600 + 49 * 60 + 37);
    lesto::test::check_date(lesto::test::fail_test, text, now);
}

TEST(HttpDate, DaysFromCivilAgreesWithTimegm) {
    // Every first and last day of a month over four centuries either side
    // of 1970, leap years of every kind included.
    for (int year = 1570; year <= 2370; ++year) {
        for (int month = 1; month <= 12; ++month) {
            std::tm tm{};
            tm.tm_year = year - 1900;
            tm.tm_mon = month - 1;
            tm.tm_mday = 1;
            EXPECT_EQ(lesto::http::days_from_civil(year, month, 1) * 86400, timegm(&tm))
                << year << "-" << month;
        }
    }
}

TEST(HttpDate, WhatWeFormatWeReadBack) {
    // Instants a second apart near the edges, and spread over the years.
    std::int64_t instants[] = {
        0, -1, 1, 951868799, 951868800, 2147483647, 2147483648, 253402300799, -62167219200};
    char out[lesto::http::http_date_size];
    for (std::int64_t t : instants) {
        ASSERT_TRUE(lesto::http::format_http_date(static_cast<std::time_t>(t), out)) << t;
        EXPECT_EQ(parse_http_date({out, sizeof out}, now_2026), t) << std::string(out, sizeof out);
    }
    for (std::int64_t t = -62167219200; t < 253402300799; t += 86400 * 37 + 3607) {
        ASSERT_TRUE(lesto::http::format_http_date(static_cast<std::time_t>(t), out));
        ASSERT_EQ(parse_http_date({out, sizeof out}, now_2026), t) << std::string(out, sizeof out);
    }
}

TEST(HttpDate, YearsWithoutAFourDigitFormAreNotFormatted) {
    char out[lesto::http::http_date_size] = {};
    EXPECT_FALSE(lesto::http::format_http_date(253402300800, out));  // year 10000
    EXPECT_FALSE(lesto::http::format_http_date(-62167219201, out));  // year -1
    EXPECT_EQ(out[0], '\0') << "nothing written";
}

}  // namespace
