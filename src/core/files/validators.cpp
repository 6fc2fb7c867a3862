// validators.cpp: formatting our validators and reading the client's entity-tags.
#include "files/validators.hpp"

#include "http/fields.hpp"

namespace lesto::http {
namespace {

std::size_t put_hex(std::uint64_t v, char* out) noexcept {
    constexpr char hex[] = "0123456789abcdef";
    char digits[16];
    std::size_t n = 0;
    do {
        digits[n++] = hex[v & 0xf];
        v >>= 4;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
    return n;
}

/// RFC 9110 8.8.3 etagc: 0x21, 0x23-0x7E, obs-text.
constexpr bool is_etagc(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u != 0x7f);
}

void skip_ows(std::string_view& s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
}

bool same(const EntityTag& a, const EntityTag& b, Comparison how) noexcept {
    if (how == Comparison::strong && (a.weak || b.weak)) return false;
    return a.opaque == b.opaque;
}

/// Floor division: the second of an instant before 1970 is the one it falls in.
constexpr std::int64_t seconds_of(std::int64_t ns) noexcept {
    return ns >= 0 ? ns / 1000000000 : -((-(ns + 1)) / 1000000000) - 1;
}

}  // namespace

Validators::Validators(const FileFacts& file, std::int64_t now) noexcept {
    std::size_t n = 0;
    etag_[n++] = '"';
    n += put_hex(static_cast<std::uint64_t>(file.mtime_ns), etag_ + n);
    etag_[n++] = '-';
    n += put_hex(file.size, etag_ + n);
    etag_[n++] = '"';
    etag_size_ = n;

    std::int64_t seconds = seconds_of(file.mtime_ns);
    if (seconds > now) seconds = now;
    has_last_modified_ = format_http_date(static_cast<std::time_t>(seconds), last_modified_);
    last_modified_seconds_ = seconds;
}

bool read_entity_tag(std::string_view& s, EntityTag& tag) noexcept {
    std::string_view rest = s;
    const bool weak = rest.substr(0, 2) == "W/";
    if (weak) rest.remove_prefix(2);
    if (rest.empty() || rest.front() != '"') return false;
    rest.remove_prefix(1);
    std::size_t i = 0;
    while (i < rest.size() && is_etagc(rest[i])) ++i;
    if (i == rest.size() || rest[i] != '"') return false;
    tag = {weak, rest.substr(0, i)};
    s = rest.substr(i + 1);
    return true;
}

EntityTag our_tag(std::string_view etag) noexcept {
    EntityTag tag;
    if (!read_entity_tag(etag, tag)) return {};
    return tag;
}

ListMatch match_tag_list(std::string_view value, const EntityTag& ours, Comparison how) noexcept {
    // "*" stands alone: the field is "*" / #entity-tag, not a list of both.
    if (trim_ows(value) == "*") return ListMatch::matches;
    std::string_view s = value;
    bool matched = false;
    std::size_t members = 0;
    while (true) {
        skip_ows(s);
        if (s.empty()) break;
        if (s.front() == ',') {  // an empty element
            s.remove_prefix(1);
            continue;
        }
        EntityTag tag;
        if (!read_entity_tag(s, tag)) return ListMatch::malformed;
        ++members;
        matched = matched || same(tag, ours, how);
        skip_ows(s);
        if (s.empty()) break;
        if (s.front() != ',') return ListMatch::malformed;
        s.remove_prefix(1);
    }
    // A value of only commas and spaces names no tag at all: not a list.
    if (members == 0) return ListMatch::malformed;
    return matched ? ListMatch::matches : ListMatch::no_match;
}

}  // namespace lesto::http
