// http_date.hpp: reading an HTTP-date in the three forms RFC 9110 5.6.7 makes recipients accept.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lesto::http {

/// Seconds since the epoch (UTC) of the HTTP-date `s`, in any of its forms:
///
///     Sun, 06 Nov 1994 08:49:37 GMT    IMF-fixdate (what we send)
///     Sunday, 06-Nov-94 08:49:37 GMT   obsolete RFC 850 form
///     Sun Nov  6 08:49:37 1994         ANSI C asctime() form
///
/// `now` (seconds since the epoch) places the RFC 850 form's two-digit
/// year: the RFC reads a year that would be more than 50 years after
/// `now` as the most recent past year with those last two digits.
///
/// nullopt when `s` is none of these: a recipient ignores a condition
/// whose date is invalid (RFC 9110 13.1.3, 13.1.4), so "no date" is the
/// answer, never an error. HTTP-date is case-sensitive and has no room
/// for extra whitespace; the caller has trimmed the field's OWS. The day
/// name must be one, but need not agree with the date (the RFC asks
/// nothing of a recipient there). A second of 60 (a leap second) counts
/// as the first second of the next minute.
std::optional<std::int64_t> parse_http_date(std::string_view s, std::int64_t now) noexcept;

/// Days from 1970-01-01 to the proleptic Gregorian `year`-`month`-`day`
/// (month 1..12, day 1..31, not checked here); negative before 1970.
constexpr std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept {
    // Count from 0000-03-01, so that the leap day ends a year: the day
    // of the year is then a linear function of the month (153 days per
    // five months, March to July and August to December).
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const std::int64_t year_of_era = year - era * 400;
    const int shifted_month = month > 2 ? month - 3 : month + 9;
    const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;  // 719468: 0000-03-01 to 1970-01-01
}

}  // namespace lesto::http
