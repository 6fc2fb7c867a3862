// parser.cpp: the HTTP/1.x request-head parser, one resumable pass over the head.
#include "parser/parser.hpp"

#include "parser/errors.hpp"
#include "parser/first_block.hpp"
#include "parser/head_rules.hpp"
#include "parser/scan.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace lesto::http {

namespace {

using detail::Seen;

constexpr std::size_t add_sat(std::size_t a, std::size_t b) noexcept {
    return b > std::numeric_limits<std::size_t>::max() - a ? std::numeric_limits<std::size_t>::max()
                                                           : a + b;
}

/// The error for a byte that ended a token where it may not.
constexpr ParseError line_end_error(char c, ParseError otherwise) noexcept {
    // Bare LF is refused although RFC 9112 2.2 lets a recipient accept it: a
    // proxy in front that disagrees about line ends is a smuggling vector.
    if (c == '\n') return errors::bare_lf;
    if (c == '\r') return errors::bare_cr;
    return otherwise;
}

/// What is wrong with a method that ends at b[p] (not the single space
/// that ends a method): the request line starts at b[line].
constexpr ParseError method_error(const char* b, std::size_t line, std::size_t p) noexcept {
    const char c = b[p];
    if (c == '\n') return errors::bare_lf;
    if (c == ' ') return errors::line_starts_with_space;  // a method ends at its first space
    if (c == '\r' && p != line) return errors::missing_target;
    return errors::invalid_method;
}

/// What is wrong with an HTTP version that ends at b[p], not at its CR:
/// the version starts at b[from].
ParseError version_error(const char* b, std::size_t from, std::size_t p) noexcept {
    const char c = b[p];
    if (c == '\n') return errors::bare_lf;
    if (c == ' ' && p == from) return errors::space_before_version;
    std::uint8_t minor;
    if (detail::classify_version({b + from, p - from}, minor).status == 0)
        return errors::after_version;
    return errors::malformed_version;
}

/// The first byte at or after `from` in b[0, end) that lacks `Class`.
template <std::uint8_t Class>
inline std::size_t find(const char* b, std::size_t from, std::size_t end,
                        scan::Finder rest) noexcept {
    return static_cast<std::size_t>(scan::find_first<Class>(b, b + from, b + end, rest) - b);
}

}  // namespace

ParseResult RequestParser::fail(ParseError e) noexcept {
    stage_ = Stage::failed;
    error_ = e;
    return {ParseStatus::error, 0, error_};
}

