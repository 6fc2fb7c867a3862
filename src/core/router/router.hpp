// router.hpp: matches a method and path to a route; compiled once, no allocation per match.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lesto::router {

/// A pattern or method set that cannot be compiled; `what()` says what to fix.
class RouteError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

inline constexpr std::size_t max_params = 16;

/// One `{name}` capture: the index of the name in the route's `param_names`
/// and the captured text (the segment after the placeholder's prefix), a
/// view into the matched path.
struct Param {
    std::uint16_t name = 0;
    std::string_view value;
};

struct Route {
    std::string pattern;
    std::vector<std::string> methods;      ///< upper-case; empty means any method
    std::vector<std::string> param_names;  ///< in pattern order; "" for `{}`
    // compiled form: private to router.cpp's matcher
    struct Segment {
        /// The segment's literal text, braces unescaped; for a placeholder,
        /// the text before it ("user_" in `user_{id}`), often empty.
        std::string literal;
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
    /// Only the first `param_count` entries exist; the rest are raw storage.
    // Not zeroed: clearing 16 params costs several times a whole literal-route
    // match (it compiles to `rep stos`). In a union, copying a Match copies
    // bytes, which is defined whatever was written.
    union {
        Param params[max_params];
    };
    Match() noexcept {}
};

/// Routes are tried in the order they were added; the first whose pattern and
/// method set both match wins. A path that some route matches but with another
/// method gives method_not_allowed (405), never not_found.
///
/// Pattern syntax (japronto's): segments separated by '/'. A placeholder
/// `{name}` ends its segment, after optional literal text (`/user_{id}`), and
/// captures the rest of that segment of the path, at least one byte. The
/// name is any text without braces or '/'; `{}` is a placeholder named "".
/// `{{` and `}}` are literal braces.
class Router {
public:
    /// Compile and append a route; returns its index. Throws RouteError for an
    /// unbalanced brace, text after a placeholder in its segment, a repeated
    /// name, a method that is not a token, more than max_params placeholders,
    /// or a pattern not starting with '/'.
    std::size_t add(std::string_view pattern, std::vector<std::string> methods = {});

    Match match(std::string_view method, std::string_view path) const noexcept;
    /// Comma-separated methods allowed for `path` (for the 405 Allow header):
    /// "GET, POST", in the order routes were added, without repeats. Empty
    /// when no route matches `path` or one that does allows any method.
    std::string allowed_methods(std::string_view path) const;

    const Route& route(std::size_t i) const noexcept { return routes_[i]; }
    std::size_t size() const noexcept { return routes_.size(); }

private:
    /// Routes without placeholders that share one literal path, in add() order.
    struct ExactGroup {
        std::string path;
        std::vector<std::size_t> routes;
        /// The first of `routes` that allows any method, or SIZE_MAX: lets the
        /// common single any-method route skip the method comparison.
        std::size_t first_any = static_cast<std::size_t>(-1);
        /// The first of `routes` when it allows any method and no placeholder
        /// route was added before it: the match for this path whatever the
        /// method, with nothing else to try. SIZE_MAX otherwise.
        std::size_t sure_route = static_cast<std::size_t>(-1);
    };
    /// A route with placeholders; `prefix` is its literal text up to the first
    /// placeholder segment (e.g. "/users/"), a cheap first test before the
    /// segment walk starts at `first_segment`.
    struct PlaceholderRoute {
        std::size_t route = 0;
        std::string prefix;
        std::size_t first_segment = 0;
    };
    struct PathHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept;
    };

    Match match_hashed(std::string_view method, std::string_view path) const noexcept;
    /// The match once the literal routes of `path` are known (`group`, null
    /// when there are none): their method check and the placeholder routes.
    Match match_group(std::string_view method, std::string_view path,
                      const ExactGroup* group) const noexcept;

    std::vector<Route> routes_;
    std::vector<ExactGroup> exact_;
    std::unordered_map<std::string, std::size_t, PathHash, std::equal_to<>> exact_index_;
    std::vector<PlaceholderRoute> placeholder_routes_;
};

}  // namespace lesto::router
