// writer_bench.cpp: renders responses in a loop, for counting instructions per write_response.
//
//   writer_bench hello|native|json|headers ITERATIONS
//
// Each iteration appends `batch` copies of one response to one output buffer,
// as a pipelined batch is answered, then clears it. run.sh runs this under
// callgrind for two iteration counts and divides the difference by the extra
// responses, so start-up and the buffer's first growth cancel out.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "response/writer.hpp"

namespace {

constexpr int batch = 24;

// A date as DateCache::value() gives it: 29 bytes.
constexpr std::string_view date = "Thu, 26 Nov 2026 04:36:15 GMT";

constexpr lesto::http::Header user_headers[] = {
    {"X-Request-Id", "7f3c2a9e-51b4-4d2e-9a0b-3c6e8f1d2b47"},
    {"Cache-Control", "no-store"},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s hello|native|json|headers ITERATIONS\n", argv[0]);
        return 2;
    }
    const std::string_view which = argv[1];
    lesto::http::ResponseSpec spec;
    if (which == "hello") {
        // request.Response(text='Hello world!')
        spec.content_type = "text/plain";
        spec.charset = "utf-8";
        spec.content_type_known = true;
        spec.body = "Hello world!";
    } else if (which == "native") {
        // The same response as the binding describes it: the default type is
        // one constant with the charset already in it.
        spec.content_type = "text/plain; charset=utf-8";
        spec.content_type_known = true;
        spec.body = "Hello world!";
    } else if (which == "json") {
        // request.Response(json={'message': 'Hello, World!'})
        spec.content_type = "application/json";
        spec.charset = "utf-8";
        spec.content_type_known = true;
        spec.body = R"({"message":"Hello, World!"})";
    } else if (which == "headers") {
        // A created resource with two headers of the application's: the
        // status line, every header and the content type are validated.
        spec.status = 201;
        spec.content_type = "application/json";
        spec.charset = "utf-8";
        spec.headers = user_headers;
        spec.body = R"({"id":42})";
    } else {
        std::fprintf(stderr, "unknown response %s\n", argv[1]);
        return 2;
    }
    const long iterations = std::strtol(argv[2], nullptr, 10);

    lesto::Buffer out;
    std::size_t total = 0;
    for (long it = 0; it < iterations; ++it) {
        for (int i = 0; i < batch; ++i) {
            if (lesto::http::write_response(out, spec, date) != lesto::http::WriteStatus::ok) {
                std::fprintf(stderr, "refused\n");
                return 1;
            }
        }
        total += out.size();
        out.clear();
    }
    // Printed so the loop cannot be optimised away.
    std::printf("%zu bytes\n", total);
    return 0;
}
