// router_fuzz.cpp: Router::add on arbitrary patterns and match() on arbitrary paths, against a
// naive reference.
//
// Input: [0] route count (1..24), then per route a length byte, that many
// pattern bytes and a method byte (bit i adds methods[i]; 0 is any method);
// the rest is paths separated by '\n', path i asked with test_methods[i % 6].
//
// add() must compile the pattern or throw RouteError, as a reference reading
// of the pattern syntax says; a refused add() leaves the router unchanged.
// match() and allowed_methods() must give what trying every route in order
// gives; captured params are non-empty views into the path.
#include "fuzz_util.hpp"
#include "router/router.hpp"
#include "support/bytes.hpp"
#include "support/grammar.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::fuzz::Choices;
using lesto::router::MatchKind;
using lesto::router::RouteError;
using lesto::router::Router;
using namespace lesto::test;

constexpr std::string_view route_methods[8] = {"GET", "POST", "PUT", "DELETE",
                                               "get", "HEAD", "G T", ""};
constexpr std::string_view test_methods[6] = {"GET", "POST", "PUT", "DELETE", "get", "PATCH"};

struct Segment {
    std::string literal;
    bool param = false;
    bool operator==(const Segment&) const = default;
};

struct RefRoute {
    std::vector<Segment> segments;
    std::vector<std::string> names;
    std::vector<std::string> methods;
};

/// `s` with every brace pair "{{" / "}}" made one brace; false when a
/// brace is left unpaired.
bool unescape(std::string_view s, std::string& out) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '{' || c == '}') {
            if (i + 1 == s.size() || s[i + 1] != c) return false;
            ++i;
        }
        out += c;
    }
    return true;
}

/// The pattern syntax read another way: cut at every '/', a piece is
/// either brace-doubled literal text, or such text followed by "{name}"
/// with a name free of braces. The name's '{' is then the piece's last.
bool reference_compile(std::string_view pattern, RefRoute& out) {
    if (pattern.empty() || pattern[0] != '/') return false;
    for (const std::string_view piece : split(pattern.substr(1), '/')) {
        Segment seg;
        const std::size_t open = piece.rfind('{');
        if (!piece.empty() && piece.back() == '}' && open != std::string_view::npos) {
            const std::string_view name = piece.substr(open + 1, piece.size() - open - 2);
            if (name.find('}') == std::string_view::npos &&
                unescape(piece.substr(0, open), seg.literal)) {
                for (const std::string& n : out.names)
                    if (n == name) return false;
                out.names.emplace_back(name);
                seg.param = true;
                out.segments.push_back(std::move(seg));
                continue;
            }
            seg.literal.clear();
        }
        if (!unescape(piece, seg.literal)) return false;
        out.segments.push_back(std::move(seg));
    }
    return out.names.size() <= lesto::router::max_params;
}

/// The captures when `path` matches `r`, else false.
bool reference_walk(const RefRoute& r, std::string_view path,
                    std::vector<std::string_view>& params) {
    params.clear();
    if (path.empty() || path[0] != '/') return false;
    const std::vector<std::string_view> parts = split(path.substr(1), '/');
    if (parts.size() != r.segments.size()) return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (r.segments[i].param) {
            const std::string& prefix = r.segments[i].literal;
            if (parts[i].size() <= prefix.size() || !parts[i].starts_with(prefix)) return false;
            params.push_back(parts[i].substr(prefix.size()));
        } else if (parts[i] != r.segments[i].literal) {
            return false;
        }
    }
    return true;
}

