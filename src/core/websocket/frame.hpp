// frame.hpp: RFC 6455 5.2 frame headers, read resumably and written for the server; unmasking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "buffer/buffer.hpp"
#include "websocket/close.hpp"

namespace lesto::ws {

/// Frame opcodes (RFC 6455 5.2, 11.8). A header carries the raw four bits:
/// the others are reserved, for the session to refuse.
enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xa,
};

/// Control frames are the opcodes with the high bit set (5.5).
constexpr bool is_control(std::uint8_t opcode) noexcept { return (opcode & 0x8) != 0; }

/// The RSV bits of a header, as FrameHeader::rsv holds them.
inline constexpr std::uint8_t rsv1 = 4;  ///< permessage-deflate's "compressed" (RFC 7692 6)
inline constexpr std::uint8_t rsv2 = 2;
inline constexpr std::uint8_t rsv3 = 1;

/// Longest header: 2 bytes, a 64-bit length, a mask key.
inline constexpr std::size_t max_header_size = 14;
/// Longest payload of a control frame (5.5).
inline constexpr std::size_t max_control_payload = 125;

struct FrameHeader {
    bool fin = false;
    std::uint8_t rsv = 0;     ///< RSV1..RSV3 as rsv1 | rsv2 | rsv3
    std::uint8_t opcode = 0;  ///< the raw four bits
    bool masked = false;
    std::uint64_t length = 0;
    /// The masking key as its four bytes lie on the wire (memcpy'd), for unmask.
    std::uint32_t mask = 0;
};

/// Reads frame headers from input that may stop anywhere: the bytes of a
/// header cut short are kept (at most 14) and the next call goes on.
/// Checks only what a header alone says about itself: the length is in
/// its shortest form (5.2: "the minimal number of bytes MUST be used") and
/// a 64-bit one has its top bit clear. What the fields mean (masking,
/// opcodes, RSV bits, control frames) is the session's.
class HeaderReader {
public:
    enum class Status : std::uint8_t { complete, incomplete, error };

    /// Reads from `in`; `used` is how many of its bytes were taken (all of
    /// them when incomplete, none after them on error). Complete: `out` is
    /// the header and the next call starts a new one.
    Status read(std::string_view in, std::size_t& used, FrameHeader& out, Failure& error) noexcept;
    /// Whether part of a header has been read.
    bool partial() const noexcept { return have_ != 0; }
    /// Forget what was read of a header (it will be read again from its start).
    void reset() noexcept { have_ = 0; }

private:
    unsigned char stash_[max_header_size] = {};
    std::uint8_t have_ = 0;
};

/// XORs `n` bytes at `p` with the masking key `mask` (5.3), the first of
/// them being byte `offset` of the payload: a payload unmasked in pieces
/// continues where the last piece stopped. Eight bytes a step.
void unmask(char* p, std::size_t n, std::uint32_t mask, std::uint64_t offset) noexcept;

/// The size of a server frame's header for a payload of `n` bytes: 2, 4 or 10.
constexpr std::size_t header_size(std::uint64_t n) noexcept {
    return n <= 125 ? 2 : n <= 0xffff ? 4 : 10;
}

/// Writes an unmasked header (the server's, 5.1) at `p`; returns the end.
/// `rsv` is rsv1 for a compressed message's first frame, else 0.
char* put_header(char* p, bool fin, std::uint8_t rsv, Opcode opcode, std::uint64_t n) noexcept;

/// Appends one whole frame: its header and `payload`.
void write_frame(Buffer& out, Opcode opcode, std::string_view payload, std::uint8_t rsv = 0,
                 bool fin = true);

}  // namespace lesto::ws
