// close.cpp: reading and writing the payload of close frames.
#include "websocket/close.hpp"

#include <cstring>

#include "websocket/utf8.hpp"

namespace lesto::ws {

Failure read_close(std::string_view payload, ClosePayload& out) noexcept {
    out = {};
    if (payload.empty()) return {};
    if (payload.size() == 1) return failures::close_one_byte;
    const auto hi = static_cast<unsigned char>(payload[0]);
    const auto lo = static_cast<unsigned char>(payload[1]);
    const auto c = static_cast<std::uint16_t>(hi << 8 | lo);
    if (!is_sendable_code(c)) return failures::close_code;
    const std::string_view reason = payload.substr(2);
    if (!is_utf8(reason)) return failures::close_reason_utf8;
    out.code = c;
    out.reason = reason;
    return {};
}

char* put_close(char* p, std::uint16_t c, std::string_view reason) noexcept {
    *p++ = static_cast<char>(c >> 8);
    *p++ = static_cast<char>(c & 0xff);
    if (!reason.empty()) std::memcpy(p, reason.data(), reason.size());
    return p + reason.size();
}

}  // namespace lesto::ws
