// utf8.cpp: the UTF-8 validator as a state machine over byte classes, with an ASCII fast path.
#include "websocket/utf8.hpp"

#include <array>
#include <cstddef>
#include <cstring>

namespace lesto::ws {
namespace {

// The well-formed sequences of Unicode's table 3-7 (RFC 3629 section 4).
// Which continuation bytes may follow depends on the lead byte only where a
// range is cut short: after E0 (no overlongs), ED (no surrogates), F0 (no
// overlongs) and F4 (nothing above U+10FFFF); so the states are "n more
// continuation bytes of any kind" and one state for each of those four.
enum State : std::uint8_t {
    accept = 0,
    need1 = 1,
    need2 = 2,
    need3 = 3,
    after_e0 = 4,  // then A0-BF
    after_ed = 5,  // then 80-9F
    after_f0 = 6,  // then 90-BF
    after_f4 = 7,  // then 80-8F
    reject = Utf8Validator::reject,
};

// Byte classes: the ranges the states tell apart.
enum Class : std::uint8_t {
    ascii,     // 00-7F
    cont_lo,   // 80-8F
    cont_mid,  // 90-9F
    cont_hi,   // A0-BF
    never,     // C0, C1 (overlong), F5-FF
    lead2,     // C2-DF
    e0,
    lead3,  // E1-EC, EE, EF
    ed,
    f0,
    lead4,  // F1-F3
    f4,
    class_count,
};

constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> t{};
    for (int b = 0; b < 256; ++b) {
        Class c = never;
        if (b < 0x80) c = ascii;
        else if (b < 0x90) c = cont_lo;
        else if (b < 0xa0) c = cont_mid;
        else if (b < 0xc0) c = cont_hi;
        else if (b >= 0xc2 && b < 0xe0) c = lead2;
        else if (b == 0xe0) c = e0;
        else if (b == 0xed) c = ed;
        else if (b > 0xe0 && b < 0xf0) c = lead3;
        else if (b == 0xf0) c = f0;
        else if (b > 0xf0 && b < 0xf4) c = lead4;
        else if (b == 0xf4) c = f4;
        t[static_cast<std::size_t>(b)] = c;
    }
    return t;
}
constexpr std::array<std::uint8_t, 256> classes = make_classes();

using Row = std::array<std::uint8_t, class_count>;

constexpr std::array<Row, 9> make_transitions() {
    std::array<Row, 9> t{};
    for (Row& r : t) r.fill(reject);
    t[accept][ascii] = accept;
    t[accept][lead2] = need1;
    t[accept][e0] = after_e0;
    t[accept][lead3] = need2;
    t[accept][ed] = after_ed;
    t[accept][f0] = after_f0;
    t[accept][lead4] = need3;
    t[accept][f4] = after_f4;
    for (const Class c : {cont_lo, cont_mid, cont_hi}) {
        t[need1][c] = accept;
        t[need2][c] = need1;
        t[need3][c] = need2;
    }
    t[after_e0][cont_hi] = need1;
    t[after_ed][cont_lo] = need1;
    t[after_ed][cont_mid] = need1;
    t[after_f0][cont_mid] = need2;
    t[after_f0][cont_hi] = need2;
    t[after_f4][cont_lo] = need2;
    return t;
}
constexpr std::array<Row, 9> transitions = make_transitions();

constexpr std::uint64_t high_bits = 0x8080808080808080;

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::uint8_t s = state_;
    std::size_t i = 0;
    while (i < n) {
        if (s == accept) {
            // Between characters, ASCII goes eight bytes a step: most text is.
            while (i + 8 <= n) {
                std::uint64_t w;
                std::memcpy(&w, p + i, sizeof w);
                if (w & high_bits) break;
                i += 8;
            }
            if (i == n) break;
        }
        s = transitions[s][classes[p[i]]];
        if (s == reject) break;
        ++i;
    }
    state_ = s;
    return s != reject;
}

}  // namespace lesto::ws
