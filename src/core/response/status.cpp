// status.cpp: the reason-phrase table for 100..599, built at compile time.
#include "response/status.hpp"

#include <array>
#include <cstddef>

namespace lesto::http {
namespace {

struct Registered {
    int code;
    std::string_view phrase;
};

// The IANA HTTP Status Code Registry, with RFC 9110's names (413 "Content Too
// Large", 422 "Unprocessable Content"). Two deliberate departures: 306 keeps
// the registry's "(Unused)" because nobody sends it, while 418 gets the phrase
// every client and framework knows instead of "(Unused)", since applications
// that send 418 do it for exactly that phrase.
constexpr Registered registered[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {306, "(Unused)"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

constexpr std::size_t slot(int status) noexcept {
    return static_cast<std::size_t>(status - first_status);
}

// One entry per code so a lookup is a bounds check and an index; the generic
// class phrase fills the gaps so an unregistered code still gets a phrase.
constexpr auto phrases = [] {
    constexpr std::string_view generic[] = {
        "Unknown Informational", "Unknown Success",      "Unknown Redirection",
        "Unknown Client Error",  "Unknown Server Error",
    };
    std::array<std::string_view, slot(last_status) + 1> table{};
    for (int code = first_status; code <= last_status; ++code) {
        table[slot(code)] = generic[code / 100 - 1];
    }
    for (const Registered& r : registered) table[slot(r.code)] = r.phrase;
    return table;
}();

}  // namespace

std::string_view reason_phrase(int status) noexcept {
    if (!is_valid_status(status)) return {};
    return phrases[slot(status)];
}

}  // namespace lesto::http
