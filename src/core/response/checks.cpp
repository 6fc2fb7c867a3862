// checks.cpp: the writer's refusals in words.
#include "response/checks.hpp"

#include "http/fields.hpp"
#include "response/status.hpp"

namespace lesto::http {
namespace {

/// "byte 0x0d at position 10"
std::string byte_at(std::string_view s, std::size_t pos) {
    constexpr char hex[] = "0123456789abcdef";
    const auto b = static_cast<unsigned char>(s[pos]);
    return std::string("byte 0x") + hex[b >> 4] + hex[b & 0xf] + " at position " +
           std::to_string(pos);
}

/// `what` is not a field value: say why, or return empty when it is one.
std::string value_reason(std::string_view what, std::string_view value) {
    const std::size_t pos = find_non_field_char(value);
    if (pos == std::string_view::npos) return {};
    return std::string(what) + " " + quoted(value) + ": " + byte_at(value, pos) +
           " is not allowed; " + std::string(field_value_rule);
}

std::string name_reason(std::string_view name) {
    if (name.empty()) return "a header name is empty; " + token_rule();
    const std::size_t pos = find_non_tchar(name);
    if (pos == std::string_view::npos) return {};
    return "header name " + quoted(name) + ": " + byte_at(name, pos) + " is not allowed; " +
           token_rule();
}

}  // namespace

bool is_framing_field(std::string_view name) noexcept {
    return equals_ignoring_case(name, "content-length") ||
           equals_ignoring_case(name, "transfer-encoding");
}

bool is_content_length(std::string_view name) noexcept {
    return equals_ignoring_case(name, "content-length");
}

bool declared_length(std::string_view value, std::uint64_t& out) noexcept {
    if (value.empty() || value.size() > 18) return false;  // 18 digits cannot overflow
    out = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

std::string token_rule() {
    return "a token holds letters, digits and " + std::string(token_symbols());
}

std::string refusal_reason(const ResponseSpec& spec) {
    if (!is_valid_status(spec.status)) {
        return "status " + std::to_string(spec.status) + " is not a status code (" +
               std::to_string(first_status) + "-" + std::to_string(last_status) + ")";
    }
    std::string reason;
    if (!spec.content_type_known) {
        if (!(reason = value_reason("Content-Type", spec.content_type)).empty()) return reason;
        if (!(reason = value_reason("charset", spec.charset)).empty()) return reason;
    }
    for (const Header& h : spec.headers) {
        if (!(reason = name_reason(h.name)).empty()) return reason;
        if (is_framing_field(h.name)) {
            return "header " + quoted(h.name) + " is the server's: it frames the body itself";
        }
        if (!(reason = value_reason("header " + quoted(h.name) + " value", h.value)).empty())
            return reason;
    }
    for (std::string_view cookie : spec.set_cookies) {
        if (!(reason = value_reason("Set-Cookie", cookie)).empty()) return reason;
    }
    return {};
}

}  // namespace lesto::http
