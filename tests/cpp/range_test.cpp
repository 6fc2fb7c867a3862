// range_test.cpp: the Range field against a representation size, and the Content-Range values.
#include "files/range.hpp"
#include "invariant.hpp"
#include "support/files_check.hpp"

#include <gtest/gtest.h>
#include <string>

namespace {

using lesto::http::parse_range;
using lesto::http::RangeKind;
using lesto::http::RangeResult;

constexpr RangeResult ignore{};
constexpr RangeResult unsatisfiable{RangeKind::unsatisfiable, 0, 0};
constexpr RangeResult bytes(std::uint64_t offset, std::uint64_t length) {
    return {RangeKind::satisfiable, offset, length};
}

struct RangeCase {
    const char* value;
    std::uint64_t size;
    RangeResult want;
};

const RangeCase range_cases[] = {
    // The three forms.
    {"bytes=0-499", 10000, bytes(0, 500)},
    {"bytes=500-999", 10000, bytes(500, 500)},
    {"bytes=9500-", 10000, bytes(9500, 500)},
    {"bytes=-500", 10000, bytes(9500, 500)},
    {"bytes=0-0", 10000, bytes(0, 1)},
    {"bytes=9999-9999", 10000, bytes(9999, 1)},
    {"bytes=0-", 10000, bytes(0, 10000)},
    // last-pos past the end is clamped; a suffix longer than the file is all of it.
    {"bytes=0-10000", 10000, bytes(0, 10000)},
    {"bytes=9000-99999", 10000, bytes(9000, 1000)},
    {"bytes=-10000", 10000, bytes(0, 10000)},
    {"bytes=-20000", 10000, bytes(0, 10000)},
    {"bytes=5-18446744073709551615", 10, bytes(5, 5)},
    {"bytes=5-99999999999999999999999999999999", 10, bytes(5, 5)},
    {"bytes=-99999999999999999999999999999999", 10, bytes(0, 10)},
    // Leading zeros, case of the unit, OWS around list elements, empty elements.
    {"bytes=0005-0009", 10, bytes(5, 5)},
    {"bytes=-0003", 10, bytes(7, 3)},
    {"bytes=00000000000000000000000000001-2", 10, bytes(1, 2)},
    {"BYTES=1-2", 10, bytes(1, 2)},
    {"Bytes=1-2", 10, bytes(1, 2)},
    {"bytes= 1-2", 10, bytes(1, 2)},
    {"bytes=1-2 ", 10, bytes(1, 2)},
    {"bytes=\t1-2\t", 10, bytes(1, 2)},
    {"bytes=1-2,", 10, bytes(1, 2)},
    {"bytes=, ,1-2, ,", 10, bytes(1, 2)},
    // Unsatisfiable: first-pos at or past the end, a zero suffix, an empty file.
    {"bytes=10-", 10, unsatisfiable},
    {"bytes=10-20", 10, unsatisfiable},
    {"bytes=18446744073709551615-", 10, unsatisfiable},
    {"bytes=99999999999999999999999999-", 10, unsatisfiable},
    {"bytes=99999999999999999999999999-99999999999999999999999999", 10, unsatisfiable},
    {"bytes=-0", 10, unsatisfiable},
    {"bytes=-000", 10, unsatisfiable},
    {"bytes=0-", 0, unsatisfiable},
    {"bytes=0-0", 0, unsatisfiable},
    {"bytes=-1", 0, unsatisfiable},
    {"bytes=-0", 0, unsatisfiable},
    // Ignored: the whole file with 200.
    {"", 10, ignore},
    {"bytes", 10, ignore},
    {"bytes=", 10, ignore},
    {"bytes=,", 10, ignore},
    {"bytes=-", 10, ignore},
    {"bytes=1", 10, ignore},
    {"bytes=a-b", 10, ignore},
    {"bytes=1-a", 10, ignore},
    {"bytes=+1-2", 10, ignore},
    {"bytes=1--2", 10, ignore},
    {"bytes=--2", 10, ignore},
    {"bytes=1-2-3", 10, ignore},
    {"bytes=1 -2", 10, ignore},  // no whitespace inside a range-spec
    {"bytes=1- 2", 10, ignore},
    {"bytes=0x1-2", 10, ignore},
    {"bytes=5-4", 10, ignore},  // last-pos before first-pos: invalid, not unsatisfiable
    {"bytes=50-40", 10, ignore},
    {"bytes=99999999999999999999999999-1", 10, ignore},
    {"bytes=100000000000000000000-99999999999999999999", 10, ignore},
    {"bytes =1-2", 10, ignore},  // no whitespace around '='
    {"bytes= =1-2", 10, ignore},
    {" bytes=1-2", 10, ignore},
    {"bits=1-2", 10, ignore},  // a unit we do not speak
    {"byte=1-2", 10, ignore},
    {"bytesx=1-2", 10, ignore},
    {"=1-2", 10, ignore},
    {"1-2", 10, ignore},
    {"bytes=1-2;q=1", 10, ignore},
    // Several ranges: the whole file (see range.hpp), even when each is fine.
    {"bytes=0-1,2-3", 10, ignore},
    {"bytes=0-1, -1", 10, ignore},
    {"bytes=0-0,0-0", 10, ignore},
    {"bytes=0-1,20-30", 10, ignore},
    {"bytes=20-30,40-50", 10, ignore},
    {"bytes=0-1,x", 10, ignore},
};

TEST(Range, EveryCaseOfTheTable) {
    for (const RangeCase& c : range_cases) {
        const RangeResult got = parse_range(c.value, c.size);
        EXPECT_EQ(got, c.want) << "'" << c.value << "' size " << c.size << ": kind "
                               << static_cast<int>(got.kind) << " offset " << got.offset
                               << " length " << got.length;
        lesto::test::check_range(lesto::test::fail_test, c.value, c.size, got);
    }
}

TEST(Range, AValueWithANulIsNotARange) {
    const std::string v("bytes=1-2\0", 10);
    EXPECT_EQ(parse_range(v, 10), ignore);
}

TEST(Range, TheLargestSizesDoNotWrap) {
    constexpr std::uint64_t max = ~std::uint64_t{0};
    EXPECT_EQ(parse_range("bytes=0-", max), bytes(0, max));
    EXPECT_EQ(parse_range("bytes=-1", max), bytes(max - 1, 1));
    EXPECT_EQ(parse_range("bytes=18446744073709551614-", max), bytes(max - 1, 1));
    EXPECT_EQ(parse_range("bytes=18446744073709551615-", max), unsatisfiable);
    EXPECT_EQ(parse_range("bytes=-18446744073709551615", max), bytes(0, max));
    EXPECT_EQ(parse_range("bytes=-18446744073709551616", max), bytes(0, max));
}

TEST(Range, ManyEmptyElementsAreReadInOnePass) {
    std::string v = "bytes=";
    v.append(100000, ',');
    v += "3-4";
    v.append(100000, ' ');
    EXPECT_EQ(parse_range(v, 10), bytes(3, 2));
}

TEST(Range, ContentRangeValues) {
    char buf[lesto::http::content_range_capacity];
    const auto text = [&buf](std::size_t n) { return std::string(buf, n); };
    EXPECT_EQ(text(lesto::http::format_content_range(bytes(0, 500), 10000, buf)),
              "bytes 0-499/10000");
    EXPECT_EQ(text(lesto::http::format_content_range(bytes(9999, 1), 10000, buf)),
              "bytes 9999-9999/10000");
    constexpr std::uint64_t max = ~std::uint64_t{0};
    EXPECT_EQ(text(lesto::http::format_content_range(bytes(max - 1, 1), max, buf)),
              "bytes 18446744073709551614-18446744073709551614/18446744073709551615");
    EXPECT_EQ(text(lesto::http::format_content_range(bytes(0, max), max, buf)),
              "bytes 0-18446744073709551614/18446744073709551615");
    EXPECT_EQ(text(lesto::http::format_unsatisfied_range(10000, buf)), "bytes */10000");
    EXPECT_EQ(text(lesto::http::format_unsatisfied_range(0, buf)), "bytes */0");
}

}  // namespace
