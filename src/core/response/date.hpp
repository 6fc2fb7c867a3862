// date.hpp: the Date header value, formatted once a second rather than per response.
#pragma once

#include <cstddef>
#include <ctime>
#include <string_view>

namespace lesto::http {

/// The characters of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t http_date_size = 29;

/// The names HTTP-dates use (RFC 9110 5.6.7), three letters each, Sunday
/// and January first: the formatter and the parser (files/http_date.hpp)
/// read them here.
inline constexpr std::string_view day_names = "SunMonTueWedThuFriSat";
inline constexpr std::string_view month_names = "JanFebMarAprMayJunJulAugSepOctNovDec";

/// Writes the IMF-fixdate of `t` (seconds since the epoch) into
/// out[0, http_date_size); false, writing nothing, when its year has no
/// four-digit form (IMF-fixdate has no other).
bool format_http_date(std::time_t t, char* out) noexcept;

/// Holds the IMF-fixdate (RFC 9110 5.6.7) for the current second. The owner
/// calls `refresh` from its periodic tick; responses read `value()`.
class DateCache {
public:
    DateCache() noexcept { refresh(std::time(nullptr)); }
    /// Re-format if `now` is another second than the cached one.
    void refresh(std::time_t now) noexcept;
    std::string_view value() const noexcept { return {buf_, http_date_size}; }

private:
    std::time_t cached_ = -1;
    char buf_[32] = {};
};

}  // namespace lesto::http
