// errors.hpp: every error the request parser and the chunked decoder give, one definition each.
#pragma once

#include "parser/parser.hpp"

namespace lesto::http::errors {

// A reason goes to the client as the body of the error response: it names
// exactly what was wrong, in the words of RFC 9110/9112 where they have one.
// tests/cases hold a case for each (ParserErrors.EveryErrorIsGivenBySomeCase).

// ---- limits (limits.hpp) ----
inline constexpr ParseError head_too_large{431, "request header section too large"};
inline constexpr ParseError line_too_long{414, "request line too long"};
inline constexpr ParseError too_many_fields{431, "too many header fields"};

// ---- line ends: CRLF only (RFC 9112 2.2 lets a server take a bare LF) ----
inline constexpr ParseError bare_lf{400, "bare LF (line ends must be CRLF)"};
inline constexpr ParseError bare_cr{400, "bare CR (line ends must be CRLF)"};

// ---- request line (RFC 9112 3) ----
inline constexpr ParseError line_starts_with_space{400, "request line starts with a space"};
inline constexpr ParseError invalid_method{400, "invalid character in method"};
inline constexpr ParseError missing_target{400, "missing request target"};
inline constexpr ParseError space_after_method{400, "more than one space after the method"};
inline constexpr ParseError invalid_target{400, "invalid character in request target"};
inline constexpr ParseError missing_version{400, "missing HTTP version"};
inline constexpr ParseError space_before_version{400,
                                                 "more than one space before the HTTP version"};
inline constexpr ParseError after_version{400, "HTTP version not followed by CRLF"};
inline constexpr ParseError malformed_version{400, "malformed HTTP version"};
inline constexpr ParseError version_not_supported{505, "HTTP version not supported"};
inline constexpr ParseError connect{501, "CONNECT is not supported"};
inline constexpr ParseError fragment{400, "fragment in request target"};
inline constexpr ParseError asterisk_not_options{400, "asterisk-form target is only for OPTIONS"};
inline constexpr ParseError target_form{400, "request target is not a path, an http(s) URI or *"};
inline constexpr ParseError target_host{400, "invalid host in request target"};

// ---- field lines (RFC 9112 5) ----
inline constexpr ParseError space_before_colon{400, "whitespace between header name and colon"};
inline constexpr ParseError no_colon{400, "header line without a colon"};
inline constexpr ParseError invalid_name{400, "invalid character in header name"};
inline constexpr ParseError empty_name{400, "empty header name"};
inline constexpr ParseError obs_fold{400, "folded header line (obs-fold)"};
inline constexpr ParseError space_before_fields{400, "whitespace before the first header line"};
inline constexpr ParseError invalid_value{400, "invalid character in header value"};

// ---- Host, Expect (RFC 9112 3.2, RFC 9110 10.1.1) ----
inline constexpr ParseError missing_host{400, "missing Host header"};
inline constexpr ParseError two_hosts{400, "more than one Host header"};
inline constexpr ParseError invalid_host{400, "invalid Host header"};
inline constexpr ParseError expectation{417, "unsupported expectation"};

// ---- framing (RFC 9112 6) ----
inline constexpr ParseError length_and_transfer{400,
                                                "Content-Length and Transfer-Encoding together"};
inline constexpr ParseError empty_length{400, "empty Content-Length"};
inline constexpr ParseError empty_length_element{400, "empty element in Content-Length list"};
inline constexpr ParseError invalid_length{400, "invalid character in Content-Length"};
inline constexpr ParseError length_overflows{400, "Content-Length overflows"};
inline constexpr ParseError conflicting_lengths{400, "conflicting Content-Length values"};
inline constexpr ParseError length_too_large{413, "Content-Length larger than the body limit"};
inline constexpr ParseError transfer_in_http10{400, "Transfer-Encoding in an HTTP/1.0 request"};
inline constexpr ParseError two_transfers{400, "more than one Transfer-Encoding header"};
inline constexpr ParseError empty_transfer{400, "empty Transfer-Encoding"};
inline constexpr ParseError chunked_not_last{400, "chunked is not the final transfer coding"};
inline constexpr ParseError unknown_coding{501, "unsupported transfer coding"};

// ---- chunked body (RFC 9112 7.1) ----
inline constexpr ParseError chunk_line_too_long{400, "chunk size line too long"};
inline constexpr ParseError trailers_too_large{431, "chunked trailer section too large"};
inline constexpr ParseError chunked_too_large{413, "chunked body larger than the body limit"};
inline constexpr ParseError missing_chunk_size{400, "missing chunk size"};
inline constexpr ParseError invalid_chunk_size{400, "invalid character in chunk size"};
inline constexpr ParseError chunk_size_overflows{400, "chunk size overflows"};
inline constexpr ParseError space_ends_chunk_line{400,
                                                  "whitespace at the end of a chunk size line"};
inline constexpr ParseError after_chunk_size{400, "invalid character after chunk size"};
inline constexpr ParseError empty_extension_name{400, "empty chunk extension name"};
inline constexpr ParseError invalid_extension_name{400,
                                                   "invalid character in chunk extension name"};
inline constexpr ParseError after_extension_name{400,
                                                 "invalid character after chunk extension name"};
inline constexpr ParseError empty_extension_value{400, "empty chunk extension value"};
inline constexpr ParseError invalid_extension_value{400,
                                                    "invalid character in chunk extension value"};
inline constexpr ParseError after_extension_value{400,
                                                  "invalid character after chunk extension value"};
inline constexpr ParseError unterminated_quote{400,
                                               "unterminated quoted string in chunk extension"};
inline constexpr ParseError data_without_crlf{400, "chunk data not followed by CRLF"};
inline constexpr ParseError bare_lf_in_chunked{400, "bare LF in chunked body"};
inline constexpr ParseError bare_cr_in_chunked{400, "bare CR in chunked body"};
inline constexpr ParseError trailer_obs_fold{400, "folded trailer line (obs-fold)"};
inline constexpr ParseError space_before_trailers{400, "whitespace before the first trailer line"};
inline constexpr ParseError empty_trailer_name{400, "empty trailer field name"};
inline constexpr ParseError invalid_trailer_name{400, "invalid character in trailer field name"};
inline constexpr ParseError trailer_space_before_colon{
    400, "whitespace between trailer field name and colon"};
inline constexpr ParseError trailer_no_colon{400, "trailer line without a colon"};
inline constexpr ParseError invalid_trailer_value{400, "invalid character in trailer field value"};
inline constexpr ParseError bare_lf_in_trailer{400, "bare LF in chunked trailer"};
inline constexpr ParseError bare_cr_in_trailer{400, "bare CR in chunked trailer"};

/// Every error above that a request can cause.
inline constexpr ParseError all[] = {
    head_too_large,
    line_too_long,
    too_many_fields,
    bare_lf,
    bare_cr,
    line_starts_with_space,
    invalid_method,
    missing_target,
    space_after_method,
    invalid_target,
    missing_version,
    space_before_version,
    after_version,
    malformed_version,
    version_not_supported,
    connect,
    fragment,
    asterisk_not_options,
    target_form,
    target_host,
    space_before_colon,
    no_colon,
    invalid_name,
    empty_name,
    obs_fold,
    space_before_fields,
    invalid_value,
    missing_host,
    two_hosts,
    invalid_host,
    expectation,
    length_and_transfer,
    empty_length,
    empty_length_element,
    invalid_length,
    length_overflows,
    conflicting_lengths,
    length_too_large,
    transfer_in_http10,
    two_transfers,
    empty_transfer,
    chunked_not_last,
    unknown_coding,
    chunk_line_too_long,
    trailers_too_large,
    chunked_too_large,
    missing_chunk_size,
    invalid_chunk_size,
    chunk_size_overflows,
    space_ends_chunk_line,
    after_chunk_size,
    empty_extension_name,
    invalid_extension_name,
    after_extension_name,
    empty_extension_value,
    invalid_extension_value,
    after_extension_value,
    unterminated_quote,
    data_without_crlf,
    bare_lf_in_chunked,
    bare_cr_in_chunked,
    trailer_obs_fold,
    space_before_trailers,
    empty_trailer_name,
    invalid_trailer_name,
    trailer_space_before_colon,
    trailer_no_colon,
    invalid_trailer_value,
    bare_lf_in_trailer,
    bare_cr_in_trailer,
};

// No request can cause these: a state the code never enters. They answer
// rather than crash, should a change ever let one in.
inline constexpr ParseError parser_state{500, "parser in an impossible state"};
inline constexpr ParseError chunked_state{500, "chunked decoder in an impossible state"};

}  // namespace lesto::http::errors
