// bytes.cpp: bytes in test messages and under AddressSanitizer.
#include "support/bytes.hpp"

#include <cstdint>
#include <cstring>

namespace lesto::test {

std::string escape(std::string_view bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (const char ch : bytes) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '\r') out += "\\r";
        else if (ch == '\n') out += "\\n";
        else if (ch == '\t') out += "\\t";
        else if (ch == '\\') out += "\\\\";
        else if (ch == '"') out += "\\\"";
        else if (u < 0x20 || u >= 0x7f) (out += "\\x") += {hex[u >> 4], hex[u & 15]};
        else out += ch;
    }
    return out;
}

bool inside(std::string_view v, std::string_view buf) noexcept {
    if (v.data() == nullptr) return v.empty();
    // As integers: comparing pointers into different objects is unspecified.
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    const auto b = reinterpret_cast<std::uintptr_t>(buf.data());
    return p >= b && p - b <= buf.size() && v.size() <= buf.size() - (p - b);
}

// new char[0] too returns an address of its own, which no byte may be read at.
ExactCopy::ExactCopy(std::string_view bytes)
    : bytes_(std::make_unique<char[]>(bytes.size())), size_(bytes.size()) {
    if (!bytes.empty()) std::memcpy(bytes_.get(), bytes.data(), bytes.size());
}

}  // namespace lesto::test
