// date.cpp: formats the IMF-fixdate by hand, once per second.
#include "response/date.hpp"

#include <cstddef>
#include <cstring>

namespace lesto::http {
namespace {

// strftime would do, but its %a and %b follow LC_TIME, and an embedding
// application may set a locale; HTTP dates are always English.

void put2(char* p, int v) noexcept {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

/// Writes the 29 characters of "Sun, 06 Nov 1994 08:49:37 GMT"; false when
/// the year has no four-digit form (IMF-fixdate has no other).
bool format(const std::tm& tm, char* out) noexcept {
    long year = tm.tm_year + 1900L;
    if (year < 0 || year > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        return false;
    }
    std::memcpy(out, day_names.data() + 3 * std::ptrdiff_t{tm.tm_wday}, 3);
    out[3] = ',';
    out[4] = ' ';
    put2(out + 5, tm.tm_mday);
    out[7] = ' ';
    std::memcpy(out + 8, month_names.data() + 3 * std::ptrdiff_t{tm.tm_mon}, 3);
    out[11] = ' ';
    put2(out + 12, static_cast<int>(year / 100));
    put2(out + 14, static_cast<int>(year % 100));
    out[16] = ' ';
    put2(out + 17, tm.tm_hour);
    out[19] = ':';
    put2(out + 20, tm.tm_min);
    out[22] = ':';
    // tm_sec may be 60 on a leap second; "60" is what RFC 5322 allows there.
    put2(out + 23, tm.tm_sec);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a fixed-width field, not a C string
    std::memcpy(out + 25, " GMT", 4);
    return true;
}

}  // namespace

bool format_http_date(std::time_t t, char* out) noexcept {
    std::tm tm{};
    return gmtime_r(&t, &tm) != nullptr && format(tm, out);
}

void DateCache::refresh(std::time_t now) noexcept {
    // buf_[0] is NUL only before the first successful format, so a clock
    // that reads -1 (cached_'s initial value) still gets formatted.
    if (now == cached_ && buf_[0] != '\0') return;
    if (format_http_date(now, buf_)) {
        cached_ = now;
        return;
    }
    // An unrepresentable clock keeps the last good value; with none yet, the
    // epoch is still a well-formed header, where NUL bytes would not be.
    if (buf_[0] == '\0' && format_http_date(0, buf_)) cached_ = 0;
}

}  // namespace lesto::http
