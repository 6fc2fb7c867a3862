// fuzz_util.hpp: what the fuzz targets share beyond tests/support: control bytes and limits from
// the input, failure reports.
#pragma once

#include "parser/limits.hpp"
#include "support/bytes.hpp"
#include "support/check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace lesto::fuzz {

/// Bytes of the input read as choices. Past its end every choice is 0, so a
/// short input is still a valid one (and libFuzzer's empty input too).
class Choices {
public:
    Choices() = default;
    explicit Choices(std::string_view bytes) noexcept : bytes_(bytes) {}

    std::uint8_t byte() noexcept {
        return at_ < bytes_.size() ? static_cast<std::uint8_t>(bytes_[at_++]) : 0;
    }
    /// Cycles over the bytes instead of running dry: for scripts that must
    /// keep deciding however long the run goes on.
    std::uint8_t cycle() noexcept {
        if (bytes_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(bytes_[at_ % bytes_.size()]);
        ++at_;
        return b;
    }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;
};

/// Input layout shared by the HTTP targets: `control_size` control bytes,
/// then the bytes under test. A shorter input is all control (zeros past its end).
struct Split {
    std::string_view control;
    std::string_view payload;
};

inline Split split_input(const std::uint8_t* data, std::size_t size,
                         std::size_t control_size) noexcept {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    if (size <= control_size) return {all, {}};
    return {all.substr(0, control_size), all.substr(control_size)};
}

/// Limits from six knob bytes: a knob of 0 keeps the default bound, any
/// other value gives a small one, so that limits fall inside short inputs.
inline http::Limits limits_from(Choices& c) noexcept {
    http::Limits l;
    if (const std::uint8_t k = c.byte()) l.max_request_line = k;
    if (const std::uint8_t k = c.byte()) l.max_header_bytes = std::size_t{k} * 4;
    if (const std::uint8_t k = c.byte()) l.max_header_count = k % 16;
    if (const std::uint8_t k = c.byte()) l.max_body_bytes = k - 1u;
    if (const std::uint8_t k = c.byte()) l.max_chunk_line = k % 64 + 1;
    if (const std::uint8_t k = c.byte()) l.max_trailer_bytes = k - 1u;
    return l;
}

/// Requests parsed back to back at most when a target pipelines: enough
/// for every boundary between two of them, few enough to stay fast.
constexpr std::size_t max_pipelined = 8;

inline std::string describe(const http::Limits& l) {
    return "max_request_line=" + std::to_string(l.max_request_line) +
           " max_header_bytes=" + std::to_string(l.max_header_bytes) +
           " max_header_count=" + std::to_string(l.max_header_count) +
           " max_body_bytes=" + std::to_string(l.max_body_bytes) +
           " max_chunk_line=" + std::to_string(l.max_chunk_line) +
           " max_trailer_bytes=" + std::to_string(l.max_trailer_bytes) +
           " max_in_flight=" + std::to_string(l.max_in_flight) +
           " max_output_buffer=" + std::to_string(l.max_output_buffer);
}

/// Context printed with a broken invariant: the wire, the limits, the split.
/// One per target run; set before checking.
struct Context {
    std::string_view wire;
    std::string limits;
    std::string split;
};

inline Context& context() noexcept {
    static Context c; // read only when a check fails; reset by every run
    return c;
}

/// The Broken of every target (support/check.hpp).
[[noreturn]] inline void broken(const char* file, int line, const char* what,
                                const std::string& detail) {
    const Context& c = context();
    std::fprintf(stderr, "\n==== invariant broken at %s:%d: %s\n", file, line, what);
    if (!detail.empty()) std::fprintf(stderr, "detail: %s\n", detail.c_str());
    std::fprintf(stderr, "limits: %s\nsplit or script: %s\nwire (%zu bytes): \"%s\"\n",
                 c.limits.c_str(), c.split.c_str(), c.wire.size(), test::escape(c.wire).c_str());
    std::abort();
}

} // namespace lesto::fuzz

/// A fuzz invariant: on failure print the context and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond, detail) LESTO_CHECK(::lesto::fuzz::broken, cond, detail)
