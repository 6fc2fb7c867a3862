// router_bench.cpp: matches request paths in a loop, for counting instructions per Router::match.
//
//   router_bench one|ten ITERATIONS
//
// `one` is a hello-world app: the route "/" and the request "GET /". `ten` is
// a small API of ten routes, two with placeholders, matched against a mix of
// its paths (literal, parametric, an unknown one). Each iteration matches
// `batch` requests; run.sh runs this under callgrind for two iteration counts
// and divides the difference by the extra matches, so start-up cancels out.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "router/router.hpp"

namespace {

constexpr int batch = 24;

struct Request {
    std::string_view method;
    std::string_view path;
};

constexpr Request one_requests[] = {{"GET", "/"}};

// Each path of the app once, a placeholder route twice, and a 404.
constexpr Request ten_requests[] = {
    {"GET", "/"},         {"GET", "/json"},           {"GET", "/plaintext"},
    {"GET", "/users/42"}, {"POST", "/users"},         {"GET", "/users/42/posts/7"},
    {"GET", "/health"},   {"GET", "/static/app.css"}, {"GET", "/api/v1/items"},
    {"GET", "/db"},       {"GET", "/queries"},        {"GET", "/missing"},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s one|ten ITERATIONS\n", argv[0]);
        return 2;
    }
    const std::string_view which = argv[1];
    lesto::router::Router router;
    const Request* requests;
    std::size_t count;
    if (which == "one") {
        router.add("/");
        requests = one_requests;
        count = std::size(one_requests);
    } else if (which == "ten") {
        router.add("/");
        router.add("/json", {"GET"});
        router.add("/plaintext", {"GET"});
        router.add("/users", {"GET", "POST"});
        router.add("/users/{id}", {"GET"});
        router.add("/users/{id}/posts/{post}", {"GET"});
        router.add("/health");
        router.add("/api/v1/items", {"GET"});
        router.add("/db", {"GET"});
        router.add("/queries", {"GET"});
        requests = ten_requests;
        count = std::size(ten_requests);
    } else {
        std::fprintf(stderr, "unknown app %s\n", argv[1]);
        return 2;
    }
    const long iterations = std::strtol(argv[2], nullptr, 10);

    std::size_t total = 0;
    for (long it = 0; it < iterations; ++it) {
        for (int i = 0; i < batch; ++i) {
            const Request& r = requests[static_cast<std::size_t>(i) % count];
            const lesto::router::Match m = router.match(r.method, r.path);
            total += m.route + m.param_count + static_cast<std::size_t>(m.kind);
        }
    }
    // Printed so the loop cannot be optimised away.
    std::printf("%zu\n", total);
    return 0;
}
