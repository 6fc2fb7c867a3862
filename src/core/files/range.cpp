// range.cpp: Range parsing by the RFC 9110 14.1 grammar, numbers compared by their digits.
#include "files/range.hpp"

#include "http/fields.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

namespace lesto::http {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// A run of 1*DIGIT: its value, saturated at the largest uint64, and
/// whether it saturated. Sizes never reach 2^64 - 1, so a saturated
/// number is past the end of any representation.
struct Number {
    std::uint64_t value = 0;
    bool huge = false;
    std::string_view digits;  ///< without leading zeros; empty for zero
};

/// Reads 1*DIGIT from the front of `s`; false when it does not start with one.
bool read_number(std::string_view& s, Number& n) noexcept {
    std::size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 0) return false;
    std::string_view d = s.substr(0, i);
    s.remove_prefix(i);
    while (!d.empty() && d.front() == '0') d.remove_prefix(1);
    n.digits = d;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (const char c : d) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (n.value > (max - digit) / 10) {
            n.value = max;
            n.huge = true;
            return true;
        }
        n.value = n.value * 10 + digit;
    }
    return true;
}

/// a < b, exactly, however many digits they have.
bool less(const Number& a, const Number& b) noexcept {
    if (a.digits.size() != b.digits.size()) return a.digits.size() < b.digits.size();
    return a.digits < b.digits;
}

/// One range-spec, as read.
struct Spec {
    bool suffix = false;  ///< "-" suffix-length
    Number first;         ///< first-pos, or the suffix-length
    Number last;
    bool has_last = false;
};

/// Reads a whole range-spec (no OWS inside); false when it is not an
/// int-range or suffix-range. other-range (any other visible text) is
/// for other units and means an invalid bytes range here.
bool read_spec(std::string_view s, Spec& spec) noexcept {
    if (!s.empty() && s.front() == '-') {
        s.remove_prefix(1);
        spec.suffix = true;
        return read_number(s, spec.first) && s.empty();
    }
    if (!read_number(s, spec.first) || s.empty() || s.front() != '-') return false;
    s.remove_prefix(1);
    if (s.empty()) return true;
    spec.has_last = true;
    return read_number(s, spec.last) && s.empty();
}

RangeResult resolve(const Spec& spec, std::uint64_t size) noexcept {
    constexpr RangeResult unsatisfiable{RangeKind::unsatisfiable, 0, 0};
    if (spec.suffix) {
        // RFC 9110 14.1.3: a suffix longer than the representation selects
        // all of it; a zero suffix selects nothing.
        if (spec.first.value == 0 || size == 0) return unsatisfiable;
        const std::uint64_t length = spec.first.value < size ? spec.first.value : size;
        return {RangeKind::satisfiable, size - length, length};
    }
    // RFC 9110 14.1.1: last-pos before first-pos makes the range-spec invalid
    // (the field is ignored); 14.1.3: first-pos at or past the end leaves
    // nothing to send.
    if (spec.has_last && less(spec.last, spec.first)) return {};
    if (spec.first.huge || spec.first.value >= size) return unsatisfiable;
    const std::uint64_t last =
        !spec.has_last || spec.last.huge || spec.last.value >= size ? size - 1 : spec.last.value;
    return {RangeKind::satisfiable, spec.first.value, last - spec.first.value + 1};
}

}  // namespace

RangeResult parse_range(std::string_view value, std::uint64_t size) noexcept {
    // ranges-specifier = range-unit "=" range-set
    const std::size_t eq = value.find('=');
    if (eq == std::string_view::npos || !equals_ignoring_case(value.substr(0, eq), "bytes")) {
        return {};
    }
    // range-set = 1#range-spec: exactly one non-empty element is used.
    Spec spec;
    std::size_t specs = 0;
    bool valid = true;
    each_element(value.substr(eq + 1), [&](std::string_view element) {
        if (element.empty()) return true;
        // A second range: the whole representation (see range.hpp).
        valid = ++specs == 1 && read_spec(element, spec);
        return valid;
    });
    if (!valid || specs == 0) return {};
    return resolve(spec, size);
}

std::size_t format_decimal(std::uint64_t v, char* out) noexcept {
    char digits[20];
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
    return n;
}

std::size_t format_content_range(const RangeResult& range, std::uint64_t size, char* out) noexcept {
    constexpr std::string_view unit = "bytes ";
    std::size_t n = static_cast<std::size_t>(std::copy(unit.begin(), unit.end(), out) - out);
    n += format_decimal(range.offset, out + n);
    out[n++] = '-';
    n += format_decimal(range.offset + range.length - 1, out + n);
    out[n++] = '/';
    n += format_decimal(size, out + n);
    return n;
}

std::size_t format_unsatisfied_range(std::uint64_t size, char* out) noexcept {
    constexpr std::string_view unknown = "bytes */";
    char* const p = std::copy(unknown.begin(), unknown.end(), out);
    return unknown.size() + format_decimal(size, p);
}

}  // namespace lesto::http
