// grammar.cpp: HTTP's character classes and lists read plainly from RFC 9110.
#include "support/grammar.hpp"

#include <algorithm>
#include <cstddef>

namespace lesto::test {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

}  // namespace

bool token(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), tchar);
}

bool field_value(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), field_byte);
}

bool ieq(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        const std::size_t at = s.find(sep);
        out.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return out;
        s.remove_prefix(at + 1);
    }
}

std::vector<std::string_view> elements(std::string_view v) {
    std::vector<std::string_view> out = split(v, ',');
    for (std::string_view& e : out) e = trim(e);
    return out;
}

}  // namespace lesto::test
