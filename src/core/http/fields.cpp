// fields.cpp: showing a field in a message, control bytes escaped.
#include "http/fields.hpp"

namespace lesto::http {

std::string quoted(std::string_view s) {
    constexpr char hex[] = "0123456789abcdef";
    std::string q;
    q.reserve(s.size() + 2);
    q += '\'';
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '\r') {
            q += "\\r";
        } else if (c == '\n') {
            q += "\\n";
        } else if (c == '\t') {
            q += "\\t";
        } else if (is_ctl(c)) {
            q += "\\x";
            q += hex[b >> 4];
            q += hex[b & 0xf];
        } else {
            q += c;
        }
    }
    q += '\'';
    return q;
}

}  // namespace lesto::http
