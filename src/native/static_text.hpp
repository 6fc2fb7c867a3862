// static_text.hpp: NUL-terminated text built at compile time from tables (messages, __doc__).
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace lesto::py::detail {

/// A NUL-terminated string built at compile time.
template <std::size_t N> struct StaticText {
    std::array<char, N> chars{};
    constexpr const char* c_str() const noexcept { return chars.data(); }
};

template <class Build> consteval std::size_t static_text_size(Build build) {
    std::size_t n = 1;  // the NUL
    build([&](std::string_view s) { n += s.size(); });
    return n;
}

template <std::size_t N, class Build> consteval StaticText<N> static_text(Build build) {
    StaticText<N> out;
    std::size_t at = 0;
    build([&](std::string_view s) {
        for (const char c : s) out.chars[at++] = c;
    });
    return out;
}

/// The text that `Build`, a lambda taking `out`, writes with `out(text)`:
/// it runs twice, once to count, once to write.
template <auto Build>
inline constexpr auto static_text_of = static_text<static_text_size(Build)>(Build);

}  // namespace lesto::py::detail
