// date_test.cpp: the cached IMF-fixdate for the Date header.
#include <gtest/gtest.h>

#include <clocale>
#include <ctime>
#include <string>

#include "response/date.hpp"

using lesto::http::DateCache;

TEST(Date, FormatsTheRfcExample) {
    DateCache d;
    d.refresh(784111777);
    EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(d.value().size(), 29u);
}

TEST(Date, FormatsKnownInstants) {
    struct Case {
        std::time_t t;
        const char* text;
    };
    const Case cases[] = {
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {951868799, "Tue, 29 Feb 2000 23:59:59 GMT"},
        {2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
        {4102444800, "Fri, 01 Jan 2100 00:00:00 GMT"},
        {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
        {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
    };
    DateCache d;
    for (const Case& c : cases) {
        d.refresh(c.t);
        EXPECT_EQ(d.value(), c.text) << c.t;
    }
}

TEST(Date, EveryWeekdayAndMonthName) {
    // 1995-01-01 was a Sunday; step a day and a month (31 days) at a time.
    DateCache d;
    const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    for (int i = 0; i < 7; ++i) {
        d.refresh(788918400 + i * 86400);
        EXPECT_EQ(d.value().substr(0, 3), days[i]);
    }
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    tm.tm_year = 95;
    tm.tm_mday = 15;
    for (int m = 0; m < 12; ++m) {
        tm.tm_mon = m;
        d.refresh(timegm(&tm));
        EXPECT_EQ(d.value().substr(8, 3), months[m]);
    }
}

TEST(Date, RefreshWithinTheSameSecondKeepsTheValue) {
    DateCache d;
    d.refresh(784111777);
    std::string first(d.value());
    const char* where = d.value().data();
    d.refresh(784111777);
    EXPECT_EQ(d.value(), first);
    EXPECT_EQ(d.value().data(), where);
    d.refresh(784111778);
    EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:38 GMT");
    EXPECT_EQ(d.value().data(), where) << "the view must stay valid across refreshes";
}

TEST(Date, ConstructorHoldsTheCurrentTime) {
    std::time_t before = std::time(nullptr);
    DateCache d;
    std::time_t after = std::time(nullptr);
    DateCache b, a;
    b.refresh(before);
    a.refresh(after);
    EXPECT_TRUE(d.value() == b.value() || d.value() == a.value()) << d.value();
}

TEST(Date, ClockMinusOneIsStillFormattedOnFirstRefresh) {
    // The cache starts out holding -1 as "no second yet"; a clock reading of
    // exactly -1 must not be mistaken for an already formatted value.
    DateCache d;
    d.refresh(-1);
    EXPECT_EQ(d.value(), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(Date, UnrepresentableYearKeepsTheLastGoodValue) {
    DateCache d;
    d.refresh(784111777);
    d.refresh(253402300800);  // year 10000 has no IMF-fixdate form
    EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:37 GMT");
    d.refresh(0);
    EXPECT_EQ(d.value(), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Date, IgnoresTheProcessLocale) {
    // Only matters where a non-English locale is installed; harmless elsewhere.
    const char* old = std::setlocale(LC_TIME, nullptr);
    std::string saved = old ? old : "C";
    bool switched =
        std::setlocale(LC_TIME, "de_DE.UTF-8") || std::setlocale(LC_TIME, "fr_FR.UTF-8");
    DateCache d;
    d.refresh(784111777);
    EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:37 GMT") << "locale switched: " << switched;
    std::setlocale(LC_TIME, saved.c_str());
}