bool allows(const RefRoute& r, std::string_view method) {
    if (r.methods.empty()) return true;
    for (const std::string& m : r.methods)
        if (m == method) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto& ctx = lesto::fuzz::context();
    ctx.wire = in;
    ctx.limits = "router";
    ctx.split = "-";
    if (in.empty()) return 0;
    const std::size_t count = static_cast<unsigned char>(in[0]) % 24 + 1;
    in.remove_prefix(1);

    Router router;
    std::vector<RefRoute> routes;
    for (std::size_t i = 0; i < count && !in.empty(); ++i) {
        const std::size_t len =
            std::min<std::size_t>(static_cast<unsigned char>(in[0]), in.size() - 1);
        const std::string_view pattern = in.substr(1, len);
        in.remove_prefix(1 + len);
        Choices c(in);
        const std::uint8_t mbits = c.byte();
        if (!in.empty()) in.remove_prefix(1);
        std::vector<std::string> methods;
        for (int b = 0; b < 8; ++b)
            if (mbits & (1u << b)) methods.emplace_back(route_methods[b]);

        RefRoute ref;
        ref.methods = methods;
        bool valid = reference_compile(pattern, ref);
        for (const std::string& m : methods) valid = valid && lesto::test::token(m);

        const std::size_t before = router.size();
        bool added = false;
        try {
            const std::size_t index = router.add(pattern, methods);
            FUZZ_CHECK(index == before && router.size() == before + 1, std::to_string(index));
            added = true;
        } catch (const RouteError& e) {
            FUZZ_CHECK(std::string_view(e.what()).size() > 0, "RouteError without a message");
            FUZZ_CHECK(router.size() == before, "a refused add() changed the router");
        }
        FUZZ_CHECK(added == valid, "pattern '" + escape(pattern) + "': add " +
                                       (added ? "accepted" : "refused") + ", the reference says " +
                                       (valid ? "valid" : "invalid"));
        if (!added) continue;
        const auto& route = router.route(before);
        FUZZ_CHECK(route.param_names == ref.names, "param names of '" + escape(pattern) + "'");
        FUZZ_CHECK(route.segments.size() == ref.segments.size(),
                   "segments of '" + escape(pattern) + "'");
        for (std::size_t s = 0; s < ref.segments.size(); ++s) {
            FUZZ_CHECK(route.segments[s].is_param == ref.segments[s].param &&
                           route.segments[s].literal == ref.segments[s].literal,
                       "segment " + std::to_string(s) + " of '" + escape(pattern) + "'");
        }
        routes.push_back(std::move(ref));
    }

    std::size_t n = 0;
    std::vector<std::string_view> params;
    for (const std::string_view path_in : split(in, '\n')) {
        // Its own exact-size copy: a view past the path trips AddressSanitizer.
        const lesto::test::ExactCopy copy(path_in);
        const std::string_view path = copy.view();
        const std::string_view method = test_methods[n++ % 6];
        const auto m = router.match(method, path);

        MatchKind want = MatchKind::not_found;
        std::size_t want_route = 0;
        std::vector<std::string_view> want_params;
        for (std::size_t r = 0; r < routes.size(); ++r) {
            if (!reference_walk(routes[r], path, params)) continue;
            if (allows(routes[r], method)) {
                want = MatchKind::found;
                want_route = r;
                want_params = params;
                break;
            }
            want = MatchKind::method_not_allowed;
        }
        const std::string what = std::string(method) + " '" + escape(path) + "'";
        FUZZ_CHECK(m.kind == want, what + ": kind " + std::to_string(static_cast<int>(m.kind)) +
                                       ", want " + std::to_string(static_cast<int>(want)));
        if (want == MatchKind::found) {
            FUZZ_CHECK(m.route == want_route, what + ": route " + std::to_string(m.route) +
                                                  ", want " + std::to_string(want_route));
            FUZZ_CHECK(m.param_count == want_params.size(),
                       what + ": " + std::to_string(m.param_count) + " params");
            for (std::size_t i = 0; i < m.param_count; ++i) {
                const auto& p = m.params[i];
                FUZZ_CHECK(p.name == i && p.value == want_params[i],
                           what + ": param " + std::to_string(i));
                FUZZ_CHECK(lesto::test::inside(p.value, path),
                           what + ": param view outside the path");
            }
        }

        // 405's Allow header.
        std::string allow;
        bool any = false;
        std::vector<std::string> seen;
        for (const RefRoute& r : routes) {
            if (!reference_walk(r, path, params)) continue;
            if (r.methods.empty()) {
                any = true;
                break;
            }
            for (const std::string& meth : r.methods) {
                if (std::find(seen.begin(), seen.end(), meth) != seen.end()) continue;
                seen.push_back(meth);
                allow += (allow.empty() ? "" : ", ") + meth;
            }
        }
        if (any) allow.clear();
        FUZZ_CHECK(router.allowed_methods(path) == allow,
                   what + ": Allow '" + router.allowed_methods(path) + "', want '" + allow + "'");
    }
    return 0;
}
