// validators.hpp: a file's ETag and Last-Modified (RFC 9110 8.8), and reading entity-tag lists.
#pragma once

#include "response/date.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lesto::http {

/// What the engine knows of an opened file, from fstat.
struct FileFacts {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;  ///< st_mtim as nanoseconds since the epoch
};

/// The validators of one file, formatted once per response.
///
/// The ETag is strong, `"<mtime_ns in hex>-<size in hex>"`: the file
/// changes when either changes, and a strong tag lets a client resume a
/// download with Range and If-Range. It does not see a rewrite that keeps
/// both the size and the nanosecond mtime, which is what every mtime-based
/// server accepts (nginx, Apache, Go); a hash would mean reading the file.
/// mtime_ns before 1970 is written as its two's complement (still unique).
///
/// Last-Modified is the mtime's second, but never later than `now`: RFC
/// 9110 8.8.2.1 has a server send its own time for a file stamped in the
/// future. A time with no IMF-fixdate (a year past 9999 or before 0) gives
/// no Last-Modified, and then the date conditions are ignored.
class Validators {
public:
    Validators(const FileFacts& file, std::int64_t now) noexcept;

    /// The ETag field value, quotes included.
    std::string_view etag() const noexcept { return {etag_, etag_size_}; }
    /// The Last-Modified field value; empty when the time has none.
    std::string_view last_modified() const noexcept {
        return {last_modified_, has_last_modified_ ? http_date_size : 0};
    }
    bool has_last_modified() const noexcept { return has_last_modified_; }
    /// Last-Modified in seconds since the epoch (when has_last_modified).
    std::int64_t last_modified_seconds() const noexcept { return last_modified_seconds_; }

private:
    static constexpr std::size_t etag_capacity = 1 + 16 + 1 + 16 + 1;
    char etag_[etag_capacity];
    std::size_t etag_size_ = 0;
    char last_modified_[http_date_size];
    bool has_last_modified_ = false;
    std::int64_t last_modified_seconds_ = 0;
};

/// One entity-tag (RFC 9110 8.8.3): `"opaque"` or `W/"opaque"`.
struct EntityTag {
    bool weak = false;
    std::string_view opaque;  ///< between the quotes
};

/// Reads one entity-tag from the front of `s`, consuming it; false (and
/// `s` unchanged) when `s` does not start with one. `W/` is case-sensitive;
/// the opaque part holds 0x21, 0x23-0x7E and obs-text (no space, no quote).
bool read_entity_tag(std::string_view& s, EntityTag& tag) noexcept;

/// Our own tag as an EntityTag (it is strong and well formed).
EntityTag our_tag(std::string_view etag) noexcept;

/// How two entity-tags compare (RFC 9110 8.8.3.2).
enum class Comparison : std::uint8_t {
    strong,  ///< both strong and the same opaque text (If-Match, If-Range)
    weak,    ///< the same opaque text, either may be weak (If-None-Match)
};

/// What a list field (If-Match, If-None-Match) says of one tag.
enum class ListMatch : std::uint8_t {
    matches,    ///< "*", or a member equal to the tag by the comparison
    no_match,   ///< a valid list without such a member
    malformed,  ///< not "*" / #entity-tag: the caller decides (see conditional.hpp)
};

/// Whether the list `value` ("*" or #entity-tag: tags separated by commas,
/// OWS around them, empty elements skipped) holds `ours`. The whole value
/// is read before answering: a broken element anywhere makes the list
/// malformed, so a tag that only looks like a member in broken text (`"a`
/// in `"a, b"`) never matches.
ListMatch match_tag_list(std::string_view value, const EntityTag& ours, Comparison how) noexcept;

}  // namespace lesto::http
