// percent.cpp: percent-decoding of a request path.
#include "parser/percent.hpp"

namespace lesto::http {

namespace detail {

void decode_escapes(std::string_view in, std::string& out, bool keep_reserved) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        int hi = -1;
        int lo = -1;
        if (in[i] == '%' && i + 2 < in.size() && (hi = hex_digit_value(in[i + 1])) >= 0 &&
            (lo = hex_digit_value(in[i + 2])) >= 0) {
            const char c = static_cast<char>(hi * 16 + lo);
            if (keep_reserved && (c == '/' || c == '%')) {
                out.append(in.substr(i, 3));
            } else {
                out.push_back(c);
            }
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
}

}  // namespace detail

}  // namespace lesto::http
