// conditional.cpp: reading and evaluating the conditional request fields.
#include "files/conditional.hpp"

#include "files/http_date.hpp"
#include "http/fields.hpp"

#include <optional>

namespace lesto::http {
namespace {

void note(FieldLines& f, std::string_view value) noexcept {
    if (f.count++ == 0) f.value = value;
}

/// The date of a singleton date field; nullopt (ignore the field) when it
/// is absent, sent more than once, or not an HTTP-date.
std::optional<std::int64_t> date_of(const FieldLines& f, std::int64_t now) noexcept {
    if (f.count != 1) return std::nullopt;
    return parse_http_date(f.value, now);
}

/// match_tag_list over every line of the list field `name`.
ListMatch match_lines(const Conditions& c, const FieldLines& f, std::string_view name,
                      const EntityTag& ours, Comparison how) noexcept {
    if (f.count == 1) return match_tag_list(f.value, ours, how);
    bool matched = false;
    for (const Header& h : c.fields) {
        if (!equals_ignoring_case(h.name, name)) continue;
        const ListMatch m = match_tag_list(h.value, ours, how);
        if (m == ListMatch::malformed) return m;
        matched = matched || m == ListMatch::matches;
    }
    return matched ? ListMatch::matches : ListMatch::no_match;
}

}  // namespace

Conditions read_conditions(std::span<const Header> fields) noexcept {
    Conditions c;
    c.fields = fields;
    for (const Header& h : fields) {
        // Every name starts with "if-" but Range: the length and one test
        // settle most lines at once.
        switch (h.name.size()) {
        case 5:
            if (equals_ignoring_case(h.name, "range")) note(c.range, h.value);
            break;
        case 8:
            if (equals_ignoring_case(h.name, "if-match")) note(c.if_match, h.value);
            else if (equals_ignoring_case(h.name, "if-range")) note(c.if_range, h.value);
            break;
        case 13:
            if (equals_ignoring_case(h.name, "if-none-match")) note(c.if_none_match, h.value);
            break;
        case 17:
            if (equals_ignoring_case(h.name, "if-modified-since"))
                note(c.if_modified_since, h.value);
            break;
        case 19:
            if (equals_ignoring_case(h.name, "if-unmodified-since"))
                note(c.if_unmodified_since, h.value);
            break;
        default:
            break;
        }
    }
    return c;
}

Precondition evaluate_preconditions(const Conditions& c, const Validators& v, bool get_or_head,
                                    std::int64_t now) noexcept {
    const EntityTag ours = our_tag(v.etag());
    // Step 1 and 2: the client's copy must still be the current one.
    if (c.if_match.present()) {
        if (match_lines(c, c.if_match, "if-match", ours, Comparison::strong) != ListMatch::matches)
            return Precondition::precondition_failed;
    } else if (v.has_last_modified()) {
        const auto date = date_of(c.if_unmodified_since, now);
        if (date && v.last_modified_seconds() > *date) return Precondition::precondition_failed;
    }
    // Step 3 and 4: the client's copy may already be the current one.
    if (c.if_none_match.present()) {
        if (match_lines(c, c.if_none_match, "if-none-match", ours, Comparison::weak) ==
            ListMatch::matches) {
            return get_or_head ? Precondition::not_modified : Precondition::precondition_failed;
        }
    } else if (get_or_head && v.has_last_modified()) {
        const auto date = date_of(c.if_modified_since, now);
        if (date && v.last_modified_seconds() <= *date) return Precondition::not_modified;
    }
    return Precondition::passed;
}

bool if_range_holds(const Conditions& c, const Validators& v, std::int64_t now) noexcept {
    if (c.if_range.count != 1) return false;
    std::string_view value = c.if_range.value;
    // RFC 9110 13.1.5: an entity-tag starts with DQUOTE or W/", a date never does.
    if (value.substr(0, 1) == "\"" || value.substr(0, 2) == "W/") {
        EntityTag tag;
        if (!read_entity_tag(value, tag) || !value.empty()) return false;
        const EntityTag ours = our_tag(v.etag());
        return !tag.weak && tag.opaque == ours.opaque;
    }
    const auto date = parse_http_date(value, now);
    return date && v.has_last_modified() && *date == v.last_modified_seconds();
}

}  // namespace lesto::http
