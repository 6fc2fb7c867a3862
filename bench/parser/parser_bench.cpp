// parser_bench.cpp: parses pipelined request heads in a loop, for counting instructions per parse.
//
//   parser_bench wrk|browser ITERATIONS
//
// Each iteration parses `batch` copies of one request laid back to back in one
// buffer, as a pipelining client sends them. run.sh runs this under callgrind
// for two iteration counts and divides the difference by the extra requests,
// so start-up and buffer building cancel out.
#include "parser/parser.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr int batch = 24;

// What wrk sends for `wrk http://127.0.0.1:8080/`.
constexpr std::string_view wrk_request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

// A browser fetching a stylesheet: ten fields, 430 bytes.
constexpr std::string_view browser_request =
    "GET /static/css/site.css?v=3 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/css,*/*;q=0.1\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Referer: https://www.example.com/articles/2024/parsing-http\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; lang=en\r\n"
    "Sec-Fetch-Dest: style\r\n"
    "\r\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s wrk|browser ITERATIONS\n", argv[0]);
        return 2;
    }
    const std::string_view which = argv[1];
    std::string_view one;
    if (which == "wrk") one = wrk_request;
    else if (which == "browser") one = browser_request;
    else {
        std::fprintf(stderr, "unknown request %s\n", argv[1]);
        return 2;
    }
    const long iterations = std::strtol(argv[2], nullptr, 10);

    std::string wire;
    for (int i = 0; i < batch; ++i) wire += one;
    const lesto::http::Limits limits;
    lesto::http::RequestParser parser(limits);
    lesto::http::RequestHead head;
    head.headers.reserve(limits.max_header_count);

    std::size_t total = 0;
    for (long it = 0; it < iterations; ++it) {
        std::string_view rest = wire;
        while (!rest.empty()) {
            parser.reset();
            const lesto::http::ParseResult r = parser.parse(rest, head);
            if (r.status != lesto::http::ParseStatus::complete) {
                std::fprintf(stderr, "not parsed: %.*s\n", static_cast<int>(r.error.reason.size()),
                             r.error.reason.data());
                return 1;
            }
            total += head.headers.size();
            rest.remove_prefix(r.consumed);
        }
    }
    // Printed so the loop cannot be optimised away.
    std::printf("%zu fields\n", total);
    return 0;
}
