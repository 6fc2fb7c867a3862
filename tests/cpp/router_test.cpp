// router_test.cpp: route compilation, matching order, 405s, and allocation-free matching.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "router/router.hpp"

using namespace lesto::router;

// Replaces the global allocation functions for the whole test binary, so
// "match allocates nothing" is checked rather than assumed. Counting is off
// except inside an AllocationCounter scope. Every form that another runtime
// (ASan's) would otherwise provide is replaced together with its delete, so
// allocation and release always pair up.
namespace {
bool counting = false;
std::size_t allocations = 0;

void* counted_alloc(std::size_t n) {
    if (counting) ++allocations;
    return std::malloc(n == 0 ? 1 : n);
}

struct AllocationCounter {
    AllocationCounter() {
        allocations = 0;
        counting = true;
    }
    ~AllocationCounter() { counting = false; }
    std::size_t count() const { return allocations; }
};
}  // namespace

void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

std::string param(const Router& r, const Match& m, std::string_view name) {
    const auto& names = r.route(m.route).param_names;
    for (std::size_t i = 0; i < m.param_count; ++i) {
        if (names[m.params[i].name] == name) return std::string(m.params[i].value);
    }
    return "<missing>";
}

/// `method path` finds route `route`, with these parameter values in the
/// pattern's order.
testing::AssertionResult finds(const Router& r, std::string_view method, std::string_view path,
                               std::size_t route, std::vector<std::string_view> params = {}) {
    const Match m = r.match(method, path);
    if (m.kind != MatchKind::found) {
        return testing::AssertionFailure() << "kind " << static_cast<int>(m.kind);
    }
    if (m.route != route) return testing::AssertionFailure() << "route " << m.route;
    if (m.param_count != params.size()) {
        return testing::AssertionFailure() << m.param_count << " params";
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (m.params[i].name != i || m.params[i].value != params[i]) {
            return testing::AssertionFailure() << "param " << i << ": name " << m.params[i].name
                                               << " '" << m.params[i].value << "'";
        }
    }
    return testing::AssertionSuccess();
}

/// The message of the RouteError that adding `pattern` throws, or "<none>".
std::string add_error(std::string_view pattern, std::vector<std::string> methods = {}) {
    Router r;
    try {
        r.add(pattern, std::move(methods));
    } catch (const RouteError& e) {
        EXPECT_EQ(r.size(), 0u);
        return e.what();
    }
    return "<none>";
}

}  // namespace

TEST(Router, RootRouteMatchesOnlyRoot) {
    Router r;
    EXPECT_EQ(r.add("/"), 0u);
    EXPECT_TRUE(finds(r, "GET", "/", 0));
    for (std::string_view path : {"", "//", "/a", "a", "/ ", "*"}) {
        EXPECT_EQ(r.match("GET", path).kind, MatchKind::not_found) << path;
    }
}

TEST(Router, ExactRoutes) {
    Router r;
    r.add("/users");
    r.add("/users/me");
    r.add("/about/team");
    EXPECT_EQ(r.match("GET", "/users").route, 0u);
    EXPECT_EQ(r.match("GET", "/users/me").route, 1u);
    EXPECT_EQ(r.match("GET", "/about/team").route, 2u);
    EXPECT_EQ(r.match("GET", "/user").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/users/m").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/Users").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/about").kind, MatchKind::not_found);
}

TEST(Router, PlaceholdersCaptureViewsIntoThePath) {
    Router r;
    r.add("/users/{id}/posts/{post_id}");
    const std::string path = "/users/42/posts/hello-world";
    Match m = r.match("GET", path);
    ASSERT_EQ(m.kind, MatchKind::found);
    ASSERT_EQ(m.param_count, 2u);
    EXPECT_EQ(r.route(0).param_names, (std::vector<std::string>{"id", "post_id"}));
    EXPECT_EQ(m.params[0].name, 0u);
    EXPECT_EQ(m.params[0].value, "42");
    EXPECT_EQ(m.params[1].name, 1u);
    EXPECT_EQ(m.params[1].value, "hello-world");
    EXPECT_EQ(m.params[0].value.data(), path.data() + 7) << "a view into the path, not a copy";
    EXPECT_EQ(param(r, m, "post_id"), "hello-world");

    Match copy;
    copy = m;
    EXPECT_EQ(copy.param_count, 2u);
    EXPECT_EQ(copy.params[1].value, "hello-world");
    const Match constructed = copy;
    EXPECT_EQ(constructed.params[0].value, "42");
}

