// fuzz_util.hpp: what the fuzz targets share: control bytes, limits and splits from the input,
// failure reports.
#pragma once

#include "pipeline/limits.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

/// A small deterministic generator (splitmix64), for split positions derived
/// from a seed byte: the same input always replays the same splits.
class Rng {
public:
    explicit Rng(std::uint64_t seed) noexcept : s_(seed * 0x9e3779b97f4a7c15ull + 1) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform enough in [0, n) for choosing split sizes; n > 0.
    std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t s_;
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

/// Buffer ends for a split of `n` bytes: ascending, last == n, never empty
/// for n > 0. Mostly small pieces, some large, so cuts land everywhere.
inline std::vector<std::size_t> random_ends(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::size_t> ends;
    const std::size_t large = n / 8 + 2;
    for (std::size_t at = 0; at < n;) {
        const std::size_t piece = rng.below(4) == 0 ? 1 + rng.below(large) : 1 + rng.below(8);
        at = piece >= n - at ? n : at + piece;
        ends.push_back(at);
    }
    return ends;
}

inline std::vector<std::size_t> bytewise_ends(std::size_t n) {
    std::vector<std::size_t> ends(n);
    for (std::size_t i = 0; i < n; ++i)
        ends[i] = i + 1;
    return ends;
}

/// A heap copy of exactly `n` bytes: reading one byte past it trips
/// AddressSanitizer, and every copy has a new address (stale views show).
inline std::unique_ptr<char[]> exact_copy(std::string_view bytes, std::size_t n) {
    auto p = std::make_unique<char[]>(n == 0 ? 1 : n);
    if (n) std::memcpy(p.get(), bytes.data(), n);
    return p;
}

/// Bytes as a case-file literal body (the escapes of tests/cases/README.md).
inline std::string escape(std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (const char ch : bytes) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '\r')
            out += "\\r";
        else if (ch == '\n')
            out += "\\n";
        else if (ch == '\t')
            out += "\\t";
        else if (ch == '\\')
            out += "\\\\";
        else if (ch == '"')
            out += "\\\"";
        else if (u < 0x20 || u >= 0x7f)
            (out += "\\x") += {hex[u >> 4], hex[u & 15]};
        else
            out += ch;
    }
    return out;
}

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

inline std::string describe_ends(const std::vector<std::size_t>& ends) {
    if (ends.size() > 64) return std::to_string(ends.size()) + " pieces";
    std::string s;
    for (const std::size_t e : ends)
        s += (s.empty() ? "" : ",") + std::to_string(e);
    return s;
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

[[noreturn]] inline void broken(const char* file, int line, const char* what,
                                const std::string& detail) {
    const Context& c = context();
    std::fprintf(stderr, "\n==== invariant broken at %s:%d: %s\n", file, line, what);
    if (!detail.empty()) std::fprintf(stderr, "detail: %s\n", detail.c_str());
    std::fprintf(stderr, "limits: %s\nsplit or script: %s\nwire (%zu bytes): \"%s\"\n",
                 c.limits.c_str(), c.split.c_str(), c.wire.size(), escape(c.wire).c_str());
    std::abort();
}

} // namespace lesto::fuzz

/// A fuzz invariant: on failure print the context and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond, detail)                                                                   \
    do {                                                                                           \
        if (!(cond)) ::lesto::fuzz::broken(__FILE__, __LINE__, #cond, (detail));                   \
    } while (0)
