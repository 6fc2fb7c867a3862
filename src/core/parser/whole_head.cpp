// whole_head.cpp: RequestParser::parse and its fast path, for a whole head of the usual shape.
#include "parser/first_block.hpp"
#include "parser/head_rules.hpp"
#include "parser/parser.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lesto::http {
namespace {

/// The first byte in [p, stop) that lacks `Class`, or `stop`. Every span
/// the fast path scans ends at `stop`, and the head it takes has at least
/// 16 bytes before that (checked once, at the start). `rest` finishes a
/// long span where there is no SSE2 to do it inline.
template <std::uint8_t Class>
inline const char* find(const char* p, const char* stop,
                        [[maybe_unused]] scan::Finder rest) noexcept {
#if defined(__x86_64__)
    return scan::find_first_inline<Class>(p, stop);
#else
    return scan::find_first_backed<Class>(p, stop, rest);
#endif
}

/// Whether the two bytes at p are CR LF, in one compare.
inline bool crlf_at(const char* p) noexcept {
    std::uint16_t w, crlf;
    std::memcpy(&w, p, 2);
    std::memcpy(&crlf, "\r\n", 2);
    return w == crlf;
}

/// Heads shorter than this go the slow way: the fast path's scans read the
/// 16 bytes before their bound, 3 bytes short of the end. Only an HTTP/1.0
/// head without fields ("GET / HTTP/1.0" and two CRLF: 18 bytes) is that short.
constexpr std::size_t min_whole_head = 19;

/// Parses into `out` a request head that is complete in `data` and has the
/// usual shape, in one pass that keeps no state to resume from. Returns
/// the head's size, or 0 for any other input (incomplete, refused, or
/// rare: leading empty lines, a version other than HTTP/1.0 or 1.1, a
/// fragment, a limit reached), with `out` in no particular state: the
/// resumable parser then clears it and parses from the start, which gives
/// the answer. Whatever this accepts, that one accepts with the same
/// result: the tests feed every case whole (here) and split (there), and
/// compare.
std::size_t parse_whole_head(std::string_view data, RequestHead& out, const Limits& limits,
                             const scan::Scanners& sc) noexcept {
    using detail::bytes_are;
    // Every byte the head needs must lie below max_header_bytes: scanning
    // no further than that, running out of bytes is the one way to fail
    // for both reasons.
    const std::size_t size = std::min(data.size(), limits.max_header_bytes);
    if (size < min_whole_head) return 0;
    const char* const b = data.data();
    // Each line of a head ends in a CR that at least "\n\r\n" follows (the
    // blank line's, at the latest), so the scans can stop 3 bytes short: a
    // CR they find before `stop` has its LF and the next line's first two
    // bytes in the buffer, and those are compared without more checks.
    const char* const stop = b + size - 3;

    // Request line. Its length is checked once, at its CR: every byte
    // before that is one the line needs anyway.
    const char* method_end;
    if (bytes_are<false>(b, "GET /")) {
        method_end = b + 3;
    } else if (bytes_are<false>(b, "POST /")) {
        method_end = b + 4;
    } else {
        method_end = find<scan::tchar_class>(b, stop, sc.non_tchar);
        if (method_end == b || method_end == stop || *method_end != ' ') return 0;
    }
    const char* const target = method_end + 1;
    const char* target_end = find<scan::target_class>(target, stop, sc.target);
    const char* query = nullptr;
    if (target_end != stop && *target_end == '?') {
        query = target_end;
        do target_end = find<scan::target_class>(target_end + 1, stop, sc.target);
        while (target_end != stop && *target_end == '?');
    }
    // A '#' stops here too: a fragment is refused, the slow way.
    if (target_end == stop || *target_end != ' ' || target_end == target) return 0;
    // The CR of "HTTP/1.x\r\n".
    const char* line_end = target_end + 9;
    if (line_end >= stop || static_cast<std::size_t>(line_end - b) > limits.max_request_line)
        return 0;
    std::uint8_t minor;
    if (bytes_are<false>(target_end + 1, "HTTP/1.1\r\n")) minor = 1;
    else if (bytes_are<false>(target_end + 1, "HTTP/1.0\r\n")) minor = 0;
    else return 0;
    // Each member of `out` is written once: these, then what the fields
    // set (starting from their defaults), then what the blank line decides.
    out.method = {b, static_cast<std::size_t>(method_end - b)};
    out.target = {target, static_cast<std::size_t>(target_end - target)};
    out.version_minor = minor;
    out.query = {};
    out.has_query = false;
    out.host = {};
    out.headers.clear();
    out.body_kind = BodyKind::none;
    out.content_length = 0;
    out.expect_continue = false;
    std::uint8_t seen = 0;
    const std::size_t query_at =
        query ? static_cast<std::size_t>(query - target) : std::string_view::npos;
    if (detail::check_target(out, seen, query_at).status) return 0;

    // Field lines, up to the blank line.
    std::size_t fields_left = limits.max_header_count;
    while (!crlf_at(line_end + 2)) {
        const char* const line = line_end + 2;
        // Letters and '-' first, the cheapest test; a name with other
        // tchars goes on with the full one.
        const char* colon = find<scan::name_fast_class>(line, stop, sc.non_tchar);
        if (colon == stop) return 0;
        if (*colon != ':') {
            if (!scan::is_tchar(*colon)) return 0;
            colon = find<scan::tchar_class>(colon, stop, sc.non_tchar);
            if (colon == stop || *colon != ':') return 0;
        }
        if (colon == line) return 0;
        line_end = find<scan::value_class>(colon + 1, stop, sc.ctl);
        if (line_end == stop || !crlf_at(line_end)) return 0;
        if (fields_left-- == 0) return 0;
        // OWS around the value, trimmed here rather than by trim_ows:
        // neither loop needs a bound (the CR and the colon stop them), and
        // a value of OWS only is empty at its end, as trim_ows leaves it.
        const char* from = colon + 1;
        const char* to = line_end;
        while (is_ows(*from)) ++from;
        while (is_ows(to[-1])) --to;
        if (to < from) to = from;
        const Header h{{line, static_cast<std::size_t>(colon - line)},
                       {from, static_cast<std::size_t>(to - from)}};
        out.headers.push_back(h);
        if (detail::on_field(h.name, h.value, out, seen, limits).status) return 0;
    }
    if (detail::finish_head(out, seen).status) return 0;
    return static_cast<std::size_t>(line_end + 4 - b);
}

}  // namespace

ParseResult RequestParser::parse(std::string_view data, RequestHead& out) {
    // Nearly every head arrives whole: the fast path parses those, and leaves
    // anything else to the resumable parser, from the start.
    if (stage_ == Stage::fresh) {
        if (const std::size_t size = parse_whole_head(data, out, *limits_, *scan_)) {
            out.head_size = size;
            stage_ = Stage::done;
            return {ParseStatus::complete, size, {}};
        }
        out.clear();  // no view may outlive the buffer it pointed into
        // A connection asks again as soon as it has answered; with nothing
        // received yet, stay fresh so the next head still gets the fast path.
        if (data.empty()) return {ParseStatus::incomplete, 0, {}};
        stage_ = Stage::start;
        base_ = data.data();
        line_ = scanned_ = mark_ = mark2_ = query_ = 0;
        seen_ = 0;
    }
    return resume(data, out);
}

}  // namespace lesto::http
