// close.hpp: close codes (RFC 6455 7.4), the close frame's payload, and every failure the protocol
// layer reports, one definition each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lesto::ws {

/// Close codes of RFC 6455 7.4.1 that the engine itself uses.
namespace code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
/// Never on the wire: what the application hears when a close frame had no code.
inline constexpr std::uint16_t no_status = 1005;
/// Never on the wire: the connection ended without a close frame.
inline constexpr std::uint16_t abnormal = 1006;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace code

/// Whether `c` may stand in a close frame: 1000-1003 and 1007-1014 (RFC
/// 6455 7.4.1 and the IANA registry, which added 1012-1014), 3000-4999
/// (registered and private use). 1004 is reserved; 1005, 1006 and 1015 are
/// for reporting only; everything else below 3000 is unassigned.
constexpr bool is_sendable_code(std::uint16_t c) noexcept {
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/// The longest reason a close frame holds: a control frame's 125 bytes less the code.
inline constexpr std::size_t max_close_reason = 123;

/// Why the session failed the connection: the close code it sent and a
/// reason in words (static storage), which also goes into the close frame.
struct Failure {
    std::uint16_t code = 0;  ///< 0: no failure
    std::string_view reason;
    explicit operator bool() const noexcept { return code != 0; }
};

namespace failures {
// ---- frames (RFC 6455 5.2) ----
inline constexpr Failure unmasked{code::protocol_error, "client frames must be masked"};
inline constexpr Failure reserved_bits{code::protocol_error, "reserved bits set"};
inline constexpr Failure unknown_opcode{code::protocol_error, "unknown opcode"};
inline constexpr Failure long_length{code::protocol_error,
                                     "64-bit payload length with the top bit set"};
inline constexpr Failure non_minimal_length{code::protocol_error,
                                            "payload length not in its shortest form"};
// ---- control frames (5.5) ----
inline constexpr Failure fragmented_control{code::protocol_error, "fragmented control frame"};
inline constexpr Failure long_control{code::protocol_error, "control frame over 125 bytes"};
inline constexpr Failure compressed_control{code::protocol_error, "compressed control frame"};
// ---- fragmentation (5.4) ----
inline constexpr Failure stray_continuation{code::protocol_error,
                                            "continuation frame without a message to continue"};
inline constexpr Failure interleaved_message{code::protocol_error,
                                             "new message before the last one ended"};
inline constexpr Failure compressed_continuation{code::protocol_error,
                                                 "RSV1 on a continuation frame"};
// ---- close frames (5.5.1, 7.4) ----
inline constexpr Failure close_one_byte{code::protocol_error, "close frame of one byte"};
inline constexpr Failure close_code{code::protocol_error, "invalid close code"};
inline constexpr Failure close_reason_utf8{code::invalid_payload,
                                           "close reason is not valid UTF-8"};
// ---- messages (8.1, 10.4; RFC 7692) ----
inline constexpr Failure text_utf8{code::invalid_payload, "text message is not valid UTF-8"};
inline constexpr Failure frame_too_big{code::too_big, "frame too big"};
inline constexpr Failure message_too_big{code::too_big, "message too big"};
inline constexpr Failure bad_compression{code::protocol_error,
                                         "compressed message does not inflate"};
inline constexpr Failure compression_failed{code::internal_error, "compression failed"};
}  // namespace failures

/// What a close frame says.
struct ClosePayload {
    std::uint16_t code = code::no_status;  ///< no_status when the frame is empty
    std::string_view reason;               ///< a view into the payload
};

/// Reads a received close frame's payload (unmasked): empty, or a code
/// and a reason. Refuses one byte, a code that may not be sent and a reason
/// that is not UTF-8; returns no failure otherwise.
Failure read_close(std::string_view payload, ClosePayload& out) noexcept;

/// The bytes of a close frame's payload for `code` and `reason` at `p`
/// (2 + reason.size() bytes; the caller keeps the reason within
/// max_close_reason). Returns the end.
char* put_close(char* p, std::uint16_t code, std::string_view reason) noexcept;

}  // namespace lesto::ws