// parse() (whole_head.cpp) calls this for every head its fast path leaves.
ParseResult RequestParser::resume(std::string_view data, RequestHead& out) {
    const char* const b = data.data();
    const std::size_t n = data.size();
    const Limits& limits = *limits_;
    const scan::Scanners& sc = *scan_;

    switch (stage_) {
    case Stage::done:
        return {ParseStatus::complete, out.head_size, {}};
    case Stage::failed:
        return {ParseStatus::error, 0, error_};
    default:
        if (base_ != b) out.rebase(base_, b);
        break;
    }
    base_ = b;

    // The state lives in locals while parsing (the compiler keeps them in
    // registers across the scanner calls) and goes back to the members only
    // when the data runs out.
    Stage stage = stage_;
    std::size_t line = line_, scanned = scanned_, mark = mark_, mark2 = mark2_, query = query_;
    std::uint8_t seen = seen_;
    const auto suspend = [&](std::size_t resume_at) noexcept {
        stage_ = stage;
        line_ = line;
        scanned_ = resume_at;
        mark_ = mark;
        mark2_ = mark2;
        query_ = query;
        seen_ = seen;
        return ParseResult{};
    };

    // Byte indexes at or past head_cap are over the header-size limit: once
    // such a byte is present and still needed, the answer is 431, without
    // waiting for the end of the head.
    const std::size_t head_cap = limits.max_header_bytes;
    const std::size_t head_window = std::min(n, head_cap);
    // The request line holds at most max_request_line bytes before its CR:
    // the byte at line_cap can only be that CR.
    const auto line_window = [&] {
        return std::min(head_window, add_sat(line, limits.max_request_line));
    };
    // What a scan of the request line that found no end means.
    const auto line_out_of_room = [&](std::size_t window) noexcept {
        if (window == n) return suspend(window);
        if (window == head_cap) return fail(errors::head_too_large);
        return fail(errors::line_too_long);
    };

    // Checks that b[i] is the LF after a CR at i - 1.
    enum class Lf : std::uint8_t { ok, short_of_data, over, bad };
    const auto lf_at = [&](std::size_t i) noexcept {
        if (i >= n) return Lf::short_of_data;
        if (i >= head_cap) return Lf::over;
        return b[i] == '\n' ? Lf::ok : Lf::bad;
    };

    switch (stage) {
    case Stage::start: {
        for (;;) {
            if (line >= n) return suspend(line);
            if (line >= head_cap) return fail(errors::head_too_large);
            if (b[line] == '\n') return fail(errors::bare_lf);
            if (b[line] != '\r') break;
            switch (lf_at(line + 1)) {
            case Lf::short_of_data:
                return suspend(line);
            case Lf::over:
                return fail(errors::head_too_large);
            case Lf::bad:
                return fail(errors::bare_cr);
            case Lf::ok:
                line += 2;
                break;
            }
        }
        scanned = line;
        stage = Stage::method;
        // The methods of nearly every request, without a scan.
        const std::size_t room = line_window() - line;
        if (room > 5 && detail::bytes_are<false>(b + line, "GET /")) {
            mark = line + 3;
            scanned = mark + 1;
            stage = Stage::target;
        } else if (room > 6 && detail::bytes_are<false>(b + line, "POST /")) {
            mark = line + 4;
            scanned = mark + 1;
            stage = Stage::target;
        }
        [[fallthrough]];
    }
    case Stage::method:
        if (stage == Stage::method) {  // not GET or POST, seen above
            const std::size_t window = line_window();
            const std::size_t p = find<scan::tchar_class>(b, scanned, window, sc.non_tchar);
            if (p == window) return line_out_of_room(window);
            if (b[p] != ' ' || p == line) return fail(method_error(b, line, p));
            mark = p;
            scanned = p + 1;
            stage = Stage::target;
        }
        [[fallthrough]];
    case Stage::target: {
        const std::size_t window = line_window();
        std::size_t p;
        // The target scan also stops at '?' and '#', so that the query and a
        // fragment are known without scanning the target again.
        for (;;) {
            p = find<scan::target_class>(b, scanned, window, sc.target);
            if (p == window) return line_out_of_room(window);
            if (b[p] == '?') {
                if (query == 0) query = p;
            } else if (b[p] == '#') {
                seen |= detail::target_fragment;
            } else {
                break;
            }
            scanned = p + 1;
        }
        const char c = b[p];
        if (c != ' ' || p == mark + 1) {
            if (c == ' ') return fail(errors::space_after_method);  // the target is empty
            if (c == '\r')
                return fail(p == mark + 1 ? errors::missing_target : errors::missing_version);
            return fail(line_end_error(c, errors::invalid_target));
        }
        mark2 = p;
        scanned = p + 1;
        stage = Stage::version;
        [[fallthrough]];
    }
    case Stage::version: {
        const std::size_t window = line_window();
        std::size_t p;
        // Only from the start of the version: a resumed scan may be past
        // bytes that make "...HTTP/1.1" something else.
        const bool http11 = scanned == mark2 + 1 && window - scanned >= 8 && n - scanned >= 10 &&
                            detail::bytes_are<false>(b + scanned, "HTTP/1.1\r\n");
        if (http11) {
            p = scanned + 8;  // the usual version, without a scan
        } else {
            p = find<scan::visible_class>(b, scanned, window, sc.ctl_or_space);
        }
        if (p == window && (window == n || window == head_cap || b[p] != '\r'))
            return line_out_of_room(window);
        if (b[p] != '\r') return fail(version_error(b, mark2 + 1, p));
        // Judged at the CR already, so that a bad version or target is
        // refused without waiting for another byte.
        out.method = {b + line, mark - line};
        out.target = {b + mark + 1, mark2 - mark - 1};
        if (http11) {
            out.version_minor = 1;
        } else if (const ParseError e =
                       detail::classify_version({b + mark2 + 1, p - mark2 - 1}, out.version_minor);
                   e.status) {
            return fail(p == mark2 + 1 ? errors::missing_version : e);  // "GET / \r\n"
        }
        const std::size_t query_at = query ? query - (mark + 1) : std::string_view::npos;
        if (const ParseError e = detail::check_target(out, seen, query_at); e.status)
            return fail(e);
        switch (lf_at(p + 1)) {
        case Lf::short_of_data:
            return suspend(p);
        case Lf::over:
            return fail(errors::head_too_large);
        case Lf::bad:
            return fail(errors::bare_cr);
        case Lf::ok:
            break;
        }
        line = scanned = p + 2;
        stage = Stage::name;
        [[fallthrough]];
    }
    case Stage::name:
    case Stage::value:
        for (;;) {
            if (stage == Stage::name) {
                // Letters and '-' first, the cheapest test; a name with
                // other tchars goes on with the full one.
                std::size_t p = find<scan::name_fast_class>(b, scanned, head_window, sc.non_tchar);
                if (p != head_window && scan::is_tchar(b[p]))
                    p = find<scan::tchar_class>(b, p, head_window, sc.non_tchar);
                if (p == head_window) {
                    if (head_window < n) return fail(errors::head_too_large);
                    return suspend(p);
                }
                const char c = b[p];
                if (c == ':' && p != line) {
                    mark = p;
                    scanned = p + 1;
                    stage = Stage::value;
                } else if (p != line) {
                    if (c == ' ' || c == '\t') return fail(errors::space_before_colon);
                    if (c == '\r') return fail(errors::no_colon);
                    return fail(line_end_error(c, errors::invalid_name));
                } else if (c == '\r') {
                    switch (lf_at(p + 1)) {
                    case Lf::short_of_data:
                        return suspend(p);
                    case Lf::over:
                        return fail(errors::head_too_large);
                    case Lf::bad:
                        return fail(errors::bare_cr);
                    case Lf::ok:
                        break;
                    }
                    if (const ParseError e = detail::finish_head(out, seen); e.status)
                        return fail(e);
                    out.head_size = p + 2;
                    stage_ = Stage::done;
                    return {ParseStatus::complete, p + 2, {}};
                } else {
                    // obs-fold is refused (RFC 9112 5.2 allows 400): unfolding
                    // is another place where two parsers can disagree. Before
                    // the first field there is nothing to fold (RFC 9112 2.2).
                    if (c == ' ' || c == '\t')
                        return fail(out.headers.empty() ? errors::space_before_fields
                                                        : errors::obs_fold);
                    if (c == ':') return fail(errors::empty_name);
                    return fail(line_end_error(c, errors::invalid_name));
                }
            }
            const std::size_t p = find<scan::value_class>(b, scanned, head_window, sc.ctl);
            if (p == head_window) {
                if (head_window < n) return fail(errors::head_too_large);
                return suspend(p);
            }
            if (b[p] != '\r') return fail(line_end_error(b[p], errors::invalid_value));
            switch (lf_at(p + 1)) {
            case Lf::short_of_data:
                return suspend(p);
            case Lf::over:
                return fail(errors::head_too_large);
            case Lf::bad:
                return fail(errors::bare_cr);
            case Lf::ok:
                break;
            }
            if (out.headers.size() >= limits.max_header_count) return fail(errors::too_many_fields);
            const Header h{{b + line, mark - line}, trim_ows({b + mark + 1, p - mark - 1})};
            out.headers.push_back(h);
            if (const ParseError e = detail::on_field(h.name, h.value, out, seen, limits); e.status)
                return fail(e);
            line = scanned = p + 2;
            stage = Stage::name;
        }
    case Stage::fresh:
    case Stage::done:
    case Stage::failed:
        break;
    }
    return fail(errors::parser_state);
}

}  // namespace lesto::http
