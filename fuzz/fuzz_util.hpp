// fuzz_util.hpp: what the fuzz targets share beyond tests/support: control bytes and limits from
// the input, failure reports.
#pragma once

#include "pipeline/limits.hpp"
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
    /// A length byte, then that many bytes (fewer where the input ends).
    std::string_view string() noexcept {
        const std::size_t n = byte();
        const std::string_view s = at_ < bytes_.size() ? bytes_.substr(at_, n) : std::string_view();
        at_ += s.size();
        return s;
    }
    /// Whether every byte has been read.
    bool empty() const noexcept { return at_ >= bytes_.size(); }
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

/// Control bytes [0..6] of the HTTP targets: [0] option bits, of which bit 0
/// takes small limits from the six knobs [1..6] (limits_from); the other
/// bits are the target's.
struct Controls {
    std::uint8_t options = 0;
    http::Limits limits;
};

inline Controls read_controls(Choices& c) noexcept {
    Controls k;
    k.options = c.byte();
    const http::Limits small = limits_from(c);
    if (k.options & 1) k.limits = small;
    return k;
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
           " max_trailer_bytes=" + std::to_string(l.max_trailer_bytes);
}

inline std::string describe(const ConnectionLimits& l) {
    return describe(static_cast<const http::Limits&>(l)) +
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
    static Context c;  // read only when a check fails; reset by every run
    return c;
}

/// The input of the targets fed a wire in splits: the controls, [7] the
/// seed of the random splits, then the wire. The context gets the wire and
/// the limits.
struct WireInput {
    std::uint8_t options = 0;
    http::Limits limits;
    std::uint8_t seed = 0;
    std::string_view wire;
};

inline WireInput read_wire_input(const std::uint8_t* data, std::size_t size) {
    const Split in = split_input(data, size, 8);
    Choices c(in.control);
    const Controls k = read_controls(c);
    const WireInput w{k.options, k.limits, c.byte(), in.payload};
    context().wire = w.wire;
    context().limits = describe(w.limits);
    return w;
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

}  // namespace lesto::fuzz

/// A fuzz invariant: on failure print the context and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond, detail) LESTO_CHECK(::lesto::fuzz::broken, cond, detail)
