// utf8.hpp: an incremental UTF-8 validator for text messages and close reasons (RFC 3629).
#pragma once

#include <cstdint>
#include <string_view>

namespace lesto::ws {

/// Validates UTF-8 fed in pieces of any size: a sequence may be cut
/// anywhere, across frames and across reads. Fails at the first byte that
/// no valid text can hold there: a stray continuation byte, C0/C1 (overlong
/// two-byte forms), an overlong three- or four-byte form, a surrogate
/// (U+D800-U+DFFF), anything above U+10FFFF, F5-FF. A text that ends inside
/// a sequence is invalid too: `complete()` says whether it may end here.
class Utf8Validator {
public:
    /// False once the bytes so far cannot be UTF-8 (and from then on).
    bool feed(std::string_view bytes) noexcept;
    /// The bytes so far are whole UTF-8: no sequence is left open.
    bool complete() const noexcept { return state_ == 0; }
    bool failed() const noexcept { return state_ == reject; }
    void reset() noexcept { state_ = 0; }

    static constexpr std::uint8_t reject = 8;

private:
    std::uint8_t state_ = 0;  // 0: between characters; see utf8.cpp for the others
};

/// The whole of `s` is UTF-8.
inline bool is_utf8(std::string_view s) noexcept {
    Utf8Validator v;
    return v.feed(s) && v.complete();
}

}  // namespace lesto::ws
