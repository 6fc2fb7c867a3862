// router_patterns_test.cpp: the route pattern forms, what each matches and each refusal, as data.
//
// japronto's router tests (router/test_route.py, router/test_matcher.py) are
// among the cases, their patterns and requests restated here; where Lesto
// answers otherwise on purpose, the case's note says so.
#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "router/router.hpp"

using lesto::router::Match;
using lesto::router::MatchKind;
using lesto::router::RouteError;
using lesto::router::Router;

namespace {

using Captures = std::map<std::string, std::string>;

/// The captures of `m` by name, as the application's match_dict shows them.
Captures captures(const Router& r, const Match& m) {
    Captures out;
    const auto& names = r.route(m.route).param_names;
    for (std::size_t i = 0; i < m.param_count; ++i) {
        out[names[m.params[i].name]] = std::string(m.params[i].value);
    }
    return out;
}

/// One pattern, one path: the captures when the path matches, nullopt when not.
struct PatternCase {
    std::string_view pattern;
    std::string_view path;
    std::optional<Captures> want;
    std::string_view note = {};
};

const PatternCase pattern_cases[] = {
    // Literal text before a placeholder, in its segment.
    {"/x{a}", "/xyz", Captures{{"a", "yz"}}},
    {"/x{a}", "/xx", Captures{{"a", "x"}}},
    {"/x{a}", "/x", std::nullopt, "a placeholder captures at least one byte"},
    {"/x{a}", "/y", std::nullopt},
    {"/x{a}", "/X1", std::nullopt, "the prefix is compared exactly"},
    {"/x{a}", "/xy/", std::nullopt},
    {"/x{a}", "/x/y", std::nullopt},
    {"/user_{id}/edit", "/user_5/edit", Captures{{"id", "5"}}},
    {"/user_{id}/edit", "/user_/edit", std::nullopt},
    {"/user_{id}/edit", "/user5/edit", std::nullopt},
    {"/user_{id}/edit", "/user_5/edit/", std::nullopt},
    {"/user_{id}/edit", "/user_5", std::nullopt,
     "japronto matched this: its matcher stopped where the path ended, not checking the "
     "pattern's remaining '/edit'. Lesto matches the whole pattern"},
    {"/a/{x}/b", "/a/foo", std::nullopt, "the same japronto slip, without a prefix"},
    {"/file.{ext}", "/file.tar.gz", Captures{{"ext", "tar.gz"}}},
    {"/v{major}/items/{id}", "/v2/items/7", Captures{{"major", "2"}, {"id", "7"}}},
    {"/caf\xc3\xa9-{x}", "/caf\xc3\xa9-au-lait", Captures{{"x", "au-lait"}}},
    {"/{{{a}", "/{x", Captures{{"a", "x"}}, "'{{' is a literal brace, then the placeholder"},
    {"/{{{a}", "/x", std::nullopt},
    {"/a}}{b}", "/a}c", Captures{{"b", "c"}}},
    // The anonymous placeholder: its capture is match_dict[''].
    {"/{}", "/abc", Captures{{"", "abc"}}},
    {"/{}", "/", std::nullopt},
    {"/{}", "/a/b", std::nullopt},
    {"/files/{}/raw", "/files/x.txt/raw", Captures{{"", "x.txt"}}},
    {"/{}/{name}", "/a/b", Captures{{"", "a"}, {"name", "b"}}},
    // A name is any text without braces or '/', as in japronto.
    {"/{a-b}", "/1", Captures{{"a-b", "1"}}},
    {"/{1x}", "/1", Captures{{"1x", "1"}}},
    {"/{ id }", "/1", Captures{{" id ", "1"}}},
    {"/{a:int}", "/1", Captures{{"a:int", "1"}}, "no converters: ':int' is part of the name"},
    {"/{\xc3\xa9}", "/1", Captures{{"\xc3\xa9", "1"}}},
    // japronto's router/test_route.py parse cases (the ones starting with '/';
    // the others are refused below).
    {"/", "/", Captures{}},
    {"/{{a}}", "/{a}", Captures{}},
    {"/{{a}}", "/a", std::nullopt},
};

void PrintTo(const PatternCase& c, std::ostream* os) {
    *os << "'" << c.pattern << "' against '" << c.path << "'";
    if (!c.note.empty()) *os << " (" << c.note << ")";
}

class RouterPatterns : public testing::TestWithParam<PatternCase> {};

TEST_P(RouterPatterns, MatchAsTheCaseSays) {
    const PatternCase& c = GetParam();
    Router r;
    ASSERT_NO_THROW(r.add(c.pattern));
    const Match m = r.match("GET", c.path);
    // allowed_methods walks every route itself: it must agree.
    Router post_only;
    post_only.add(c.pattern, {"POST"});
    EXPECT_EQ(post_only.allowed_methods(c.path), c.want ? "POST" : "");
    if (!c.want) {
        EXPECT_EQ(m.kind, MatchKind::not_found);
        return;
    }
    ASSERT_EQ(m.kind, MatchKind::found);
    EXPECT_EQ(captures(r, m), *c.want);
}

INSTANTIATE_TEST_SUITE_P(Cases, RouterPatterns, testing::ValuesIn(pattern_cases));

/// One pattern add() refuses, and its whole message.
struct ErrorCase {
    std::string_view pattern;
    std::string_view message;
    std::string_view note = {};
};

const ErrorCase error_cases[] = {
    {"", "invalid route pattern: it must start with '/', got ''"},
    {"users", "invalid route pattern: it must start with '/', got 'users'"},
    {"{id}", "invalid route pattern: it must start with '/', got '{id}'",
     "japronto's test_route.py parses '{a}' and 'a/{a}', but no request path can match a "
     "pattern without the leading '/'"},
    {"a/{a}", "invalid route pattern: it must start with '/', got 'a/{a}'"},
    {"/a{", "invalid route pattern: unbalanced brace at position 2 in '/a{'"},
    {"/{id", "invalid route pattern: unbalanced brace at position 1 in '/{id'"},
    {"/{a}/{b", "invalid route pattern: unbalanced brace at position 5 in '/{a}/{b'",
     "japronto: '{a}/{b' is unbalanced"},
    {"/{a/b}", "invalid route pattern: unbalanced brace at position 1 in '/{a/b}'",
     "japronto took 'a/b' as the name; a '/' inside braces is a '}' forgotten"},
    {"/x/{a{b}}", "invalid route pattern: unbalanced brace at position 3 in '/x/{a{b}}'"},
    {"/{{a}", "invalid route pattern: unbalanced brace at position 4 in '/{{a}'"},
    {"/a}", "invalid route pattern: unbalanced brace at position 2 in '/a}'",
     "japronto took a lone '}' literally; Lesto wants '}}' for a literal brace, as a lone one "
     "is more often a '{' forgotten"},
    {"/}{", "invalid route pattern: unbalanced brace at position 1 in '/}{'"},
    {"/a\n{", "invalid route pattern: unbalanced brace at position 3 in '/a\\n{'",
     "control bytes are escaped in messages"},
    {"/{a}a",
     "invalid route pattern: placeholder '{a}' at position 1 in '/{a}a' is followed by 'a'; a "
     "placeholder must end its segment ('/' or the end of the pattern after its '}')",
     "japronto: '{a}a' must be followed by '/' or appear at the end"},
    {"/a/{id}x/b",
     "invalid route pattern: placeholder '{id}' at position 3 in '/a/{id}x/b' is followed by "
     "'x'; a placeholder must end its segment ('/' or the end of the pattern after its '}')"},
    {"/{a}{b}",
     "invalid route pattern: placeholder '{a}' at position 1 in '/{a}{b}' is followed by "
     "'{b}'; a placeholder must end its segment ('/' or the end of the pattern after its '}')"},
    {"/{id}}",
     "invalid route pattern: placeholder '{id}' at position 1 in '/{id}}' is followed by '}'; "
     "a placeholder must end its segment ('/' or the end of the pattern after its '}')"},
    {"/{a}{{",
     "invalid route pattern: placeholder '{a}' at position 1 in '/{a}{{' is followed by '{{'; "
     "a placeholder must end its segment ('/' or the end of the pattern after its '}')"},
    {"/{a}/{a}", "invalid route pattern: duplicate placeholder name 'a' in '/{a}/{a}'",
     "japronto: duplicate name"},
    {"/{id}/x/{id}", "invalid route pattern: duplicate placeholder name 'id' in '/{id}/x/{id}'"},
    {"/{}/{}",
     "invalid route pattern: more than one anonymous placeholder '{}' in '/{}/{}'; each would "
     "be match_dict[''], so name all but one"},
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
    *os << "'" << c.pattern << "'";
    if (!c.note.empty()) *os << " (" << c.note << ")";
}

class RouterPatternErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(RouterPatternErrors, RefusedWithThisMessage) {
    const ErrorCase& c = GetParam();
    Router r;
    r.add("/before");
    try {
        r.add(c.pattern);
        ADD_FAILURE() << "accepted: " << c.pattern;
    } catch (const RouteError& e) {
        EXPECT_EQ(std::string_view(e.what()), c.message);
    }
    EXPECT_EQ(r.size(), 1u) << "a refused add() leaves the router as it was";
}

INSTANTIATE_TEST_SUITE_P(Cases, RouterPatternErrors, testing::ValuesIn(error_cases));

/// A request against japronto's test_matcher.py routing table (below).
struct TableCase {
    std::string_view method;
    std::string_view path;
    MatchKind kind;
    std::size_t route = 0;  ///< when found
    Captures want = {};
    std::string_view note = {};
};

// japronto's router/test_matcher.py table, in its order.
void add_japronto_table(Router& r) {
    r.add("/");
    r.add("/test", {"GET"});
    r.add("/hi/{there}", {"POST", "DELETE"});
    r.add("/{oh}/{dear}", {"PATCH"});
    r.add("/lets", {"PATCH"});
}

constexpr std::string_view not_found_there =
    "japronto's matcher found no route; with a route for this path under other methods "
    "Lesto answers 405, not 404";

const TableCase table_cases[] = {
    {"GET", "/", MatchKind::found, 0},
    {"POST", "/", MatchKind::found, 0},
    {"GET", "/test", MatchKind::found, 1},
    {"DELETE", "/hi/jane", MatchKind::found, 2, {{"there", "jane"}}},
    {"PATCH", "/lets/go", MatchKind::found, 3, {{"oh", "lets"}, {"dear", "go"}}},
    {"PATCH", "/lets", MatchKind::found, 4},
    {"POST", "/test", MatchKind::method_not_allowed, 0, {}, not_found_there},
    {"GET", "/test/", MatchKind::not_found},
    {"GET", "/hi/jane", MatchKind::method_not_allowed, 0, {}, not_found_there},
    {"POST", "/hi/jane/", MatchKind::not_found},
    {"POST", "/hi/", MatchKind::not_found},
    {"GET", "/abc", MatchKind::not_found},
    {"PATCH", "//dance", MatchKind::not_found},
};

void PrintTo(const TableCase& c, std::ostream* os) {
    *os << c.method << " " << c.path;
    if (!c.note.empty()) *os << " (" << c.note << ")";
}

class JaprontoMatcherTable : public testing::TestWithParam<TableCase> {};

TEST_P(JaprontoMatcherTable, SameRouteAndCaptures) {
    const TableCase& c = GetParam();
    Router r;
    add_japronto_table(r);
    const Match m = r.match(c.method, c.path);
    ASSERT_EQ(m.kind, c.kind);
    if (c.kind != MatchKind::found) return;
    EXPECT_EQ(m.route, c.route);
    EXPECT_EQ(captures(r, m), c.want);
}

INSTANTIATE_TEST_SUITE_P(Cases, JaprontoMatcherTable, testing::ValuesIn(table_cases));

}  // namespace
