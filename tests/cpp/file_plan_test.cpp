// file_plan_test.cpp: file requests planned: method, preconditions in the RFC's order, Range.
#include "files/conditional.hpp"
#include "files/plan.hpp"
#include "invariant.hpp"
#include "support/files_check.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using lesto::http::FileFacts;
using lesto::http::FilePlan;
using lesto::http::Header;

constexpr std::int64_t now_2026 = 1780000000;
constexpr std::int64_t mtime_s = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
const FileFacts file{1000, mtime_s * 1000000000LL + 5};
// The validators of `file`.
constexpr const char* etag = "\"ae1b981bc490a05-3e8\"";
constexpr const char* weak_etag = "W/\"ae1b981bc490a05-3e8\"";
constexpr const char* last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* second_before = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr const char* second_after = "Sun, 06 Nov 1994 08:49:38 GMT";
constexpr const char* second_after_rfc850 = "Sunday, 06-Nov-94 08:49:38 GMT";
constexpr const char* second_after_asctime = "Sun Nov  6 08:49:38 1994";

/// A field line the case owns (a Header only views its text).
struct Field {
    std::string name, value;
};

std::vector<Header> views(const std::vector<Field>& fields) {
    std::vector<Header> out;
    for (const Field& f : fields) out.push_back({f.name, f.value});
    return out;
}

