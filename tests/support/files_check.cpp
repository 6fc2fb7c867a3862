// files_check.cpp: the file-serving invariants, and a plain reading of Range to compare with.
#include "support/files_check.hpp"

#include "files/http_date.hpp"
#include "response/date.hpp"
#include "support/bytes.hpp"
#include "support/grammar.hpp"

#include <vector>

namespace lesto::test {
namespace {

__extension__ typedef unsigned __int128 u128;

/// 1*DIGIT as a 128-bit value, saturated far above any size; false when
/// `s` is empty or holds another byte.
bool number(std::string_view s, u128& out) {
    if (s.empty()) return false;
    constexpr u128 cap = static_cast<u128>(1) << 100;
    out = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return false;
        if (out < cap) out = out * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

/// Decimal digit strings compared as numbers, for two saturated values.
bool less_digits(std::string_view a, std::string_view b) {
    while (!a.empty() && a.front() == '0') a.remove_prefix(1);
    while (!b.empty() && b.front() == '0') b.remove_prefix(1);
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::string show_range(const http::RangeResult& r) {
    const char* kinds[] = {"ignore", "satisfiable", "unsatisfiable"};
    return std::string(kinds[static_cast<int>(r.kind)]) + " offset=" + std::to_string(r.offset) +
           " length=" + std::to_string(r.length);
}

/// One code point at a time: its length from the lead byte, its value from
/// the rest, then the ranges RFC 3629 allows for that length.
bool utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80         ? 1
                        : (b >> 5) == 6  ? 2
                        : (b >> 4) == 14 ? 3
                        : (b >> 3) == 30 ? 4
                                         : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? b : b & (0x7f >> n);
        for (std::size_t k = 1; k < n; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xc0) != 0x80) return false;
            cp = cp << 6 | (c & 0x3f);
        }
        const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

/// Percent-decoding read from RFC 3986 2.1, for whole %XX escapes.
std::string decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

bool contains_ignoring_case(std::string_view s, std::string_view lower_needle) {
    for (std::size_t i = 0; i + lower_needle.size() <= s.size(); ++i)
        if (ieq(s.substr(i, lower_needle.size()), lower_needle)) return true;
    return false;
}

}  // namespace

http::RangeResult reference_range(std::string_view value, std::uint64_t size) {
    using http::RangeKind;
    const std::size_t eq = value.find('=');
    if (eq == std::string_view::npos || !ieq(value.substr(0, eq), "bytes")) return {};
    std::vector<std::string_view> specs;
    for (std::string_view e : elements(value.substr(eq + 1)))
        if (!e.empty()) specs.push_back(e);
    if (specs.size() != 1) return {};
    const std::string_view spec = specs[0];
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    const std::string_view a = spec.substr(0, dash);
    const std::string_view b = spec.substr(dash + 1);
    u128 first = 0, last = 0;
    if (a.empty()) {
        if (!number(b, last)) return {};
        if (last == 0 || size == 0) return {RangeKind::unsatisfiable, 0, 0};
        const u128 n = last < size ? last : size;
        return {RangeKind::satisfiable, static_cast<std::uint64_t>(size - n),
                static_cast<std::uint64_t>(n)};
    }
    if (!number(a, first)) return {};
    if (!b.empty()) {
        if (!number(b, last)) return {};
        if (less_digits(b, a)) return {};
    } else {
        last = size;
    }
    if (first >= size) return {RangeKind::unsatisfiable, 0, 0};
    if (last >= size) last = static_cast<u128>(size) - 1;
    return {RangeKind::satisfiable, static_cast<std::uint64_t>(first),
            static_cast<std::uint64_t>(last - first + 1)};
}

void check_range(Broken broken, std::string_view value, std::uint64_t size,
                 const http::RangeResult& got) {
    // Messages are built only for a broken check: the fuzz target runs these per input.
    const auto ctx = [&] {
        return "value " + escape(value) + " size " + std::to_string(size) + ": " + show_range(got);
    };
    if (got.kind == http::RangeKind::satisfiable) {
        LESTO_CHECK(broken, got.length >= 1 && got.offset < size && got.length <= size - got.offset,
                    ctx());
    } else {
        LESTO_CHECK(broken, got.offset == 0 && got.length == 0, ctx());
    }
    const http::RangeResult want = reference_range(value, size);
    LESTO_CHECK(broken, got == want, ctx() + ", the reference says " + show_range(want));
}

void check_date(Broken broken, std::string_view text, std::int64_t now) {
    const auto t = http::parse_http_date(text, now);
    if (!t) return;
    const auto ctx = [&] { return "date " + escape(text) + " read as " + std::to_string(*t); };
    char out[http::http_date_size];
    if (!http::format_http_date(static_cast<std::time_t>(*t), out)) {
        // Only a two-digit year read against a clock far in the future
        // leaves the four-digit years IMF-fixdate has.
        const bool rfc850 = text.size() > 3 && text[3] != ',' && text[3] != ' ';
        LESTO_CHECK(broken, rfc850 && (*t < -62167219200 || *t > 253402300799), ctx());
        return;
    }
    const std::string_view formatted(out, sizeof out);
    LESTO_CHECK(broken, http::parse_http_date(formatted, now) == t,
                ctx() + ", formatted " + std::string(formatted));
    const bool imf = text.size() == http::http_date_size && text[3] == ',';
    if (imf && text.substr(23, 2) != "60") {
        LESTO_CHECK(broken, formatted.substr(3) == text.substr(3),
                    ctx() + ", formatted " + std::string(formatted));
    }
}

void check_tag_list(Broken broken, std::string_view value, const http::EntityTag& ours) {
    using http::Comparison;
    using http::ListMatch;
    const ListMatch strong = http::match_tag_list(value, ours, Comparison::strong);
    const ListMatch weak = http::match_tag_list(value, ours, Comparison::weak);
    const auto ctx = [&] {
        return "list " + escape(value) + " ours " + escape(ours.opaque) + " strong " +
               std::to_string(static_cast<int>(strong)) + " weak " +
               std::to_string(static_cast<int>(weak));
    };
    LESTO_CHECK(broken, (strong == ListMatch::malformed) == (weak == ListMatch::malformed), ctx());
    if (strong == ListMatch::matches) LESTO_CHECK(broken, weak == ListMatch::matches, ctx());
    if (weak == ListMatch::matches && trim(value) != "*") {
        std::string quoted(1, '"');  // appended, not "+": GCC 12 warns of overlap (-Wrestrict)
        quoted.append(ours.opaque).push_back('"');
        LESTO_CHECK(broken, value.find(quoted) != std::string_view::npos, ctx());
    }
}

void check_mapped_path(Broken broken, std::string_view raw, const files::PathOptions& options,
                       const files::MappedPath& got) {
    const auto ctx = [&] {
        return "raw " + escape(raw) + " -> refusal " +
               std::to_string(static_cast<int>(got.refusal)) + " directory " +
               std::to_string(got.directory) + " relative " + escape(got.relative);
    };
    if (!got.ok()) {
        LESTO_CHECK(broken, got.relative.empty() && !got.directory, ctx());
        LESTO_CHECK(broken, !files::refusal_reason(got.refusal).empty(), ctx());
        return;
    }
    for (std::string_view bad : {"%2f", "%5c", "%00"})
        LESTO_CHECK(broken, !contains_ignoring_case(raw, bad), ctx());
    LESTO_CHECK(broken, raw.find('\\') == std::string_view::npos, ctx());
    const std::string& rel = got.relative;
    if (rel.empty()) {
        LESTO_CHECK(broken, got.directory, ctx());
    } else {
        LESTO_CHECK(broken, rel.front() != '/' && rel.back() != '/', ctx());
        for (std::string_view seg : split(rel, '/')) {
            LESTO_CHECK(broken, !seg.empty() && seg != "." && seg != "..", ctx());
            LESTO_CHECK(broken, options.allow_hidden || seg.front() != '.', ctx());
        }
    }
    for (const char c : rel) {
        const auto u = static_cast<unsigned char>(c);
        LESTO_CHECK(broken, c != '\\' && u >= 0x20 && u != 0x7f, ctx());
    }
    LESTO_CHECK(broken, utf8(rel), ctx());
    const std::string whole = rel + (got.directory && !rel.empty() ? "/" : "");
    LESTO_CHECK(broken, decode(raw) == whole, ctx() + ", decoded whole: " + escape(decode(raw)));
}

void check_plan(Broken broken, std::string_view method, std::span<const http::Header> fields,
                const http::FileFacts& file, std::int64_t now, const http::FilePlan& plan) {
    const http::FilePlan::Headers h = plan.headers();
    const auto ctx = [&] {
        std::string c = "method " + escape(method) + " size " + std::to_string(file.size) +
                        " mtime_ns " + std::to_string(file.mtime_ns) + " -> " +
                        std::to_string(plan.status) + " offset " + std::to_string(plan.offset) +
                        " length " + std::to_string(plan.length);
        for (const http::Header& f : fields)
            c += "\n  > " + escape(f.name) + ": " + escape(f.value);
        for (const http::Header& f : h.view())
            c += "\n  < " + escape(f.name) + ": " + escape(f.value);
        return c;
    };

    const auto value_of = [&h](std::string_view name) -> std::string_view {
        for (const http::Header& f : h.view())
            if (f.name == name) return f.value;
        return {};
    };
    for (const http::Header& f : h.view())
        LESTO_CHECK(broken, token(f.name) && field_value(f.value) && !f.value.empty(), ctx());
    const bool get = method == "GET";
    const bool head = method == "HEAD";
    if (!get && !head) {
        LESTO_CHECK(broken, plan.status == 405 && value_of("Allow") == "GET, HEAD", ctx());
    }
    const http::Validators v(file, now);
    switch (plan.status) {
    case 200:
        LESTO_CHECK(broken, plan.offset == 0 && plan.length == file.size, ctx());
        LESTO_CHECK(broken, value_of("ETag") == v.etag(), ctx());
        LESTO_CHECK(broken, value_of("Accept-Ranges") == "bytes", ctx());
        break;
    case 206: {
        LESTO_CHECK(broken, get, ctx());
        LESTO_CHECK(broken,
                    plan.length >= 1 && plan.offset < file.size &&
                        plan.length <= file.size - plan.offset,
                    ctx());
        LESTO_CHECK(broken, value_of("ETag") == v.etag(), ctx());
        const std::string want = "bytes " + std::to_string(plan.offset) + "-" +
                                 std::to_string(plan.offset + plan.length - 1) + "/" +
                                 std::to_string(file.size);
        LESTO_CHECK(broken, value_of("Content-Range") == want, ctx());
        break;
    }
    case 304:
        LESTO_CHECK(broken, plan.length == 0 && value_of("ETag") == v.etag() && h.count == 1,
                    ctx());
        break;
    case 416:
        LESTO_CHECK(broken, get && plan.length == 0, ctx());
        LESTO_CHECK(broken, value_of("Content-Range") == "bytes */" + std::to_string(file.size),
                    ctx());
        break;
    case 405:
    case 412:
        LESTO_CHECK(broken, plan.length == 0, ctx());
        break;
    default:
        LESTO_CHECK(broken, false, ctx());
    }
    bool conditional = false;
    for (const http::Header& f : fields) {
        for (std::string_view n : {"if-match", "if-none-match", "if-modified-since",
                                   "if-unmodified-since", "range", "if-range"})
            conditional = conditional || ieq(f.name, n);
    }
    if ((get || head) && !conditional) LESTO_CHECK(broken, plan.status == 200, ctx());
}

}  // namespace lesto::test
