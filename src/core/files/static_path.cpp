// static_path.cpp: segment by segment, decode once, refuse what could leave the folder or leak.
#include "files/static_path.hpp"

#include "parser/percent.hpp"

namespace lesto::files {
namespace {

// One table: the enum's order.
constexpr std::string_view refusals[] = {
    "",
    "the path has a '%' that is not followed by two hex digits",
    "the path hides a separator in a name (%2F or %5C)",
    "the path has a backslash",
    "the path has a NUL or another control character",
    "the path has a '.' or '..' segment",
    "the path is not UTF-8 once percent-decoded",
    "the path below the prefix starts with '/'",
    "the path has an empty segment ('//')",
    "the path names a hidden file or folder (a segment starting with '.')",
};
static_assert(sizeof refusals / sizeof refusals[0] ==
              static_cast<std::size_t>(PathRefusal::hidden) + 1);

/// Every '%' starts a %XX escape.
bool escapes_are_whole(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') continue;
        if (i + 2 >= s.size() || http::hex_digit_value(s[i + 1]) < 0 ||
            http::hex_digit_value(s[i + 2]) < 0) {
            return false;
        }
        i += 2;
    }
    return true;
}

/// The checks on one segment once decoded.
PathRefusal check_name(std::string_view name, const PathOptions& options) noexcept {
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\') return PathRefusal::encoded_separator;
        if (u < 0x20 || u == 0x7f) return PathRefusal::control;
    }
    if (name == "." || name == "..") return PathRefusal::dot_segment;
    if (!is_utf8(name)) return PathRefusal::invalid_utf8;
    if (name.front() == '.' && !options.allow_hidden) return PathRefusal::hidden;
    return PathRefusal::none;
}

}  // namespace

std::string_view refusal_reason(PathRefusal r) noexcept {
    return refusals[static_cast<std::size_t>(r)];
}

bool is_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        // The lead byte gives the length and the range the second byte may
        // take: the narrow ranges are what rule out overlong forms (E0, F0),
        // surrogates (ED) and code points past U+10FFFF (F4).
        std::size_t n = 0;
        unsigned char lo = 0x80, hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            n = 2;
        } else if (b >= 0xe0 && b <= 0xef) {
            n = 3;
            if (b == 0xe0) lo = 0xa0;
            if (b == 0xed) hi = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            n = 4;
            if (b == 0xf0) lo = 0x90;
            if (b == 0xf4) hi = 0x8f;
        } else {
            return false;  // a continuation byte first, C0/C1 (always overlong), F5-FF
        }
        if (s.size() - i < n) return false;
        const auto second = static_cast<unsigned char>(s[i + 1]);
        if (second < lo || second > hi) return false;
        for (std::size_t k = 2; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if (c < 0x80 || c > 0xbf) return false;
        }
        i += n;
    }
    return true;
}

MappedPath map_static_path(std::string_view raw, const PathOptions& options) {
    MappedPath out;
    const auto refuse = [&out](PathRefusal r) {
        out.refusal = r;
        out.relative.clear();
        out.directory = false;
        return out;
    };
    if (!raw.empty() && raw.front() == '/') return refuse(PathRefusal::absolute);
    out.relative.reserve(raw.size());
    std::string decoded;
    while (true) {
        const std::size_t slash = raw.find('/');
        const std::string_view segment = raw.substr(0, slash);
        if (segment.empty()) {
            // The end of the path: after a '/' (or nothing at all) it is a
            // directory; an empty segment anywhere else is "//".
            if (slash != std::string_view::npos) return refuse(PathRefusal::empty_segment);
            out.directory = true;
            break;
        }
        // Raw checks first: a backslash the decoding cannot explain, and an
        // escape the decoding would leave half-read.
        if (segment.find('\\') != std::string_view::npos) return refuse(PathRefusal::backslash);
        if (!escapes_are_whole(segment)) return refuse(PathRefusal::bad_escape);
        const std::string_view name =
            http::percent_decode(segment, decoded) ? std::string_view(decoded) : segment;
        if (const PathRefusal r = check_name(name, options); r != PathRefusal::none)
            return refuse(r);
        if (!out.relative.empty()) out.relative.push_back('/');
        out.relative.append(name);
        if (slash == std::string_view::npos) break;
        raw.remove_prefix(slash + 1);
    }
    return out;
}

}  // namespace lesto::files
