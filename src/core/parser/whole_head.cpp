// whole_head.cpp: RequestParser::parse and its fast path, for a whole head of the usual shape.
#include "parser/first_block.hpp"
#include "parser/head_rules.hpp"
#include "parser/parser.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lesto::http {
namespace {

template <std::uint8_t Class>
inline const char* find(const char* b, const char* p, const char* end, scan::Finder rest) noexcept {
    return scan::find_first<Class>(b, p, end, rest);
}

/// Whether the two bytes at p are CR LF, in one compare.
inline bool crlf_at(const char* p) noexcept {
    std::uint16_t w, crlf;
    std::memcpy(&w, p, 2);
    std::memcpy(&crlf, "\r\n", 2);
    return w == crlf;
}

/// Clears `out` and parses into it a request head that is complete in
/// `data` and has the usual shape, in one pass that keeps no state to
/// resume from. Returns false for any other input (incomplete, refused, or
/// rare: leading empty lines, a version other than HTTP/1.0 or 1.1, a
/// fragment, a limit reached), with `out` in no particular state: the
/// resumable parser then parses it from the start, which gives the answer.
/// Whatever this accepts, that one accepts with the same result: the tests
/// feed every case whole (here) and split (there), and compare.
bool parse_whole_head(std::string_view data, RequestHead& out, const Limits& limits,
                      const scan::Scanners& sc) noexcept {
    using detail::bytes_are;
    out.clear();
    const char* const b = data.data();
    // Every byte the head needs must lie below max_header_bytes: scanning
    // no further than that, running out of bytes is the one way to fail
    // for both reasons.
    const char* const end = b + std::min(data.size(), limits.max_header_bytes);

    // Request line. Its length is checked once, at its CR: every byte
    // before that is one the line needs anyway.
    const char* method_end;
    if (end - b > 5 && bytes_are<false>(b, "GET /")) {
        method_end = b + 3;
    } else if (end - b > 6 && bytes_are<false>(b, "POST /")) {
        method_end = b + 4;
    } else {
        method_end = find<scan::tchar_class>(b, b, end, sc.non_tchar);
        if (method_end == b || method_end == end || *method_end != ' ') return false;
    }
    const char* const target = method_end + 1;
    const char* target_end = find<scan::target_class>(b, target, end, sc.target);
    const char* query = nullptr;
    if (target_end != end && *target_end == '?') {
        query = target_end;
        do
            target_end = find<scan::target_class>(b, target_end + 1, end, sc.target);
        while (target_end != end && *target_end == '?');
    }
    // A '#' stops here too: a fragment is refused, the slow way.
    if (target_end == end || *target_end != ' ' || target_end == target) return false;
    const char* const cr = target_end + 9;
    if (end - cr < 2 || static_cast<std::size_t>(cr - b) > limits.max_request_line) return false;
    if (bytes_are<false>(target_end + 1, "HTTP/1.1\r\n"))
        out.version_minor = 1;
    else if (bytes_are<false>(target_end + 1, "HTTP/1.0\r\n"))
        out.version_minor = 0;
    else
        return false;
    out.method = {b, static_cast<std::size_t>(method_end - b)};
    out.target = {target, static_cast<std::size_t>(target_end - target)};
    std::uint8_t seen = 0;
    const std::size_t query_at =
        query ? static_cast<std::size_t>(query - target) : std::string_view::npos;
    if (detail::check_target(out, seen, query_at).status) return false;

    // Field lines, up to the blank line.
    for (const char* line = cr + 2;;) {
        if (line == end) return false;
        if (*line == '\r') {
            if (end - line < 2 || line[1] != '\n') return false;
            if (detail::finish_head(out, seen).status) return false;
            out.head_size = static_cast<std::size_t>(line + 2 - b);
            return true;
        }
        // Letters and '-' first, the cheapest test; a name with other
        // tchars goes on with the full one.
        const char* colon = find<scan::name_fast_class>(b, line, end, sc.non_tchar);
        if (colon == end) return false;
        if (*colon != ':') {
            if (!scan::is_tchar(*colon)) return false;
            colon = find<scan::tchar_class>(b, colon, end, sc.non_tchar);
            if (colon == end || *colon != ':') return false;
        }
        if (colon == line) return false;
        const char* const value_end = find<scan::value_class>(b, colon + 1, end, sc.ctl);
        if (end - value_end < 2 || !crlf_at(value_end)) return false;
        if (out.headers.size() >= limits.max_header_count) return false;
        // OWS around the value, trimmed here rather than by detail::trim_ows:
        // the first loop needs no bound (it stops at the CR at the latest),
        // a few instructions a field on the hot path.
        const char* from = colon + 1;
        const char* to = value_end;
        while (detail::is_ows(*from))
            ++from;
        while (to > from && detail::is_ows(to[-1]))
            --to;
        const Header h{{line, static_cast<std::size_t>(colon - line)},
                       {from, static_cast<std::size_t>(to - from)}};
        out.headers.push_back(h);
        if (detail::on_field(h.name, h.value, out, seen, limits).status) return false;
        line = value_end + 2;
    }
}

} // namespace

ParseResult RequestParser::parse(std::string_view data, RequestHead& out) {
    // Nearly every head arrives whole: the fast path parses those, and leaves
    // anything else to the resumable parser, from the start.
    if (stage_ == Stage::fresh) {
        // A connection asks again as soon as it has answered; with nothing
        // received yet, stay fresh so the next head still gets the fast path.
        if (data.empty()) {
            out.clear();  // no view may outlive the buffer it pointed into
            return {ParseStatus::incomplete, 0, {}};
        }
        if (parse_whole_head(data, out, *limits_, *scan_)) {
            stage_ = Stage::done;
            return {ParseStatus::complete, out.head_size, {}};
        }
        out.clear();
        stage_ = Stage::start;
        base_ = data.data();
    }
    return resume(data, out);
}

} // namespace lesto::http
