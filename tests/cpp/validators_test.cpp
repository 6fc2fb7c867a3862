// validators_test.cpp: our ETag and Last-Modified, and reading If-Match / If-None-Match lists.
#include "files/validators.hpp"
#include "invariant.hpp"
#include "support/files_check.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

using lesto::http::Comparison;
using lesto::http::EntityTag;
using lesto::http::FileFacts;
using lesto::http::ListMatch;
using lesto::http::match_tag_list;
using lesto::http::Validators;

constexpr std::int64_t now_2026 = 1780000000;
constexpr std::int64_t billion = 1000000000;

TEST(Validators, TheEtagIsMtimeAndSizeInHex) {
    struct Case {
        FileFacts file;
        const char* etag;
    };
    const Case cases[] = {
        {{0, 0}, "\"0-0\""},
        {{1, 1}, "\"1-1\""},
        {{255, 784111777 * billion + 123456789}, "\"ae1b981c3a4d715-ff\""},
        {{~std::uint64_t{0}, INT64_MAX}, "\"7fffffffffffffff-ffffffffffffffff\""},
        {{10, -1}, "\"ffffffffffffffff-a\""},  // before 1970: two's complement
    };
    for (const Case& c : cases) EXPECT_EQ(Validators(c.file, now_2026).etag(), c.etag);
}

TEST(Validators, TheEtagChangesWithEitherFact) {
    const FileFacts base{1000, 784111777 * billion};
    const std::string etag(Validators(base, now_2026).etag());
    EXPECT_NE(Validators({1001, base.mtime_ns}, now_2026).etag(), etag);
    EXPECT_NE(Validators({base.size, base.mtime_ns + 1}, now_2026).etag(), etag)
        << "a rewrite within the same second has another nanosecond mtime";
}

TEST(Validators, LastModifiedIsTheMtimeSecondCappedAtNow) {
    struct Case {
        std::int64_t mtime_ns;
        std::int64_t now;
        const char* text;
        std::int64_t seconds;
    };
    const Case cases[] = {
        {784111777 * billion, now_2026, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
        {784111777 * billion + 999999999, now_2026, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
        {-1, now_2026, "Wed, 31 Dec 1969 23:59:59 GMT", -1},  // floor, not toward zero
        {-billion, now_2026, "Wed, 31 Dec 1969 23:59:59 GMT", -1},
        {-billion - 1, now_2026, "Wed, 31 Dec 1969 23:59:58 GMT", -2},
        {(now_2026 + 3600) * billion, now_2026, "Thu, 28 May 2026 20:26:40 GMT", now_2026},
        {INT64_MIN, now_2026, "Tue, 21 Sep 1677 00:12:43 GMT", -9223372037},
    };
    for (const Case& c : cases) {
        const Validators v({1, c.mtime_ns}, c.now);
        ASSERT_TRUE(v.has_last_modified()) << c.mtime_ns;
        EXPECT_EQ(v.last_modified(), c.text) << c.mtime_ns;
        EXPECT_EQ(v.last_modified_seconds(), c.seconds) << c.mtime_ns;
    }
}

TEST(Validators, AClockWithNoImfFixdateGivesNoLastModified) {
    // Nanoseconds in int64 span 1677-2262, always formattable; only a
    // clock before year 0 (which caps the mtime) leaves no date to send.
    const Validators v({1, 0}, -62167219201);
    EXPECT_FALSE(v.has_last_modified());
    EXPECT_EQ(v.last_modified(), "");
}

struct ListCase {
    const char* value;
    ListMatch strong;  ///< against ours, "abc" (If-Match)
    ListMatch weak;    ///< (If-None-Match)
};

constexpr ListMatch yes = ListMatch::matches;
constexpr ListMatch no = ListMatch::no_match;
constexpr ListMatch bad = ListMatch::malformed;

const ListCase list_cases[] = {
    {"\"abc\"", yes, yes},
    {"W/\"abc\"", no, yes},  // weak tags never match strongly
    {"\"xyz\"", no, no},
    {"\"xyz\", \"abc\"", yes, yes},
    {"\"xyz\",\"abc\"", yes, yes},
    {"\"xyz\" ,\t\"abc\" ", yes, yes},
    {"W/\"xyz\", W/\"abc\"", no, yes},
    {" \"abc\" ", yes, yes},
    {",\"abc\",,", yes, yes},  // empty elements are skipped
    {"\"ABC\"", no, no},       // opaque tags are case-sensitive
    {"\"abc \"", bad, bad},    // no space inside
    {"*", yes, yes},
    {" * ", yes, yes},
    {"*, \"abc\"", bad, bad},  // "*" stands alone
    {"\"abc\", *", bad, bad},
    {"**", bad, bad},
    {"abc", bad, bad},    // unquoted
    {"\"abc", bad, bad},  // unterminated
    {"\"abc\"\"", bad, bad},
    {"\"abc\"x", bad, bad},
    {"\"abc\" \"def\"", bad, bad},  // no comma between
    {"w/\"abc\"", bad, bad},        // W/ is case-sensitive
    {"W/ \"abc\"", bad, bad},
    {"W\"abc\"", bad, bad},
    {"\"a,b\"", no, no},             // a comma inside a tag is part of it
    {"\"a, \"abc\"", bad, bad},      // a tag that only looks like a member
    {"\"x\", \"abc", bad, bad},      // a broken member after a match-looking one
    {"\"abc\", garbage", bad, bad},  // a broken member after a real match
    {"", bad, bad},
    {" ", bad, bad},
    {",", bad, bad},
    {"\"\"", no, no},  // the empty tag is a tag
    {"\"\x7f\"", bad, bad},
    {"\"\x80\xff\"", no, no},  // obs-text is allowed
};

TEST(EntityTags, EveryListOfTheTable) {
    const EntityTag ours{false, "abc"};
    for (const ListCase& c : list_cases) {
        EXPECT_EQ(match_tag_list(c.value, ours, Comparison::strong), c.strong) << c.value;
        EXPECT_EQ(match_tag_list(c.value, ours, Comparison::weak), c.weak) << c.value;
        lesto::test::check_tag_list(lesto::test::fail_test, c.value, ours);
    }
}

TEST(EntityTags, ReadingOneTagConsumesExactlyIt) {
    std::string_view s = "W/\"a\\b\" , next";
    EntityTag tag;
    ASSERT_TRUE(lesto::http::read_entity_tag(s, tag));
    EXPECT_TRUE(tag.weak);
    EXPECT_EQ(tag.opaque, "a\\b");
    EXPECT_EQ(s, " , next");
    std::string_view broken = "\"open";
    EXPECT_FALSE(lesto::http::read_entity_tag(broken, tag));
    EXPECT_EQ(broken, "\"open") << "left as it was";
}

TEST(EntityTags, OurTagIsReadBack) {
    const Validators v({255, 7}, now_2026);
    const EntityTag ours = lesto::http::our_tag(v.etag());
    EXPECT_FALSE(ours.weak);
    EXPECT_EQ(ours.opaque, "7-ff");
    EXPECT_EQ(match_tag_list(v.etag(), ours, Comparison::strong), yes);
}

}  // namespace
