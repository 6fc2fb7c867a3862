// parser.hpp: the HTTP/1.x request-head parser (picohttpparser's contract, strict framing).
#pragma once

#include "parser/limits.hpp"
#include "parser/request.hpp"
#include "parser/scan.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lesto::http {

/// Why a request was refused: an HTTP status and a short human reason that
/// goes into the response body. `reason` points to static storage; every
/// error there is is defined in errors.hpp.
struct ParseError {
    int status = 0;
    std::string_view reason;
};

enum class ParseStatus : std::uint8_t { complete, incomplete, error };

struct ParseResult {
    ParseStatus status = ParseStatus::incomplete;
    std::size_t consumed = 0;  ///< head bytes, when complete
    ParseError error;          ///< when status == error
};

/// Parses one request head from the start of a buffer. No I/O, no allocation
/// per header: headers land in `out.headers`, whose capacity is reserved once.
/// Resumable: call again with the same buffer grown by more bytes; bytes that
/// were already scanned are not scanned again for the end of the head.
class RequestParser {
public:
    /// `scanners` is for tests, which run every version the CPU has.
    explicit RequestParser(const Limits& limits,
                           const scan::Scanners& scanners = scan::best()) noexcept
        : limits_(&limits), scan_(&scanners) {}

    ParseResult parse(std::string_view data, RequestHead& out);
    /// Forget the resume position; call before parsing the next request.
    /// One store: the resume state is set afresh when a head first goes
    /// the resumable way (parse, whole_head.cpp).
    void reset() noexcept { stage_ = Stage::fresh; }

private:
    // Every stage scans forward from scanned_ and stops at the first byte that
    // ends it; when the data runs out, scanned_ remembers where to go on, so no
    // byte of the head is looked at twice by the scanners, however it is split.
    enum class Stage : std::uint8_t {
        fresh,  // nothing seen: clear `out` first
        start,  // skipping empty lines before the request line (RFC 9112 2.2)
        method,
        target,
        version,
        name,  // start of a field line, or the blank line that ends the head
        value,
        done,
        failed,
    };
    /// The resumable parser (parser.cpp); parse() has the fast path (whole_head.cpp).
    ParseResult resume(std::string_view data, RequestHead& out);
    ParseResult fail(ParseError e) noexcept;

    const Limits* limits_;
    const scan::Scanners* scan_;
    const char* base_ = nullptr;  // data() of the last call, to rebase views when the buffer moved
    std::size_t line_ = 0;        // start of the line being parsed
    std::size_t scanned_ = 0;     // resume point: bytes before it in this line are already checked
    std::size_t mark_ = 0;        // end of the method, or the colon of a field line
    std::size_t mark2_ = 0;       // end of the request-target
    std::size_t query_ = 0;       // first '?' of the request-target, 0 when none yet
    Stage stage_{};
    std::uint8_t seen_ = 0;  // framing headers seen so far (flags in head_rules.hpp)
    ParseError error_;       // repeated if parse is called again after an error
};

}  // namespace lesto::http
