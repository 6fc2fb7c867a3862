// frame.cpp: reading frame headers in pieces, unmasking word-wise, writing server headers.
#include "websocket/frame.hpp"

#include <bit>
#include <cstring>

namespace lesto::ws {
namespace {

/// The header's size from its first two bytes.
std::size_t size_from(unsigned char b1) noexcept {
    const unsigned len7 = b1 & 0x7f;
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    return 2 + ext + ((b1 & 0x80) ? 4 : 0);
}

/// Decodes a whole header at `h`.
Failure decode(const unsigned char* h, FrameHeader& out) noexcept {
    out.fin = (h[0] & 0x80) != 0;
    out.rsv = static_cast<std::uint8_t>((h[0] >> 4) & 0x7);
    out.opcode = h[0] & 0x0f;
    out.masked = (h[1] & 0x80) != 0;
    const unsigned len7 = h[1] & 0x7f;
    const unsigned char* p = h + 2;
    if (len7 < 126) {
        out.length = len7;
    } else if (len7 == 126) {
        out.length = static_cast<std::uint64_t>(p[0]) << 8 | p[1];
        p += 2;
        if (out.length < 126) return failures::non_minimal_length;
    } else {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
        p += 8;
        if (v >> 63) return failures::long_length;
        if (v <= 0xffff) return failures::non_minimal_length;
        out.length = v;
    }
    out.mask = 0;
    if (out.masked) std::memcpy(&out.mask, p, sizeof out.mask);
    return {};
}

/// The key turned so that its first byte in memory masks payload byte
/// `offset`: byte i of the result is mask byte (offset + i) % 4.
std::uint32_t rotate_key(std::uint32_t mask, std::uint64_t offset) noexcept {
    const int bits = static_cast<int>(offset % 4) * 8;
    if constexpr (std::endian::native == std::endian::little) return std::rotr(mask, bits);
    else return std::rotl(mask, bits);
}

}  // namespace

HeaderReader::Status HeaderReader::read(std::string_view in, std::size_t& used, FrameHeader& out,
                                        Failure& error) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    if (have_ == 0 && n >= 2 && n >= size_from(p[1])) {
        // The usual case: the whole header is in this input.
        used = size_from(p[1]);
        error = decode(p, out);
        return error ? Status::error : Status::complete;
    }
    std::size_t i = 0;
    while (have_ < 2 && i < n) stash_[have_++] = p[i++];
    if (have_ < 2) {
        used = i;
        return Status::incomplete;
    }
    const std::size_t need = size_from(stash_[1]);
    const std::size_t take = need - have_ < n - i ? need - have_ : n - i;
    if (take) std::memcpy(stash_ + have_, p + i, take);
    have_ = static_cast<std::uint8_t>(have_ + take);
    used = i + take;
    if (have_ < need) return Status::incomplete;
    have_ = 0;
    error = decode(stash_, out);
    return error ? Status::error : Status::complete;
}

void unmask(char* p, std::size_t n, std::uint32_t mask, std::uint64_t offset) noexcept {
    const std::uint32_t key = rotate_key(mask, offset);
    std::size_t i = 0;
    if (n >= 8) {
        // memcpy loads and stores: no alignment to care for, and GCC and
        // clang turn the 16-byte steps into vector code.
        const std::uint64_t key8 = static_cast<std::uint64_t>(key) << 32 | key;
        for (; i + 16 <= n; i += 16) {
            std::uint64_t a, b;
            std::memcpy(&a, p + i, 8);
            std::memcpy(&b, p + i + 8, 8);
            a ^= key8;
            b ^= key8;
            std::memcpy(p + i, &a, 8);
            std::memcpy(p + i + 8, &b, 8);
        }
        if (i + 8 <= n) {
            std::uint64_t a;
            std::memcpy(&a, p + i, 8);
            a ^= key8;
            std::memcpy(p + i, &a, 8);
            i += 8;
        }
    }
    unsigned char k[4];
    std::memcpy(k, &key, 4);
    for (std::size_t j = 0; i < n; ++i, ++j) p[i] = static_cast<char>(p[i] ^ k[j & 3]);
}

char* put_header(char* p, bool fin, std::uint8_t rsv, Opcode opcode, std::uint64_t n) noexcept {
    *p++ = static_cast<char>((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | static_cast<unsigned>(opcode));
    if (n <= 125) {
        *p++ = static_cast<char>(n);
    } else if (n <= 0xffff) {
        *p++ = 126;
        *p++ = static_cast<char>(n >> 8);
        *p++ = static_cast<char>(n & 0xff);
    } else {
        *p++ = 127;
        for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<char>((n >> shift) & 0xff);
    }
    return p;
}

void write_frame(Buffer& out, Opcode opcode, std::string_view payload, std::uint8_t rsv, bool fin) {
    const std::size_t total = header_size(payload.size()) + payload.size();
    char* p = put_header(out.prepare(total), fin, rsv, opcode, payload.size());
    if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
    out.commit(total);
}

}  // namespace lesto::ws
