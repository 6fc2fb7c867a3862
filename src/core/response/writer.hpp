// writer.hpp: renders a response head and body into an output buffer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "buffer/buffer.hpp"
#include "parser/request.hpp"

namespace lesto::http {

/// How the body's end is told to the client (RFC 9112 section 6.3).
enum class Framing : std::uint8_t {
    whole,    ///< the body is `ResponseSpec::body`, sent with the head (Content-Length)
    length,   ///< `content_length` bytes follow the head later (a file, a stream of known size)
    chunked,  ///< pieces follow, each framed by `write_chunk`, then `write_last_chunk`
    close,    ///< bytes follow until the connection closes (HTTP/1.0 without a length)
};

/// Everything needed to put one response on the wire. Views only: the caller
/// keeps the bytes alive for the duration of `write_response`.
struct ResponseSpec {
    int status = 200;                 ///< 100..599
    std::string_view content_type;    ///< empty: no Content-Type header
    std::string_view charset;         ///< non-empty: "; charset=<charset>" is appended
    std::span<const Header> headers;  ///< user headers, in order
    std::span<const std::string_view> set_cookies;  ///< each a full Set-Cookie value
    std::string_view body;                          ///< Framing::whole only
    Framing framing = Framing::whole;
    std::uint64_t content_length = 0;  ///< Framing::length: the bytes that will follow
    std::uint8_t version_minor = 1;    ///< of the request: decides the Connection default
    bool keep_alive = true;            ///< the connection stays open after this response
    bool head_request = false;         ///< HEAD: same headers, no body bytes
    /// content_type and charset are constants of the caller's, known valid:
    /// not checked again per response (user-supplied values always are).
    bool content_type_known = false;
};

enum class WriteStatus : std::uint8_t { ok, bad_status, bad_header };

/// Append the response to `out`. Nothing is appended unless the result is ok:
/// a status outside 100..599 or a header name/value that is not a valid token /
/// field value (CR, LF, NUL, ...) is refused, as is a user header naming the
/// framing (Content-Length, Transfer-Encoding: the writer frames the body).
/// `date` is the current IMF-fixdate. With a framing other than `whole`, only
/// the head is written; the body follows in the caller's own time.
WriteStatus write_response(Buffer& out, const ResponseSpec& spec, std::string_view date);

/// A minimal response for errors the engine answers itself (400, 408, 413, ...):
/// text/plain body `reason` followed by a newline, `Connection: close` when
/// !keep_alive, and `headers` (valid constants of the caller's, e.g. Retry-After).
void write_error(Buffer& out, int status, std::string_view reason, std::string_view date,
                 bool keep_alive, std::span<const Header> headers = {});

/// One piece of a chunked body (nothing for an empty piece: an empty chunk
/// would end the body).
void write_chunk(Buffer& out, std::string_view piece);
/// The size line of a chunk of `size` bytes (not 0); the chunk's data and
/// then `chunk_end` follow it.
void write_chunk_size(Buffer& out, std::size_t size);
/// What ends every chunk's data.
inline constexpr std::string_view chunk_end = "\r\n";
/// The end of a chunked body: the last chunk and an empty trailer section.
void write_last_chunk(Buffer& out);

/// The interim response to `Expect: 100-continue`.
void write_continue(Buffer& out);

}  // namespace lesto::http
