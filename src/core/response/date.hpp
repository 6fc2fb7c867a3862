// date.hpp: the Date header value, formatted once a second rather than per response.
#pragma once

#include <ctime>
#include <string_view>

namespace lesto::http {

/// Holds the IMF-fixdate (RFC 9110 5.6.7) for the current second. The owner
/// calls `refresh` from its periodic tick; responses read `value()`.
class DateCache {
public:
    DateCache() noexcept { refresh(std::time(nullptr)); }
    /// Re-format if `now` is another second than the cached one.
    void refresh(std::time_t now) noexcept;
    std::string_view value() const noexcept { return {buf_, 29}; }

private:
    std::time_t cached_ = -1;
    char buf_[32] = {};
};

}  // namespace lesto::http
