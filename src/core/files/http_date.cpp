// http_date.cpp: the three HTTP-date forms, read by a cursor over the exact grammar.
#include "files/http_date.hpp"

#include "response/date.hpp"

namespace lesto::http {
namespace {

// The full day names of the RFC 850 form, Sunday first as in day_names.
constexpr std::string_view long_day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday"};

/// Reads `s` left to right; every step either consumes exactly what the
/// grammar asks or fails, leaving the cursor where it was.
class Cursor {
public:
    explicit Cursor(std::string_view s) noexcept : s_(s) {}

    bool done() const noexcept { return s_.empty(); }

    bool literal(std::string_view lit) noexcept {
        if (s_.substr(0, lit.size()) != lit) return false;
        s_.remove_prefix(lit.size());
        return true;
    }

    /// Exactly `n` digits (no sign, no space).
    bool digits(int n, int& out) noexcept {
        if (s_.size() < static_cast<std::size_t>(n)) return false;
        int v = 0;
        for (int i = 0; i < n; ++i) {
            const char c = s_[static_cast<std::size_t>(i)];
            if (c < '0' || c > '9') return false;
            v = v * 10 + (c - '0');
        }
        s_.remove_prefix(static_cast<std::size_t>(n));
        out = v;
        return true;
    }

    /// One of the three-letter names in `names` (day_names or month_names).
    bool short_name(std::string_view names, int& index) noexcept {
        if (s_.size() < 3) return false;
        for (std::size_t i = 0; i + 3 <= names.size(); i += 3) {
            if (s_.substr(0, 3) == names.substr(i, 3)) {
                index = static_cast<int>(i / 3);
                s_.remove_prefix(3);
                return true;
            }
        }
        return false;
    }

    bool long_day_name() noexcept {
        for (std::string_view name : long_day_names)
            if (literal(name)) return true;
        return false;
    }

    /// time-of-day = hour ":" minute ":" second, two digits each.
    bool time_of_day(int& hour, int& minute, int& second) noexcept {
        return digits(2, hour) && literal(":") && digits(2, minute) && literal(":") &&
               digits(2, second);
    }

private:
    std::string_view s_;
};

constexpr bool is_leap(std::int64_t year) noexcept {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr int days_in_month(std::int64_t year, int month) noexcept {
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/// The instant of a date whose fields are read; nullopt when a field is
/// out of range (30 February, hour 24, ...). `month` is 0..11 here.
std::optional<std::int64_t> instant(std::int64_t year, int month, int day, int hour, int minute,
                                    int second) noexcept {
    if (day < 1 || day > days_in_month(year, month + 1) || hour > 23 || minute > 59 ||
        second > 60) {
        return std::nullopt;
    }
    return days_from_civil(year, month + 1, day) * 86400 + std::int64_t{hour} * 3600 +
           std::int64_t{minute} * 60 + second;
}

/// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> imf_fixdate(std::string_view s) noexcept {
    Cursor c(s);
    int wday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (!(c.short_name(day_names, wday) && c.literal(", ") && c.digits(2, day) && c.literal(" ") &&
          c.short_name(month_names, month) && c.literal(" ") && c.digits(4, year) &&
          c.literal(" ") && c.time_of_day(hour, minute, second) && c.literal(" GMT") && c.done())) {
        return std::nullopt;
    }
    return instant(year, month, day, hour, minute, second);
}

/// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> rfc850_date(std::string_view s, std::int64_t now) noexcept {
    Cursor c(s);
    int day = 0, month = 0, yy = 0, hour = 0, minute = 0, second = 0;
    if (!(c.long_day_name() && c.literal(", ") && c.digits(2, day) && c.literal("-") &&
          c.short_name(month_names, month) && c.literal("-") && c.digits(2, yy) && c.literal(" ") &&
          c.time_of_day(hour, minute, second) && c.literal(" GMT") && c.done())) {
        return std::nullopt;
    }
    // RFC 9110 5.6.7: the century that puts the year no more than 50
    // years after now. The current year from `now` (floor division, so a
    // clock before 1970 still gives its year).
    const std::int64_t days = now >= 0 ? now / 86400 : -((-now + 86399) / 86400);
    // 146097 days make 400 years: the estimate is off by a year at most.
    std::int64_t this_year = 1970 + days * 400 / 146097;
    while (days_from_civil(this_year + 1, 1, 1) <= days) ++this_year;
    while (days_from_civil(this_year, 1, 1) > days) --this_year;
    std::int64_t year = this_year - (this_year % 100 + 100) % 100 + yy;
    if (year > this_year + 50) year -= 100;
    if (year <= this_year - 50) year += 100;
    return instant(year, month, day, hour, minute, second);
}

/// "Sun Nov  6 08:49:37 1994"
std::optional<std::int64_t> asctime_date(std::string_view s) noexcept {
    Cursor c(s);
    int wday = 0, day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (!(c.short_name(day_names, wday) && c.literal(" ") && c.short_name(month_names, month) &&
          c.literal(" "))) {
        return std::nullopt;
    }
    // date3 = month SP ( 2DIGIT / ( SP DIGIT ) )
    if (!(c.literal(" ") ? c.digits(1, day) : c.digits(2, day))) return std::nullopt;
    if (!(c.literal(" ") && c.time_of_day(hour, minute, second) && c.literal(" ") &&
          c.digits(4, year) && c.done())) {
        return std::nullopt;
    }
    return instant(year, month, day, hour, minute, second);
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view s, std::int64_t now) noexcept {
    // The forms part ways at the fourth byte: ',' after a short day name,
    // ' ' in asctime, a letter in a long day name.
    if (s.size() < 4) return std::nullopt;
    if (s[3] == ',') return imf_fixdate(s);
    if (s[3] == ' ') return asctime_date(s);
    return rfc850_date(s, now);
}

}  // namespace lesto::http