struct PlanCase {
    const char* name;
    const char* method;
    std::vector<Field> fields;
    int status;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// Cases in the order of RFC 9110 13.2.2; `length` is the Content-Length.
const std::vector<PlanCase> plan_cases = {
    {"no condition", "GET", {}, 200, 0, 1000},
    {"HEAD has GET's length", "HEAD", {}, 200, 0, 1000},
    {"POST is not allowed", "POST", {}, 405},
    {"405 before any condition", "PUT", {{"If-Match", "\"nope\""}}, 405},
    {"methods are case-sensitive", "get", {}, 405},
    {"unrelated fields change nothing", "GET", {{"Host", "x"}, {"Accept", "*/*"}}, 200, 0, 1000},

    // 1. If-Match: strong comparison.
    {"If-Match our tag", "GET", {{"If-Match", etag}}, 200, 0, 1000},
    {"If-Match *", "GET", {{"If-Match", "*"}}, 200, 0, 1000},
    {"If-Match another tag", "GET", {{"If-Match", "\"other\""}}, 412},
    {"If-Match our tag, weak", "GET", {{"If-Match", weak_etag}}, 412},
    {"If-Match in a list", "GET", {{"If-Match", std::string("\"a\", ") + etag}}, 200, 0, 1000},
    {"If-Match malformed", "GET", {{"If-Match", "garbage"}}, 412},
    {"If-Match on two lines", "GET", {{"If-Match", "\"a\""}, {"if-match", etag}}, 200, 0, 1000},
    {"If-Match, one line broken", "GET", {{"If-Match", etag}, {"If-Match", "x"}}, 412},
    {"field names ignore case", "GET", {{"IF-MATCH", "\"other\""}}, 412},
    {"If-Match wins over If-Unmodified-Since",
     "GET",
     {{"If-Match", etag}, {"If-Unmodified-Since", second_before}},
     200,
     0,
     1000},

    // 2. If-Unmodified-Since, only without If-Match.
    {"If-Unmodified-Since at Last-Modified",
     "GET",
     {{"If-Unmodified-Since", last_modified}},
     200,
     0,
     1000},
    {"If-Unmodified-Since later", "GET", {{"If-Unmodified-Since", second_after}}, 200, 0, 1000},
    {"If-Unmodified-Since earlier", "GET", {{"If-Unmodified-Since", second_before}}, 412},
    {"If-Unmodified-Since not a date", "GET", {{"If-Unmodified-Since", "yesterday"}}, 200, 0, 1000},
    {"If-Unmodified-Since twice",
     "GET",
     {{"If-Unmodified-Since", second_before}, {"If-Unmodified-Since", second_before}},
     200,
     0,
     1000},

    // 3. If-None-Match: weak comparison; 304 for GET and HEAD.
    {"If-None-Match our tag", "GET", {{"If-None-Match", etag}}, 304},
    {"If-None-Match our tag, weak", "GET", {{"If-None-Match", weak_etag}}, 304},
    {"If-None-Match *", "GET", {{"If-None-Match", "*"}}, 304},
    {"If-None-Match HEAD", "HEAD", {{"If-None-Match", etag}}, 304},
    {"If-None-Match another tag", "GET", {{"If-None-Match", "\"other\""}}, 200, 0, 1000},
    {"If-None-Match in a list", "GET", {{"If-None-Match", std::string("W/\"a\", ") + etag}}, 304},
    {"If-None-Match malformed", "GET", {{"If-None-Match", std::string(etag) + " x"}}, 200, 0, 1000},
    {"If-None-Match on two lines",
     "GET",
     {{"If-None-Match", "\"a\""}, {"If-None-Match", etag}},
     304},
    {"If-Match passes, If-None-Match hits",
     "GET",
     {{"If-Match", etag}, {"If-None-Match", etag}},
     304},
    {"If-Match fails first", "GET", {{"If-Match", "\"x\""}, {"If-None-Match", etag}}, 412},
    {"If-Unmodified-Since fails first",
     "GET",
     {{"If-Unmodified-Since", second_before}, {"If-None-Match", etag}},
     412},
    {"If-None-Match wins over If-Modified-Since",
     "GET",
     {{"If-None-Match", "\"other\""}, {"If-Modified-Since", second_after}},
     200,
     0,
     1000},

    // 4. If-Modified-Since, only without If-None-Match.
    {"If-Modified-Since at Last-Modified", "GET", {{"If-Modified-Since", last_modified}}, 304},
    {"If-Modified-Since later", "GET", {{"If-Modified-Since", second_after}}, 304},
    {"If-Modified-Since later, RFC 850", "GET", {{"If-Modified-Since", second_after_rfc850}}, 304},
    {"If-Modified-Since later, asctime", "GET", {{"If-Modified-Since", second_after_asctime}}, 304},
    {"If-Modified-Since earlier", "GET", {{"If-Modified-Since", second_before}}, 200, 0, 1000},
    {"If-Modified-Since HEAD", "HEAD", {{"If-Modified-Since", last_modified}}, 304},
    {"If-Modified-Since not a date", "GET", {{"If-Modified-Since", "0"}}, 200, 0, 1000},
    {"If-Modified-Since, a list of dates",
     "GET",
     {{"If-Modified-Since", std::string(last_modified) + ", " + last_modified}},
     200,
     0,
     1000},
    {"If-Modified-Since twice",
     "GET",
     {{"If-Modified-Since", last_modified}, {"If-Modified-Since", last_modified}},
     200,
     0,
     1000},

    // 5. Range, GET only, and If-Range.
    {"a range", "GET", {{"Range", "bytes=0-99"}}, 206, 0, 100},
    {"a suffix range", "GET", {{"Range", "bytes=-10"}}, 206, 990, 10},
    {"an open range", "GET", {{"range", "bytes=990-"}}, 206, 990, 10},
    {"a range past the end", "GET", {{"Range", "bytes=1000-"}}, 416},
    {"a zero suffix", "GET", {{"Range", "bytes=-0"}}, 416},
    {"HEAD ignores Range", "HEAD", {{"Range", "bytes=0-99"}}, 200, 0, 1000},
    {"HEAD ignores an unsatisfiable Range", "HEAD", {{"Range", "bytes=5000-"}}, 200, 0, 1000},
    {"several ranges: the whole file", "GET", {{"Range", "bytes=0-1,5-6"}}, 200, 0, 1000},
    {"Range on two lines", "GET", {{"Range", "bytes=0-1"}, {"Range", "bytes=0-1"}}, 200, 0, 1000},
    {"a malformed Range", "GET", {{"Range", "bytes=x"}}, 200, 0, 1000},
    {"If-Range our tag", "GET", {{"Range", "bytes=0-9"}, {"If-Range", etag}}, 206, 0, 10},
    {"If-Range our tag, weak",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", weak_etag}},
     200,
     0,
     1000},
    {"If-Range another tag", "GET", {{"Range", "bytes=0-9"}, {"If-Range", "\"x\""}}, 200, 0, 1000},
    {"If-Range Last-Modified",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", last_modified}},
     206,
     0,
     10},
    {"If-Range a later date",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", second_after}},
     200,
     0,
     1000},
    {"If-Range an earlier date",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", second_before}},
     200,
     0,
     1000},
    {"If-Range garbage", "GET", {{"Range", "bytes=0-9"}, {"If-Range", "soon"}}, 200, 0, 1000},
    {"If-Range a tag list",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", std::string(etag) + ", " + etag}},
     200,
     0,
     1000},
    {"If-Range twice",
     "GET",
     {{"Range", "bytes=0-9"}, {"If-Range", etag}, {"If-Range", etag}},
     200,
     0,
     1000},
    {"If-Range failing turns a 416 into a 200",
     "GET",
     {{"Range", "bytes=5000-"}, {"If-Range", "\"x\""}},
     200,
     0,
     1000},
    {"If-Range holding keeps the 416", "GET", {{"Range", "bytes=5000-"}, {"If-Range", etag}}, 416},
    {"If-Range without Range", "GET", {{"If-Range", "\"x\""}}, 200, 0, 1000},
    {"a 304 comes before the range", "GET", {{"Range", "bytes=0-9"}, {"If-None-Match", etag}}, 304},
    {"a 412 comes before the range", "GET", {{"Range", "bytes=5000-"}, {"If-Match", "\"x\""}}, 412},
};

TEST(FilePlan, EveryCaseInTheRfcsOrder) {
    for (const PlanCase& c : plan_cases) {
        const std::vector<Header> fields = views(c.fields);
        const auto conditions = lesto::http::read_conditions(fields);
        const FilePlan plan = lesto::http::plan_file_response(c.method, conditions, file, now_2026);
        EXPECT_EQ(plan.status, c.status) << c.name;
        EXPECT_EQ(plan.offset, c.offset) << c.name;
        EXPECT_EQ(plan.length, c.length) << c.name;
        lesto::test::check_plan(lesto::test::fail_test, c.method, fields, file, now_2026, plan);
    }
}

TEST(Preconditions, OtherMethodsGet412WhereGetGets304) {
    // The planner answers other methods 405 first; the evaluation itself
    // follows RFC 9110 13.2.2 for any method.
    using lesto::http::Precondition;
    const lesto::http::Validators v(file, now_2026);
    const auto eval = [&](std::vector<Header> fields, bool get_or_head) {
        return lesto::http::evaluate_preconditions(lesto::http::read_conditions(fields), v,
                                                   get_or_head, now_2026);
    };
    EXPECT_EQ(eval({{"If-None-Match", etag}}, false), Precondition::precondition_failed);
    EXPECT_EQ(eval({{"If-None-Match", "*"}}, false), Precondition::precondition_failed);
    EXPECT_EQ(eval({{"If-None-Match", etag}}, true), Precondition::not_modified);
    // If-Modified-Since is for GET and HEAD only.
    EXPECT_EQ(eval({{"If-Modified-Since", last_modified}}, false), Precondition::passed);
    EXPECT_EQ(eval({{"If-Modified-Since", last_modified}}, true), Precondition::not_modified);
    EXPECT_EQ(eval({{"If-Unmodified-Since", second_before}}, false),
              Precondition::precondition_failed);
}

// The span of a temporary Headers would dangle: calling view() on one must not compile.
template <class T>
concept views_a_temporary = requires(T h) {
    std::move(h).view();
};
static_assert(!views_a_temporary<FilePlan::Headers>);
static_assert(requires(const FilePlan::Headers& h) { h.view(); });

std::vector<std::string> lines(const FilePlan& plan) {
    std::vector<std::string> out;
    for (const Header& h : plan.headers())
        out.push_back(std::string(h.name) + ": " + std::string(h.value));
    return out;
}

std::vector<std::string> lines_for(const char* method, std::vector<Header> fields) {
    return lines(lesto::http::plan_file_response(method, lesto::http::read_conditions(fields), file,
                                                 now_2026));
}

TEST(FilePlan, TheFieldsOfEachStatus) {
    using V = std::vector<std::string>;
    const std::string e = std::string("ETag: ") + etag;
    const std::string lm = std::string("Last-Modified: ") + last_modified;
    EXPECT_EQ(lines_for("GET", {}), (V{e, lm, "Accept-Ranges: bytes"}));
    EXPECT_EQ(lines_for("HEAD", {}), (V{e, lm, "Accept-Ranges: bytes"}));
    EXPECT_EQ(lines_for("GET", {{"Range", "bytes=10-19"}}),
              (V{e, lm, "Accept-Ranges: bytes", "Content-Range: bytes 10-19/1000"}));
    EXPECT_EQ(lines_for("GET", {{"If-None-Match", "*"}}), (V{e}));
    EXPECT_EQ(lines_for("GET", {{"If-Match", "\"x\""}}), (V{}));
    EXPECT_EQ(lines_for("GET", {{"Range", "bytes=-0"}}), (V{"Content-Range: bytes */1000"}));
    EXPECT_EQ(lines_for("DELETE", {}), (V{"Allow: GET, HEAD"}));
}

TEST(FilePlan, AnEmptyFile) {
    const FileFacts empty{0, 0};
    const auto plan = [&](std::vector<Header> fields) {
        return lesto::http::plan_file_response("GET", lesto::http::read_conditions(fields), empty,
                                               now_2026);
    };
    EXPECT_EQ(plan({}).status, 200);
    EXPECT_EQ(plan({}).length, 0u);
    EXPECT_EQ(plan({{"Range", "bytes=0-"}}).status, 416);
    EXPECT_EQ(plan({{"Range", "bytes=-5"}}).status, 416);
    EXPECT_EQ(lines(plan({{"Range", "bytes=0-0"}})),
              std::vector<std::string>{"Content-Range: bytes */0"});
}

TEST(FilePlan, AFileFromTheFutureIsLastModifiedNow) {
    const FileFacts future{10, (now_2026 + 86400) * 1000000000LL};
    const auto got = lines(lesto::http::plan_file_response("GET", {}, future, now_2026));
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[1], "Last-Modified: Thu, 28 May 2026 20:26:40 GMT");
}

TEST(FilePlan, ReadsTheFieldsOfAParsedRequest) {
    lesto::http::RequestHead head;
    head.method = "GET";
    head.headers = {{"Host", "example.com"}, {"rAnGe", "bytes=1-2"}};
    const FilePlan plan = lesto::http::plan_file_response(head, file, now_2026);
    EXPECT_EQ(plan.status, 206);
    EXPECT_EQ(plan.offset, 1u);
    EXPECT_EQ(plan.length, 2u);
}

TEST(FilePlan, AMovedPlanKeepsItsFields) {
    std::vector<FilePlan> plans;
    for (int i = 0; i < 50; ++i) {
        plans.push_back(lesto::http::plan_file_response(
            "GET", lesto::http::read_conditions(std::vector<Header>{{"Range", "bytes=1-2"}}), file,
            now_2026));
    }
    EXPECT_EQ(lines(plans.front()).back(), "Content-Range: bytes 1-2/1000");
}

}  // namespace
