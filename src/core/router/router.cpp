// router.cpp: compiles route patterns and matches requests against them.
#include "router/router.hpp"

#include "http/fields.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

namespace lesto::router {
namespace {

using http::quoted;

constexpr std::size_t no_route = std::numeric_limits<std::size_t>::max();

// Below this many distinct literal paths a scan with a length check first
// beats hashing the path; a hello-world app has exactly one.
constexpr std::size_t linear_scan_limit = 8;

[[noreturn]] void fail_at(std::string_view what, std::size_t pos, std::string_view pattern) {
    throw RouteError("invalid route pattern: " + std::string(what) + " at position " +
                     std::to_string(pos) + " in " + quoted(pattern));
}

struct Compiled {
    std::vector<Route::Segment> segments;
    std::vector<std::string> names;
};

/// Records the name of a placeholder, refusing a repeated one: two captures
/// under one match_dict key would hide each other.
void add_name(Compiled& out, std::string_view name, std::string_view pattern) {
    for (const std::string& seen : out.names) {
        if (seen != name) continue;
        if (name.empty()) {
            throw RouteError("invalid route pattern: more than one anonymous placeholder '{}' in " +
                             quoted(pattern) +
                             "; each would be match_dict[''], so name all but one");
        }
        throw RouteError("invalid route pattern: duplicate placeholder name " + quoted(name) +
                         " in " + quoted(pattern));
    }
    if (out.names.size() == max_params) {
        throw RouteError("invalid route pattern: too many placeholders in " + quoted(pattern) +
                         " (at most " + std::to_string(max_params) + ")");
    }
    out.names.emplace_back(name);
}

/// Splits `pattern` into segments, unescaping `{{`/`}}` and checking every
/// rule in one left-to-right pass so errors can name the offending position.
Compiled compile(std::string_view pattern) {
    if (pattern.empty() || pattern[0] != '/') {
        throw RouteError("invalid route pattern: it must start with '/', got " + quoted(pattern));
    }
    Compiled out;
    const std::size_t n = pattern.size();
    std::size_t i = 1;
    for (;;) {
        Route::Segment seg;
        while (i < n && pattern[i] != '/') {
            const char c = pattern[i];
            if ((c == '{' || c == '}') && i + 1 < n && pattern[i + 1] == c) {
                seg.literal += c;
                i += 2;
                continue;
            }
            // A lone '}' is refused, not taken literally as japronto did: it
            // is far more often a '{' forgotten than a brace meant.
            if (c == '}') fail_at("unbalanced brace", i, pattern);
            if (c != '{') {
                seg.literal += c;
                ++i;
                continue;
            }
            // The name runs to the next '}'; a '{' or '/' before it means
            // that '}' is missing.
            std::size_t close = i + 1;
            while (close < n && pattern[close] != '}' && pattern[close] != '{' &&
                   pattern[close] != '/') {
                ++close;
            }
            if (close == n || pattern[close] != '}') fail_at("unbalanced brace", i, pattern);
            const std::size_t after = close + 1;
            if (after < n && pattern[after] != '/') {
                const std::size_t end = std::min(pattern.find('/', after), n);
                throw RouteError("invalid route pattern: placeholder " +
                                 quoted(pattern.substr(i, after - i)) + " at position " +
                                 std::to_string(i) + " in " + quoted(pattern) + " is followed by " +
                                 quoted(pattern.substr(after, end - after)) +
                                 "; a placeholder must end its segment ('/' or the end of the "
                                 "pattern after its '}')");
            }
            add_name(out, pattern.substr(i + 1, close - i - 1), pattern);
            seg.is_param = true;
            i = after;
        }
        out.segments.push_back(std::move(seg));
        if (i == n) break;
        ++i;  // the '/' that ends this segment
    }
    return out;
}

template <class T> T load(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

/// Equality tuned for paths and methods, which are short: two overlapping
/// loads of the widest word that fits, a word loop past 8 bytes, no call
/// into memcmp. The smallest sizes are tested first since "/" is the one
/// path every app has.
inline bool same(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const char* x = a.data();
    const char* y = b.data();
    if (n < 2) return n == 0 || x[0] == y[0];
    if (n < 4) {
        return load<std::uint16_t>(x) == load<std::uint16_t>(y) &&
               load<std::uint16_t>(x + n - 2) == load<std::uint16_t>(y + n - 2);
    }
    if (n <= 8) {
        return load<std::uint32_t>(x) == load<std::uint32_t>(y) &&
               load<std::uint32_t>(x + n - 4) == load<std::uint32_t>(y + n - 4);
    }
    for (std::size_t i = 0; i + 8 < n; i += 8) {
        if (load<std::uint64_t>(x + i) != load<std::uint64_t>(y + i)) return false;
    }
    return load<std::uint64_t>(x + n - 8) == load<std::uint64_t>(y + n - 8);
}

inline bool method_allowed(const Route& r, std::string_view method) noexcept {
    if (r.methods.empty()) return true;
    for (const std::string& m : r.methods) {
        if (same(m, method)) return true;
    }
    return false;
}

/// Matches `path` from byte `pos`, where segment `first` starts, to the end.
/// Captures go into `m`; `param_count` is set only on success.
bool walk(const Route& r, std::string_view path, std::size_t pos, std::size_t first,
          Match& m) noexcept {
    std::size_t captured = 0;
    const std::size_t last = r.segments.size() - 1;
    for (std::size_t s = first;; ++s) {
        std::size_t end = path.find('/', pos);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view text = path.substr(pos, end - pos);
        const Route::Segment& seg = r.segments[s];
        if (seg.is_param) {
            // The text before the placeholder, then at least one byte.
            const std::size_t skip = seg.literal.size();
            if (text.size() <= skip || !same(text.substr(0, skip), seg.literal)) return false;
            std::construct_at(m.params + captured,
                              Param{static_cast<std::uint16_t>(captured), text.substr(skip)});
            ++captured;
        } else if (!same(text, seg.literal)) {
            return false;
        }
        if (s == last) {
            if (end != path.size()) return false;
            m.param_count = captured;
            return true;
        }
        if (end == path.size()) return false;
        pos = end + 1;
    }
}

}  // namespace

bool Route::allows(std::string_view method) const noexcept { return method_allowed(*this, method); }

std::size_t Router::PathHash::operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
}

std::size_t Router::add(std::string_view pattern, std::vector<std::string> methods) {
    Compiled compiled = compile(pattern);
    for (const std::string& m : methods) {
        if (!http::is_token(m)) {
            throw RouteError("invalid method " + quoted(m) + " for route " + quoted(pattern) +
                             ": a method must be a non-empty token (RFC 9110 tchar)");
        }
    }

    Route route;
    route.pattern = std::string(pattern);
    route.methods = std::move(methods);
    route.param_names = std::move(compiled.names);
    route.segments = std::move(compiled.segments);

    // Index room is reserved before the route is stored and the one insert
    // that can still fail is undone, so a failed add() leaves the router as
    // it was (the Python side may catch the error and keep serving).
    const std::size_t index = routes_.size();
    std::string literal_path;
    std::size_t first_param = route.segments.size();
    for (std::size_t s = 0; s < route.segments.size(); ++s) {
        if (route.segments[s].is_param) {
            first_param = s;
            break;
        }
    }
    for (std::size_t s = 0; s < first_param; ++s) {
        literal_path += '/';
        literal_path += route.segments[s].literal;
    }
    if (first_param < route.segments.size()) {
        literal_path += '/';
        placeholder_routes_.reserve(placeholder_routes_.size() + 1);
        routes_.push_back(std::move(route));
        placeholder_routes_.push_back({index, std::move(literal_path), first_param});
        return index;
    }

    auto found = exact_index_.find(literal_path);
    if (found != exact_index_.end()) {
        ExactGroup& group = exact_[found->second];
        group.routes.reserve(group.routes.size() + 1);
        const bool any = route.methods.empty();
        routes_.push_back(std::move(route));
        group.routes.push_back(index);
        if (any && group.first_any == no_route) group.first_any = index;
        return index;
    }
    exact_.reserve(exact_.size() + 1);
    const std::size_t any = route.methods.empty() ? index : no_route;
    // Placeholder routes are only ever appended: none before this one now
    // means none before it ever.
    ExactGroup group{literal_path, {index}, any, placeholder_routes_.empty() ? any : no_route};
    exact_index_.emplace(std::move(literal_path), exact_.size());
    try {
        routes_.push_back(std::move(route));
    } catch (...) {
        exact_index_.erase(group.path);
        throw;
    }
    exact_.push_back(std::move(group));
    return index;
}

Match Router::match(std::string_view method, std::string_view path) const noexcept {
    // Few literal paths (a hello-world app has one) are scanned right here,
    // and a path with a sure route is answered without looking at the
    // method or at placeholder routes; everything else is match_group's.
    if (exact_.size() > linear_scan_limit) return match_hashed(method, path);
    for (const ExactGroup& g : exact_) {
        if (!same(g.path, path)) continue;
        if (g.sure_route == no_route) return match_group(method, path, &g);
        Match m;
        m.kind = MatchKind::found;
        m.route = g.sure_route;
        return m;
    }
    return match_group(method, path, nullptr);
}

Match Router::match_hashed(std::string_view method, std::string_view path) const noexcept {
    auto it = exact_index_.find(path);
    return match_group(method, path, it == exact_index_.end() ? nullptr : &exact_[it->second]);
}

Match Router::match_group(std::string_view method, std::string_view path,
                          const ExactGroup* group) const noexcept {
    Match m;
    std::size_t best = no_route;
    bool path_known = false;
    if (group) {
        path_known = true;
        best = group->first_any;
        for (std::size_t r : group->routes) {
            if (r >= best) break;
            if (method_allowed(routes_[r], method)) {
                best = r;
                break;
            }
        }
    }
    // Only placeholder routes added before the best literal match can beat it.
    for (const PlaceholderRoute& p : placeholder_routes_) {
        if (p.route >= best) break;
        const Route& r = routes_[p.route];
        const bool allowed = method_allowed(r, method);
        // A route of another method only matters for 405, already settled.
        if (!allowed && path_known) continue;
        const std::size_t skip = p.prefix.size();
        if (path.size() < skip || !same(path.substr(0, skip), p.prefix) ||
            !walk(r, path, skip, p.first_segment, m)) {
            continue;
        }
        if (allowed) {
            m.kind = MatchKind::found;
            m.route = p.route;
            return m;
        }
        path_known = true;
        m.param_count = 0;
    }
    if (best != no_route) {
        m.kind = MatchKind::found;
        m.route = best;
    } else if (path_known) {
        m.kind = MatchKind::method_not_allowed;
    }
    return m;
}

std::string Router::allowed_methods(std::string_view path) const {
    std::string out;
    if (path.empty() || path[0] != '/') return out;
    std::vector<std::string_view> seen;
    Match scratch;
    for (const Route& r : routes_) {
        if (!walk(r, path, 1, 0, scratch)) continue;
        if (r.methods.empty()) return {};
        for (const std::string& m : r.methods) {
            bool dup = false;
            for (std::string_view s : seen) dup = dup || s == m;
            if (dup) continue;
            seen.push_back(m);
            if (!out.empty()) out += ", ";
            out += m;
        }
    }
    return out;
}

}  // namespace lesto::router
