// writer.cpp: renders a response straight into the output buffer, with no temporary.
#include "response/writer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "http/fields.hpp"
#include "response/checks.hpp"
#include "response/status.hpp"

namespace lesto::http {
namespace {

// Each header line is written as "\r\n" + line, so the CRLF that ends the
// previous line merges with the constant name that starts the next one and
// the hello-world response is five constant pieces and five variable ones.
constexpr std::string_view status_prefix = "HTTP/1.1 ";
constexpr std::string_view ok_with_length = "HTTP/1.1 200 OK\r\nContent-Length: ";
constexpr std::string_view content_length_line = "\r\nContent-Length: ";
constexpr std::string_view chunked_line = "\r\nTransfer-Encoding: chunked";
constexpr std::string_view last_chunk = "0\r\n\r\n";
constexpr std::string_view content_type_line = "\r\nContent-Type: ";
constexpr std::string_view charset_param = "; charset=";
constexpr std::string_view date_line = "\r\nDate: ";
constexpr std::string_view close_line = "\r\nConnection: close";
constexpr std::string_view keep_alive_line = "\r\nConnection: keep-alive";
constexpr std::string_view set_cookie_line = "\r\nSet-Cookie: ";
constexpr std::string_view crlf = "\r\n";
constexpr std::string_view name_separator = ": ";
constexpr std::string_view end_of_head = "\r\n\r\n";
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t date_size = 29;  // an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"

// "00" to "99": a length is written two digits per division by 100.
// Hand-rolled because snprintf parses a format string and consults the locale
// on every call, which is measurable at a million responses a second.
constexpr auto digit_pairs = [] {
    std::array<char, 200> table{};
    for (std::size_t i = 0; i < 100; ++i) {
        table[2 * i] = static_cast<char>('0' + i / 10);
        table[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
    return table;
}();

/// How many decimal digits `v` has.
std::size_t decimal_size(std::uint64_t v) noexcept {
    std::size_t n = 1;
    for (; v >= 100; v /= 100) n += 2;
    return n + (v >= 10 ? 1 : 0);
}

/// Writes `v` in decimal at `p`; returns the end.
char* put_decimal(char* p, std::uint64_t v) noexcept {
    const std::size_t size = decimal_size(v);
    char* q = p + size;
    for (; v >= 100; v /= 100) {
        q -= 2;
        std::memcpy(q, &digit_pairs[2 * (v % 100)], 2);
    }
    if (v >= 10) {
        std::memcpy(q - 2, &digit_pairs[2 * v], 2);
    } else {
        q[-1] = static_cast<char>('0' + v);
    }
    return p + size;
}

constexpr std::size_t small_decimal_limit = 10000;
constexpr std::size_t small_decimal_size = 4;  // digits of small_decimal_limit - 1

/// put_decimal for `v` below small_decimal_limit: no loop, and no 64-bit
/// constant to hold in a register.
char* put_small_decimal(char* p, std::size_t v) noexcept {
    if (v < 10) {
        *p = static_cast<char>('0' + v);
        return p + 1;
    }
    if (v < 100) {
        std::memcpy(p, &digit_pairs[2 * v], 2);
        return p + 2;
    }
    const std::size_t high = static_cast<unsigned>(v) / 100;
    const std::size_t low = static_cast<unsigned>(v) % 100;
    if (high < 10) {
        *p++ = static_cast<char>('0' + high);
    } else {
        std::memcpy(p, &digit_pairs[2 * high], 2);
        p += 2;
    }
    std::memcpy(p, &digit_pairs[2 * low], 2);
    return p + 2;
}

template <std::size_t N> void copy_fixed(char* dst, const char* src) noexcept {
    std::memcpy(dst, src, N);
}

/// A constant piece: its size is known here, so the copy becomes plain stores.
template <const std::string_view& S> char* put_const(char* p) noexcept {
    std::memcpy(p, S.data(), S.size());
    return p + S.size();
}

/// Copies a piece of up to 32 bytes with two overlapping fixed-size copies
/// (plain loads and stores), and a longer one 16 bytes at a time: no call.
// A default string_view has a null data(), which memcpy must not be given.
// Forced inline, as is put: left to its heuristics GCC may call them once per
// piece, which costs the common response a fifth more instructions.
[[gnu::always_inline]] inline char* put_inline(char* p, std::string_view s) noexcept {
    const std::size_t n = s.size();
    const char* src = s.data();
    if (n >= 16) {
        for (std::size_t i = 16; i < n; i += 16) copy_fixed<16>(p + i - 16, src + i - 16);
        copy_fixed<16>(p + n - 16, src + n - 16);
    } else if (n >= 8) {
        copy_fixed<8>(p, src);
        copy_fixed<8>(p + n - 8, src + n - 8);
    } else if (n >= 4) {
        copy_fixed<4>(p, src);
        copy_fixed<4>(p + n - 4, src + n - 4);
    } else if (n > 0) {
        p[0] = src[0];
        p[n / 2] = src[n / 2];
        p[n - 1] = src[n - 1];
    }
    return p + n;
}

// Most pieces are a few dozen bytes: inline copies beat a call into memcpy
// for them, and constant pieces fold to plain stores. Bodies can be large.
[[gnu::always_inline]] inline char* put(char* p, std::string_view s) noexcept {
    if (s.size() > 32) {
        std::memcpy(p, s.data(), s.size());
        return p + s.size();
    }
    return put_inline(p, s);
}

constexpr std::size_t refused = static_cast<std::size_t>(-1);

/// The wire size of the user headers and Set-Cookie lines, or `refused` when
/// a name is not a token or a value holds a control byte: one pass checks
/// and sizes them.
std::size_t user_lines_size(const ResponseSpec& spec) noexcept {
    std::size_t size = 0;
    for (const Header& h : spec.headers) {
        if (!is_token(h.name) || !is_field_value(h.value) || is_framing_field(h.name))
            return refused;
        size += crlf.size() + h.name.size() + name_separator.size() + h.value.size();
    }
    for (std::string_view cookie : spec.set_cookies) {
        if (!is_field_value(cookie)) return refused;
        size += set_cookie_line.size() + cookie.size();
    }
    return size;
}

/// The whole response: sized exactly, then written with one prepare/commit.
/// `body_tail` follows `spec.body` (write_error's newline) so no caller has
/// to concatenate into a temporary.
WriteStatus render(Buffer& out, const ResponseSpec& spec, std::string_view date,
                   std::string_view body_tail) {
    const int status = spec.status;
    if (!is_valid_status(status)) return WriteStatus::bad_status;
    if (!spec.content_type_known &&
        (!is_field_value(spec.content_type) || !is_field_value(spec.charset))) {
        return WriteStatus::bad_header;
    }
    const std::size_t user_lines = user_lines_size(spec);
    if (user_lines == refused) return WriteStatus::bad_header;

    // RFC 9110 6.4.1: 1xx, 204 and 304 never carry content, so they get no
    // Content-Length (which would announce one) and no body bytes.
    const bool has_content = status >= 200 && status != 204 && status != 304;
    const bool whole = spec.framing == Framing::whole;
    const bool send_body = has_content && !spec.head_request && whole;
    const bool chunked = has_content && spec.framing == Framing::chunked;
    const bool with_length = has_content && (whole || spec.framing == Framing::length);
    const std::uint64_t body_len =
        whole ? spec.body.size() + body_tail.size() : spec.content_length;
    const std::size_t length_size = decimal_size(body_len);
    // HTTP/1.0 closes by default, but a body that ends with the connection
    // says so: clients that insist on a length or a close get their answer.
    const bool close =
        !spec.keep_alive && (spec.version_minor >= 1 || spec.framing == Framing::close);
    const bool keep_alive = spec.keep_alive && spec.version_minor == 0;
    const std::string_view reason = status == 200 ? "OK" : reason_phrase(status);

    std::size_t total = status_prefix.size() + 4 + reason.size();
    if (with_length) total += content_length_line.size() + length_size;
    if (chunked) total += chunked_line.size();
    if (!spec.content_type.empty()) {
        total += content_type_line.size() + spec.content_type.size();
        if (!spec.charset.empty()) total += charset_param.size() + spec.charset.size();
    }
    total += date_line.size() + date.size();
    if (close) total += close_line.size();
    if (keep_alive) total += keep_alive_line.size();
    total += user_lines + end_of_head.size();
    if (send_body) total += static_cast<std::size_t>(body_len);

    char* const start = out.prepare(total);
    char* p = start;
    if (status == 200 && with_length) {
        p = put_const<ok_with_length>(p);
    } else {
        p = put_const<status_prefix>(p);
        // status is 100..599: always three digits.
        p[0] = static_cast<char>('0' + status / 100);
        std::memcpy(p + 1, &digit_pairs[static_cast<std::size_t>(2 * (status % 100))], 2);
        p[3] = ' ';
        p += 4;
        p = put(p, reason);
        if (with_length) p = put_const<content_length_line>(p);
    }
    if (with_length) p = put_decimal(p, body_len);
    if (chunked) p = put_const<chunked_line>(p);
    if (!spec.content_type.empty()) {
        p = put_const<content_type_line>(p);
        p = put(p, spec.content_type);
        if (!spec.charset.empty()) {
            p = put_const<charset_param>(p);
            p = put(p, spec.charset);
        }
    }
    p = put_const<date_line>(p);
    if (date.size() == date_size) {
        copy_fixed<date_size>(p, date.data());  // the usual case: plain stores
        p += date_size;
    } else {
        p = put(p, date);
    }
    if (close) p = put_const<close_line>(p);
    if (keep_alive) p = put_const<keep_alive_line>(p);
    for (const Header& h : spec.headers) {
        p = put_const<crlf>(p);
        p = put(p, h.name);
        p = put_const<name_separator>(p);
        p = put(p, h.value);
    }
    for (std::string_view cookie : spec.set_cookies) {
        p = put_const<set_cookie_line>(p);
        p = put(p, cookie);
    }
    p = put_const<end_of_head>(p);
    if (send_body) {
        p = put(p, spec.body);
        p = put(p, body_tail);
    }
    out.commit(static_cast<std::size_t>(p - start));
    return WriteStatus::ok;
}

/// The response nearly every request gets: 200 with a type the caller
/// vouches for, no headers of the application's, keep-alive on HTTP/1.1.
/// It needs no validation and no optional header but the charset.
bool is_plain(const ResponseSpec& spec, std::string_view date) noexcept {
    return spec.status == 200 && spec.content_type_known && spec.framing == Framing::whole &&
           (spec.headers.size() | spec.set_cookies.size()) == 0 && spec.keep_alive &&
           spec.version_minor == 1 && !spec.head_request && !spec.content_type.empty() &&
           date.size() == date_size;
}

/// What `render` writes for an `is_plain` spec, without its branches: the
/// common response is then a few constant copies around the length digits,
/// the type, the date and the body. Into room the buffer already has, or
/// into the first block of a buffer with none; false otherwise, nothing
/// written. With memcpy only as the last step, the compiler keeps nearly
/// everything in scratch registers.
bool render_plain(Buffer& out, const ResponseSpec& spec, std::string_view date) {
    // A body that long costs its copy far more than the general path does.
    if (spec.body.size() >= small_decimal_limit) return false;
    // Room is checked for the longest this response can be (all the length
    // digits, a charset parameter), so its exact size need not be worked out.
    const std::size_t most = ok_with_length.size() + small_decimal_size + content_type_line.size() +
                             spec.content_type.size() + charset_param.size() + spec.charset.size() +
                             date_line.size() + date_size + end_of_head.size() + spec.body.size();
    // Short of room, a buffer that has memory grows by the general path's
    // exact size (`most` could double it needlessly); one with none (a
    // keep-alive connection's, between requests) gets its first block here.
    if (out.tail_room() < most && out.capacity() != 0) return false;

    char* const start = out.prepare(most);
    char* p = put_const<ok_with_length>(start);
    p = put_small_decimal(p, spec.body.size());
    p = put_const<content_type_line>(p);
    p = put_inline(p, spec.content_type);
    if (!spec.charset.empty()) {
        p = put_const<charset_param>(p);
        p = put_inline(p, spec.charset);
    }
    p = put_const<date_line>(p);
    copy_fixed<date_size>(p, date.data());
    p = put_const<end_of_head>(p + date_size);
    // The body last, so that nothing is left to do after a call into memcpy.
    out.commit(static_cast<std::size_t>(p - start) + spec.body.size());
    put(p, spec.body);
    return true;
}

}  // namespace

WriteStatus write_response(Buffer& out, const ResponseSpec& spec, std::string_view date) {
    // Anything else, and a buffer with memory that would have to grow, goes
    // the general path: the same bytes, sized exactly.
    if (is_plain(spec, date) && render_plain(out, spec, date)) return WriteStatus::ok;
    return render(out, spec, date, {});
}

void write_error(Buffer& out, int status, std::string_view reason, std::string_view date,
                 bool keep_alive, std::span<const Header> headers) {
    ResponseSpec spec;
    // The engine only sends codes it knows; a code outside the range still
    // has to produce a valid response rather than nothing.
    spec.status = is_valid_status(status) ? status : 500;
    spec.content_type = "text/plain; charset=utf-8";
    spec.content_type_known = true;
    spec.body = reason;
    spec.keep_alive = keep_alive;
    spec.headers = headers;
    render(out, spec, date, "\n");
}

void write_chunk_size(Buffer& out, std::size_t size) {
    constexpr char hex[] = "0123456789abcdef";
    char line[2 * sizeof(std::size_t) + 2];  // hex digits, then CRLF
    char* const end = line + sizeof line;
    char* p = end - 2;
    p[0] = '\r';
    p[1] = '\n';
    for (std::size_t n = size; n; n >>= 4) *--p = hex[n & 0xf];
    out.append(p, static_cast<std::size_t>(end - p));
}

void write_chunk(Buffer& out, std::string_view piece) {
    if (piece.empty()) return;
    write_chunk_size(out, piece.size());
    out.append(piece);
    out.append(chunk_end);
}

void write_last_chunk(Buffer& out) { out.append(last_chunk); }

void write_continue(Buffer& out) { out.append(continue_response); }

}  // namespace lesto::http
