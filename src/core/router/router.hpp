// router.hpp: matches a method and path to a route; compiled once, no allocation per match.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lesto::router {

/// A pattern or method set that cannot be compiled; `what()` says what to fix.
class RouteError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

inline constexpr std::size_t max_params = 16;

/// One `{name}` capture: the index of the name in the route's `param_names`
/// and the matched segment, a view into the matched path.
struct Param {
    std::uint16_t name = 0;
    std::string_view value;
};

struct Route {
    std::string pattern;
    std::vector<std::string> methods;      ///< upper-case; empty means any method
    std::vector<std::string> param_names;  ///< in pattern order
    // compiled form: private to router.cpp's matcher
    struct Segment {
        std::string literal;   ///< literal text (braces already unescaped) when !is_param
        bool is_param = false;
    };
    std::vector<Segment> segments;
    bool allows(std::string_view method) const noexcept;
};

enum class MatchKind : std::uint8_t { found, not_found, method_not_allowed };

struct Match {
    MatchKind kind = MatchKind::not_found;
    std::size_t route = 0;  ///< index in add() order, when found
    std::size_t param_count = 0;
    std::array<Param, max_params> params{};
};

/// Routes are tried in the order they were added; the first whose pattern and
/// method set both match wins. A path that some route matches but with another
/// method gives method_not_allowed (405), never not_found.
///
/// Pattern syntax: segments separated by '/'; a segment `{name}` captures one
/// non-empty segment; `{{` and `}}` are literal braces. Literal text and
/// placeholders cannot share a segment.
class Router {
public:
    /// Compile and append a route; returns its index. Throws RouteError for an
    /// unbalanced brace, an empty or duplicate name, a method that is not a
    /// token, more than max_params placeholders, or a pattern not starting with '/'.
    std::size_t add(std::string_view pattern, std::vector<std::string> methods = {});

    Match match(std::string_view method, std::string_view path) const noexcept;
    /// Comma-separated methods allowed for `path` (for the 405 Allow header).
    std::string allowed_methods(std::string_view path) const;

    const Route& route(std::size_t i) const noexcept { return routes_[i]; }
    std::size_t size() const noexcept { return routes_.size(); }

private:
    std::vector<Route> routes_;
    // index structures (e.g. exact-path hash for routes without placeholders)
};

}  // namespace lesto::router
