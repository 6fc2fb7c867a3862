// static_path.hpp: a request path below a static prefix as a safe relative path, or a refusal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lesto::files {

/// Why a path names no file we would serve; `refusal_reason` gives the
/// words for a log line. Every refusal is answered 404, as a file that
/// cannot be opened is (open_beneath.hpp): whether the path was malformed
/// or names nothing, a client probing the folder learns nothing.
enum class PathRefusal : std::uint8_t {
    none,
    bad_escape,         ///< '%' not followed by two hex digits
    encoded_separator,  ///< %2F or %5C: a separator the client hid in a name
    backslash,          ///< a raw '\': a separator on other systems
    control,            ///< NUL or another control byte, raw or encoded
    dot_segment,        ///< "." or "..", raw or encoded, e.g. %2e%2E
    invalid_utf8,       ///< not UTF-8 once decoded: overlong forms such as %c0%ae too
    absolute,           ///< starts with '/': "//etc/passwd" below the prefix
    empty_segment,      ///< "a//b": no normalization, one URL per file
    hidden,             ///< a segment starting with '.' (.env, .git), unless allowed
};

/// "the path has a '..' segment", ...; empty for `none`.
std::string_view refusal_reason(PathRefusal r) noexcept;

struct PathOptions {
    /// Serve segments starting with '.' (".well-known"). Off by default:
    /// a static folder that holds .env, .git or .htpasswd must not leak
    /// them. "." and ".." are refused either way.
    bool allow_hidden = false;
};

/// A mapped path: `relative` is decoded, its segments joined by '/', with
/// no leading or trailing '/', no empty, "." or ".." segment, no NUL,
/// control byte or backslash, valid UTF-8.
struct MappedPath {
    PathRefusal refusal = PathRefusal::none;
    /// The path ended in '/' (or was empty): it names a directory. The
    /// caller answers 404, or serves `relative + "/index.html"` (or
    /// "index.html" when `relative` is empty) if it opted in.
    bool directory = false;
    std::string relative;

    bool ok() const noexcept { return refusal == PathRefusal::none; }
};

/// Maps `raw`, the request path (as sent: percent-encoded, no query)
/// after the static prefix and the '/' that ends it: for the prefix
/// "/static" and the path "/static/css/site.css", `raw` is
/// "css/site.css". Each segment is percent-decoded once (a "%252e" stays
/// the name "%2e"); every check runs on the decoded bytes, and the
/// separators are only the raw '/'. Empty segments are refused, not
/// collapsed: "a//b" is not "a/b".
MappedPath map_static_path(std::string_view raw, const PathOptions& options = {});

/// Whether `s` is well-formed UTF-8 (RFC 3629): no overlong form, no
/// surrogate, nothing past U+10FFFF.
bool is_utf8(std::string_view s) noexcept;

}  // namespace lesto::files