TEST(Router, PlaceholderNeedsANonEmptySegmentAndTheRightCount) {
    Router r;
    r.add("/users/{id}");
    EXPECT_EQ(r.match("GET", "/users/").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/users").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/users/1/").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/users/1/x").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/users//").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/usersx/1").kind, MatchKind::not_found);
    EXPECT_TRUE(finds(r, "GET", "/users/a.b%20c", 0, {"a.b%20c"}));
}

TEST(Router, PlaceholderAtTheRootAndInTheMiddle) {
    Router r;
    r.add("/{name}");
    r.add("/{a}/static/{b}");
    EXPECT_TRUE(finds(r, "GET", "/alice", 0, {"alice"}));
    EXPECT_EQ(r.match("GET", "/").kind, MatchKind::not_found);
    EXPECT_TRUE(finds(r, "GET", "/x/static/y", 1, {"x", "y"}));
    EXPECT_EQ(r.match("GET", "/x/dynamic/y").kind, MatchKind::not_found);
}

TEST(Router, TrailingSlashIsSignificant) {
    Router r;
    r.add("/a");
    r.add("/b/");
    r.add("/c/{x}/");
    EXPECT_EQ(r.match("GET", "/a").kind, MatchKind::found);
    EXPECT_EQ(r.match("GET", "/a/").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/b/").kind, MatchKind::found);
    EXPECT_EQ(r.match("GET", "/b").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/c/1/").kind, MatchKind::found);
    EXPECT_EQ(r.match("GET", "/c/1").kind, MatchKind::not_found);
}

TEST(Router, EmptySegmentsMatchOnlyEmptySegments) {
    Router r;
    r.add("/a//b");
    r.add("/{x}//{y}");
    EXPECT_EQ(r.match("GET", "/a//b").route, 0u);
    EXPECT_EQ(r.match("GET", "/a/b").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/a///b").kind, MatchKind::not_found);
    EXPECT_TRUE(finds(r, "GET", "/p//q", 1, {"p", "q"}));
    EXPECT_EQ(r.match("GET", "/p/z/q").kind, MatchKind::not_found);
}

TEST(Router, FirstAddedWinsPlaceholderBeforeExact) {
    Router r;
    r.add("/users/{id}");
    r.add("/users/me");
    EXPECT_TRUE(finds(r, "GET", "/users/me", 0, {"me"}));
}

TEST(Router, FirstAddedWinsExactBeforePlaceholder) {
    Router r;
    r.add("/users/me");
    r.add("/users/{id}");
    EXPECT_TRUE(finds(r, "GET", "/users/me", 0));
    EXPECT_EQ(r.match("GET", "/users/7").route, 1u);
}

TEST(Router, FirstAddedWinsAmongPlaceholdersAndSamePattern) {
    Router r;
    r.add("/{a}/x");
    r.add("/{b}/{c}");
    r.add("/same");
    r.add("/same");
    EXPECT_EQ(r.match("GET", "/1/x").route, 0u);
    EXPECT_EQ(r.match("GET", "/1/y").route, 1u);
    EXPECT_EQ(r.match("GET", "/same").route, 2u);
}

TEST(Router, MethodDecidesBetweenRoutesWithTheSamePattern) {
    Router r;
    r.add("/items", {"GET"});
    r.add("/items/{id}", {"PUT"});
    r.add("/items", {"POST"});
    r.add("/items/{id}", {"GET", "HEAD"});
    EXPECT_EQ(r.match("GET", "/items").route, 0u);
    EXPECT_EQ(r.match("POST", "/items").route, 2u);
    EXPECT_EQ(r.match("PUT", "/items/1").route, 1u);
    EXPECT_EQ(r.match("HEAD", "/items/1").route, 3u);
    EXPECT_TRUE(finds(r, "GET", "/items/9", 3, {"9"}));
}

TEST(Router, EarlierPlaceholderOfAnotherMethodDoesNotHideALaterExactRoute) {
    Router r;
    r.add("/{x}", {"POST"});
    r.add("/a", {"GET"});
    EXPECT_TRUE(finds(r, "GET", "/a", 1));
    EXPECT_EQ(r.match("POST", "/a").route, 0u);
    EXPECT_EQ(r.match("GET", "/b").kind, MatchKind::method_not_allowed);
}

TEST(Router, EarlierAnyMethodPlaceholderBeatsALaterExactRoute) {
    Router r;
    r.add("/a", {"POST"});
    r.add("/{x}");
    r.add("/a", {"GET"});
    EXPECT_TRUE(finds(r, "GET", "/a", 1, {"a"}));
    EXPECT_EQ(r.match("POST", "/a").route, 0u);
}

TEST(Router, MethodNotAllowedAndAllowHeader) {
    Router r;
    r.add("/items", {"GET", "HEAD"});
    r.add("/items/{id}", {"DELETE"});
    r.add("/items", {"POST", "GET"});
    r.add("/{any}", {"PATCH"});
    r.add("/other", {"PUT"});
    Match m = r.match("PUT", "/items");
    EXPECT_EQ(m.kind, MatchKind::method_not_allowed);
    EXPECT_EQ(m.param_count, 0u);
    EXPECT_EQ(r.allowed_methods("/items"), "GET, HEAD, POST, PATCH");
    EXPECT_EQ(r.match("GET", "/items/1").kind, MatchKind::method_not_allowed);
    EXPECT_EQ(r.allowed_methods("/items/1"), "DELETE");
    EXPECT_EQ(r.allowed_methods("/other"), "PATCH, PUT");
    EXPECT_EQ(r.allowed_methods("/nothing/here"), "");
    EXPECT_EQ(r.allowed_methods(""), "");
    EXPECT_EQ(r.match("GET", "/nothing/here").kind, MatchKind::not_found);
}

TEST(Router, MethodsAreCaseSensitive) {
    Router r;
    r.add("/", {"GET"});
    EXPECT_EQ(r.match("get", "/").kind, MatchKind::method_not_allowed);
}

TEST(Router, AnyMethodRoute) {
    Router r;
    r.add("/x", {"GET"});
    r.add("/x");
    for (std::string_view method : {"GET", "POST", "BREW", "M-SEARCH"}) {
        EXPECT_EQ(r.match(method, "/x").kind, MatchKind::found) << method;
    }
    EXPECT_EQ(r.match("GET", "/x").route, 0u);
    EXPECT_EQ(r.match("POST", "/x").route, 1u);
    EXPECT_EQ(r.allowed_methods("/x"), "") << "any method: a 405 never arises";
}

TEST(Router, EscapedBracesAreLiteral) {
    Router r;
    r.add("/{{literal}}");
    r.add("/a{{b");
    r.add("/c}}");
    r.add("/{{}}/{id}");
    EXPECT_EQ(r.route(0).segments[0].literal, "{literal}");
    EXPECT_EQ(r.match("GET", "/{literal}").route, 0u);
    EXPECT_EQ(r.match("GET", "/{{literal}}").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/a{b").route, 1u);
    EXPECT_EQ(r.match("GET", "/c}").route, 2u);
    EXPECT_TRUE(finds(r, "GET", "/{}/7", 3, {"7"}));
}

TEST(Router, AtMostMaxParams) {
    std::string pattern;
    for (std::size_t i = 0; i < max_params; ++i) pattern += "/{p" + std::to_string(i) + "}";
    Router r;
    ASSERT_NO_THROW(r.add(pattern));
    std::string path;
    for (std::size_t i = 0; i < max_params; ++i) path += "/v" + std::to_string(i);
    Match m = r.match("GET", path);
    ASSERT_EQ(m.kind, MatchKind::found);
    ASSERT_EQ(m.param_count, max_params);
    EXPECT_EQ(m.params[max_params - 1].value, "v15");

    const std::string too_many = pattern + "/{extra}";
    EXPECT_EQ(add_error(too_many),
              "invalid route pattern: too many placeholders in '" + too_many + "' (at most 16)");
}

TEST(Router, MethodsMustBeTokens) {
    const std::string tail =
        "' for route '/x': a method must be a non-empty token (RFC 9110 tchar)";
    const std::vector<std::string> refused = {"",      "GE T",     "G/T",       "G:T",
                                              "(GET)", "GET,POST", "G\xc3\x89T"};
    for (const std::string& bad : refused) {
        EXPECT_EQ(add_error("/x", {"GET", bad}), "invalid method '" + bad + tail) << bad;
    }
    // Control bytes are escaped in the message: a NUL would cut what() short,
    // a CR/LF would forge a line in a log.
    EXPECT_EQ(add_error("/x", {"GET\r"}), "invalid method 'GET\\r" + tail);
    EXPECT_EQ(add_error("/x", {"GET\n"}), "invalid method 'GET\\n" + tail);
    EXPECT_EQ(add_error("/x", {std::string("G\0T", 3)}), "invalid method 'G\\x00T" + tail);
    EXPECT_EQ(add_error("/x", {"G\x7fT"}), "invalid method 'G\\x7fT" + tail);
    Router r;
    EXPECT_NO_THROW(r.add("/x", {"GET", "M-SEARCH", "PURGE", "X_CUSTOM", "BREW!", "a~b"}));
}

TEST(Router, FailedAddLeavesTheRouterUnchanged) {
    Router r;
    r.add("/a", {"GET"});
    r.add("/{x}/b");
    EXPECT_THROW(r.add("/a", {"BAD METHOD"}), RouteError);
    EXPECT_THROW(r.add("/{y}/{y}"), RouteError);
    EXPECT_THROW(r.add("/c{"), RouteError);
    EXPECT_EQ(r.size(), 2u);
    EXPECT_EQ(r.match("POST", "/a").kind, MatchKind::method_not_allowed);
    EXPECT_EQ(r.allowed_methods("/a"), "GET");
    EXPECT_EQ(r.add("/c"), 2u);
    EXPECT_EQ(r.match("GET", "/c").route, 2u);
}

TEST(Router, RouteKeepsPatternMethodsAndSegments) {
    Router r;
    r.add("/users/u_{id}/", {"GET", "POST"});
    const auto& route = r.route(0);
    EXPECT_EQ(route.pattern, "/users/u_{id}/");
    EXPECT_EQ(route.methods, (std::vector<std::string>{"GET", "POST"}));
    ASSERT_EQ(route.segments.size(), 3u);
    EXPECT_EQ(route.segments[0].literal, "users");
    EXPECT_FALSE(route.segments[0].is_param);
    EXPECT_TRUE(route.segments[1].is_param);
    EXPECT_EQ(route.segments[1].literal, "u_") << "a placeholder's prefix";
    EXPECT_EQ(route.segments[2].literal, "");
    EXPECT_TRUE(route.allows("POST"));
    EXPECT_FALSE(route.allows("PUT"));
}

TEST(Router, ManyExactRoutesUseTheIndexWithTheSameSemantics) {
    Router r;
    r.add("/p/{x}", {"GET"});
    for (int i = 0; i < 200; ++i) r.add("/r" + std::to_string(i), {"GET"});
    r.add("/p/7", {"GET", "POST"});
    r.add("/r5", {"DELETE"});
    for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(finds(r, "GET", "/r" + std::to_string(i), static_cast<std::size_t>(i + 1)))
            << i;
    }
    EXPECT_EQ(r.match("GET", "/r200").kind, MatchKind::not_found);
    EXPECT_EQ(r.match("GET", "/p/7").route, 0u);
    EXPECT_EQ(r.match("POST", "/p/7").route, 201u);
    EXPECT_EQ(r.match("DELETE", "/r5").route, 202u);
    EXPECT_EQ(r.match("PUT", "/r5").kind, MatchKind::method_not_allowed);
    EXPECT_EQ(r.allowed_methods("/r5"), "GET, DELETE");
    EXPECT_EQ(r.allowed_methods("/p/7"), "GET, POST");
}

TEST(Router, LiteralPathsOfEveryLengthMatchOnlyThemselves) {
    // Paths are compared a word at a time with the last word overlapping:
    // a different byte at any position of any length is a different path,
    // both when the literal paths are scanned and when they are hashed.
    for (int extra : {0, 20}) {
        for (std::size_t len = 1; len <= 40; ++len) {
            std::string path = "/";
            for (std::size_t i = 1; i < len; ++i) path += static_cast<char>('a' + i % 26);
            Router r;
            for (int i = 0; i < extra; ++i) r.add("/other" + std::to_string(i));
            const std::size_t route = r.add(path);
            ASSERT_EQ(r.match("GET", path).route, route) << path;
            for (std::size_t pos = 0; pos < len; ++pos) {
                std::string other = path;
                other[pos] = '_';
                ASSERT_EQ(r.match("GET", other).kind, MatchKind::not_found) << other;
            }
            ASSERT_EQ(r.match("GET", path + "/").kind, MatchKind::not_found) << path;
            ASSERT_EQ(r.match("GET", path.substr(0, len - 1)).kind, MatchKind::not_found) << path;
        }
    }
}

TEST(Router, AnyMethodExactRouteAnsweredAtOnceOnlyWhenNothingComesBeforeIt) {
    // An exact route that takes any method and has no placeholder route
    // before it is the answer for its path; with one before it, that one is
    // still tried first, and later routes for the same path never win.
    Router r;
    r.add("/a");
    r.add("/{x}", {"GET"});
    r.add("/b");
    r.add("/a", {"GET"});
    EXPECT_EQ(r.match("GET", "/a").route, 0u);
    EXPECT_EQ(r.match("PUT", "/a").route, 0u);
    EXPECT_EQ(r.match("GET", "/b").route, 1u);
    EXPECT_EQ(r.match("PUT", "/b").route, 2u);
    EXPECT_EQ(r.match("GET", "/c").route, 1u);
    EXPECT_EQ(r.match("PUT", "/c").kind, MatchKind::method_not_allowed);
}

TEST(Router, MatchDoesNotAllocate) {
    Router small;
    small.add("/");
    Router big;
    big.add("/users/{id}", {"GET"});
    for (int i = 0; i < 100; ++i) big.add("/static/" + std::to_string(i), {"GET", "POST"});
    big.add("/users/{id}/posts/{post}", {"GET"});
    big.add("/v{major}/{}", {"GET"});
    big.add("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z");
    const std::string long_path(300, 'x');

    std::size_t found = 0;
    {
        AllocationCounter counter;
        for (int round = 0; round < 100; ++round) {
            found += small.match("GET", "/").kind == MatchKind::found;
            found += small.match("GET", "/nope").kind == MatchKind::found;
            found += big.match("GET", "/users/42").kind == MatchKind::found;
            found += big.match("GET", "/users/42/posts/9").kind == MatchKind::found;
            found += big.match("GET", "/v2/items").kind == MatchKind::found;
            found += big.match("POST", "/static/99").kind == MatchKind::found;
            found += big.match("PUT", "/static/99").kind == MatchKind::found;
            found += big.match("GET", "/zz").kind == MatchKind::found;
            found += big.match("GET", long_path).kind == MatchKind::found;
            found +=
                big.match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z").kind ==
                MatchKind::found;
        }
        EXPECT_EQ(counter.count(), 0u);
    }
    EXPECT_EQ(found, 600u);

    // The counter itself works: building the Allow value does allocate.
    AllocationCounter counter;
    std::string allow = big.allowed_methods("/static/1");
    EXPECT_EQ(allow, "GET, POST");
    EXPECT_GT(counter.count(), 0u);
}
