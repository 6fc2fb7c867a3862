// writer.cpp: renders a response into one exact-size reservation of the output buffer.
#include "response/writer.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "response/status.hpp"

namespace lesto::http {
namespace {

constexpr std::string_view http_version = "HTTP/1.1 ";
constexpr std::string_view ok_status_line = "HTTP/1.1 200 OK\r\n";
constexpr std::string_view content_length_name = "Content-Length: ";
constexpr std::string_view content_type_name = "Content-Type: ";
constexpr std::string_view charset_param = "; charset=";
constexpr std::string_view date_name = "Date: ";
constexpr std::string_view connection_close = "Connection: close\r\n";
constexpr std::string_view connection_keep_alive = "Connection: keep-alive\r\n";
constexpr std::string_view set_cookie_name = "Set-Cookie: ";
constexpr std::string_view name_separator = ": ";
constexpr std::string_view crlf = "\r\n";
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

constexpr unsigned char token_char = 1;
constexpr unsigned char field_char = 2;

// RFC 9110 5.6.2 tchar, and field-value bytes: HTAB, SP, VCHAR, obs-text.
// Every other control byte is refused, not only CR/LF/NUL, because some
// peers treat a bare CR or VT as a line break and would see a second header.
constexpr auto char_classes = [] {
    std::array<unsigned char, 256> table{};
    for (int c = 0; c < 256; ++c) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        bool token = alnum || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
        bool field = c == '\t' || (c >= 0x20 && c != 0x7f);
        table[static_cast<std::size_t>(c)] =
            static_cast<unsigned char>((token ? token_char : 0) | (field ? field_char : 0));
    }
    return table;
}();

bool all_of_class(std::string_view s, unsigned char cls) noexcept {
    for (char c : s) {
        if (!(char_classes[static_cast<unsigned char>(c)] & cls)) return false;
    }
    return true;
}

bool is_token(std::string_view s) noexcept { return !s.empty() && all_of_class(s, token_char); }
bool is_field_value(std::string_view s) noexcept { return all_of_class(s, field_char); }

std::size_t decimal_length(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

// Hand-rolled because snprintf parses a format string and consults the locale
// on every call, which is measurable at a million responses a second.
char* put_decimal(char* p, std::uint64_t v, std::size_t len) noexcept {
    char* end = p + len;
    do {
        *--end = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return p + len;
}

char* put(char* p, std::string_view s) noexcept {
    // A default string_view has a null data(); memcpy from null is undefined
    // even for zero bytes.
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return p + s.size();
}

bool valid_headers(const ResponseSpec& spec) noexcept {
    if (!is_field_value(spec.content_type) || !is_field_value(spec.charset)) return false;
    for (const Header& h : spec.headers) {
        if (!is_token(h.name) || !is_field_value(h.value)) return false;
    }
    for (std::string_view cookie : spec.set_cookies) {
        if (!is_field_value(cookie)) return false;
    }
    return true;
}

/// The whole response: sized exactly, then written with one prepare/commit.
/// `body_tail` follows `spec.body` (write_error's newline) so no caller has
/// to concatenate into a temporary.
WriteStatus render(Buffer& out, const ResponseSpec& spec, std::string_view date,
                   std::string_view body_tail) {
    const int status = spec.status;
    if (status < 100 || status > 599) return WriteStatus::bad_status;
    if (!valid_headers(spec)) return WriteStatus::bad_header;

    // RFC 9110 6.4.1: 1xx, 204 and 304 never carry content, so they get no
    // Content-Length (which would announce one) and no body bytes.
    const bool has_content = status >= 200 && status != 204 && status != 304;
    const bool send_body = has_content && !spec.head_request;
    const std::size_t body_len = spec.body.size() + body_tail.size();
    const std::size_t length_digits = decimal_length(body_len);
    const bool close = !spec.keep_alive && spec.version_minor >= 1;
    const bool keep_alive = spec.keep_alive && spec.version_minor == 0;
    const std::string_view reason = reason_phrase(status);

    std::size_t total = http_version.size() + 4 + reason.size() + crlf.size();
    if (has_content) total += content_length_name.size() + length_digits + crlf.size();
    if (!spec.content_type.empty()) {
        total += content_type_name.size() + spec.content_type.size() + crlf.size();
        if (!spec.charset.empty()) total += charset_param.size() + spec.charset.size();
    }
    total += date_name.size() + date.size() + crlf.size();
    if (close) total += connection_close.size();
    if (keep_alive) total += connection_keep_alive.size();
    for (const Header& h : spec.headers) {
        total += h.name.size() + name_separator.size() + h.value.size() + crlf.size();
    }
    for (std::string_view cookie : spec.set_cookies) {
        total += set_cookie_name.size() + cookie.size() + crlf.size();
    }
    total += crlf.size();
    if (send_body) total += body_len;

    char* const start = out.prepare(total);
    char* p = start;
    if (status == 200) {
        p = put(p, ok_status_line);
    } else {
        p = put(p, http_version);
        p = put_decimal(p, static_cast<std::uint64_t>(status), 3);
        *p++ = ' ';
        p = put(p, reason);
        p = put(p, crlf);
    }
    if (has_content) {
        p = put(p, content_length_name);
        p = put_decimal(p, body_len, length_digits);
        p = put(p, crlf);
    }
    if (!spec.content_type.empty()) {
        p = put(p, content_type_name);
        p = put(p, spec.content_type);
        if (!spec.charset.empty()) {
            p = put(p, charset_param);
            p = put(p, spec.charset);
        }
        p = put(p, crlf);
    }
    p = put(p, date_name);
    p = put(p, date);
    p = put(p, crlf);
    if (close) p = put(p, connection_close);
    if (keep_alive) p = put(p, connection_keep_alive);
    for (const Header& h : spec.headers) {
        p = put(p, h.name);
        p = put(p, name_separator);
        p = put(p, h.value);
        p = put(p, crlf);
    }
    for (std::string_view cookie : spec.set_cookies) {
        p = put(p, set_cookie_name);
        p = put(p, cookie);
        p = put(p, crlf);
    }
    p = put(p, crlf);
    if (send_body) {
        p = put(p, spec.body);
        p = put(p, body_tail);
    }
    out.commit(static_cast<std::size_t>(p - start));
    return WriteStatus::ok;
}

}  // namespace

WriteStatus write_response(Buffer& out, const ResponseSpec& spec, std::string_view date) {
    return render(out, spec, date, {});
}

void write_error(Buffer& out, int status, std::string_view reason, std::string_view date,
                 bool keep_alive) {
    ResponseSpec spec;
    // The engine only sends codes it knows; a code outside the range still
    // has to produce a valid response rather than nothing.
    spec.status = (status >= 100 && status <= 599) ? status : 500;
    spec.content_type = "text/plain";
    spec.charset = "utf-8";
    spec.body = reason;
    spec.keep_alive = keep_alive;
    render(out, spec, date, "\n");
}

void write_continue(Buffer& out) { out.append(continue_response); }

}  // namespace lesto::http
