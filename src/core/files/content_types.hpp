// content_types.hpp: a file's Content-Type from its extension, by a table filled at start-up.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lesto::files {

/// An extension or type that `ContentTypes::add` refuses; `what()` says what to fix.
class ContentTypeError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// What to put in the writer's ResponseSpec.
struct ContentType {
    std::string_view type;     ///< "text/html"
    std::string_view charset;  ///< "utf-8" for text/*, else empty

    bool operator==(const ContentType&) const = default;
};

/// Extension -> media type, filled once (from Python's `mimetypes`, which
/// reads the system's mime.types), then read-only and shared by every
/// request. Extensions compare ignoring ASCII case ("PHOTO.JPG" is a JPEG).
///
/// text/* types are answered with charset utf-8: without a charset a
/// browser reads text/plain (and text/css, text/javascript...) as
/// windows-1252, which garbles every non-ASCII byte of the UTF-8 files
/// nearly every project holds. A text file in another encoding needs a
/// route of its own. Other types get no charset: application/json and
/// image/svg+xml define their own (RFC 8259 has no charset parameter).
class ContentTypes {
public:
    /// The type of a name with no known extension (RFC 9110 8.3: a
    /// recipient may then sniff; this type tells it not to guess text).
    static constexpr std::string_view default_type = "application/octet-stream";
    /// Longest extension `add` takes (mime.types' longest is ~30).
    static constexpr std::size_t max_extension = 64;

    /// Maps `extension` (".html" or "html"; inner dots allowed, as in
    /// ".tar.gz") to `type` (type "/" subtype, both tokens, no parameters).
    /// A later add of the same extension, in any case, replaces the
    /// earlier. Throws ContentTypeError for an empty or over-long
    /// extension, one holding '/', NUL, a control byte or an empty part
    /// ("a..b"), or a type that is not token/token.
    void add(std::string_view extension, std::string_view type);

    /// The type of the file `path` ("css/site.css"; only its last segment
    /// counts): the longest added extension the name ends with after a
    /// '.', not counting a leading '.' (".bashrc" has no extension), so
    /// "x.tar.gz" is ".tar.gz" if added, else ".gz".
    ContentType lookup(std::string_view path) const noexcept;

    std::size_t size() const noexcept { return types_.size(); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    struct Entry {
        std::string type;
        bool text = false;
    };
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> types_;  ///< lower-case keys
};

}  // namespace lesto::files
