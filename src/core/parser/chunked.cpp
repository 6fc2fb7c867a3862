// chunked.cpp: the chunked transfer-coding decoder, a byte-driven state machine.
#include "parser/chunked.hpp"

#include <algorithm>
#include <limits>

#include "http/chars.hpp"
#include "parser/errors.hpp"

namespace lesto::http {

// One state per position in the grammar of RFC 9112 7.1, so a split can fall
// anywhere; chunk data is copied in spans, everything else goes byte by byte
// (size lines and trailers are short, and rare past the first).
enum class ChunkedDecoder::State : std::uint8_t {
    size_first,      // first hex digit of a chunk-size
    size,            // more hex digits
    size_space,      // BWS after the size, before ';'
    ext_name_start,  // after ';' (BWS allowed)
    ext_name,
    ext_after_name,   // BWS after a name: '=', ';' or CR
    ext_value_start,  // after '=' (BWS allowed)
    ext_value,        // token value
    ext_quoted,       // inside a quoted-string value
    ext_quoted_pair,  // after a backslash in a quoted-string
    ext_after_value,  // BWS after a value: ';' or CR
    size_lf,          // CR of the size line seen
    data,
    data_cr,  // CRLF that closes the data of a chunk
    data_lf,
    trailer_start,  // start of a trailer field, or the final CRLF
    trailer_name,
    trailer_value,
    trailer_lf,
    final_lf,
    done,
    failed,
};

namespace {

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr bool is_bws(char c) noexcept { return c == ' ' || c == '\t'; }

// qdtext and the second byte of a quoted-pair (RFC 9110 5.6.4) are the
// bytes of a field value (HTAB, SP, VCHAR, obs-text); the quote and
// backslash are told apart by the caller.
constexpr bool is_quoted_text(char c) noexcept { return is_field_char(c); }

}  // namespace

void ChunkedDecoder::reset() noexcept {
    state_ = State{};
    remaining_ = 0;
    line_bytes_ = 0;
    trailer_bytes_ = 0;
    decoded_ = 0;
}

ParseResult ChunkedDecoder::fail(ParseError e, std::size_t at) noexcept {
    state_ = State::failed;
    error_ = e;
    return {ParseStatus::error, at, error_};
}

namespace {

/// The error for `c` where a line may not end, or `otherwise`.
constexpr ParseError line_end_error(char c, ParseError otherwise) noexcept {
    return c == '\n' ? errors::bare_lf_in_chunked : otherwise;
}

}  // namespace

ParseResult ChunkedDecoder::feed(std::string_view in, std::string& body) {
    const Limits& limits = *limits_;
    std::size_t i = 0;
    if (state_ == State::done) return {ParseStatus::complete, 0, {}};
    if (state_ == State::failed) return {ParseStatus::error, 0, error_};

    while (i < in.size()) {
        if (state_ == State::data) {
            const std::size_t take =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
            body.append(in.data() + i, take);
            i += take;
            remaining_ -= take;
            decoded_ += take;
            if (remaining_ == 0) state_ = State::data_cr;
            continue;
        }
        const char c = in[i];
        const std::size_t at = i++;
        const auto refuse = [&](ParseError e) noexcept { return fail(e, at); };

        // The size line, extensions included, is bounded; its CRLF is not counted.
        if (state_ < State::size_lf && c != '\r' && ++line_bytes_ > limits.max_chunk_line)
            return refuse(errors::chunk_line_too_long);
        if (state_ >= State::trailer_name && state_ <= State::trailer_lf &&
            ++trailer_bytes_ > limits.max_trailer_bytes)
            return refuse(errors::trailers_too_large);

        switch (state_) {
        case State::size_first:
        case State::size: {
            const int d = hex_value(c);
            if (d >= 0) {
                if (remaining_ > (std::numeric_limits<std::uint64_t>::max() >> 4))
                    return refuse(errors::chunk_size_overflows);
                remaining_ = (remaining_ << 4) | static_cast<std::uint64_t>(d);
                state_ = State::size;
                break;
            }
            if (state_ == State::size_first) {
                const bool empty = c == '\r' || c == ';';
                return refuse(empty ? errors::missing_chunk_size
                                    : line_end_error(c, errors::invalid_chunk_size));
            }
            // The size is known: refuse an oversized body before reading it.
            if (remaining_ > limits.max_body_bytes - decoded_)
                return refuse(errors::chunked_too_large);
            if (c == ';') state_ = State::ext_name_start;
            else if (is_bws(c)) state_ = State::size_space;
            else if (c == '\r') state_ = State::size_lf;
            else return refuse(line_end_error(c, errors::invalid_chunk_size));
            break;
        }
        case State::size_space:
            // BWS may only come before a ';' (RFC 9112 7.1.1).
            if (c == ';') state_ = State::ext_name_start;
            else if (c == '\r') return refuse(errors::space_ends_chunk_line);
            else if (!is_bws(c)) return refuse(line_end_error(c, errors::after_chunk_size));
            break;
        case State::ext_name_start:
            if (is_tchar(c)) state_ = State::ext_name;
            else if (c == '\r' || c == ';' || c == '=') return refuse(errors::empty_extension_name);
            else if (!is_bws(c)) return refuse(line_end_error(c, errors::invalid_extension_name));
            break;
        case State::ext_name:
        case State::ext_after_name:
            if (is_tchar(c) && state_ == State::ext_name) break;
            if (is_bws(c)) state_ = State::ext_after_name;
            else if (c == '=') state_ = State::ext_value_start;
            else if (c == ';') state_ = State::ext_name_start;
            else if (c == '\r') state_ = State::size_lf;
            else if (state_ == State::ext_name)
                return refuse(line_end_error(c, errors::invalid_extension_name));
            else return refuse(line_end_error(c, errors::after_extension_name));
            break;
        case State::ext_value_start:
            if (c == '"') state_ = State::ext_quoted;
            else if (is_tchar(c)) state_ = State::ext_value;
            else if (c == '\r' || c == ';') return refuse(errors::empty_extension_value);
            else if (!is_bws(c)) return refuse(line_end_error(c, errors::invalid_extension_value));
            break;
        case State::ext_value:
        case State::ext_after_value:
            if (is_tchar(c) && state_ == State::ext_value) break;
            if (is_bws(c)) state_ = State::ext_after_value;
            else if (c == ';') state_ = State::ext_name_start;
            else if (c == '\r') state_ = State::size_lf;
            else if (state_ == State::ext_value)
                return refuse(line_end_error(c, errors::invalid_extension_value));
            else return refuse(line_end_error(c, errors::after_extension_value));
            break;
        case State::ext_quoted:
        case State::ext_quoted_pair:
            if (!is_quoted_text(c)) {
                // No CR or LF in a quoted-string: the line ended inside one.
                const bool line_end = c == '\r' || c == '\n';
                return refuse(line_end ? errors::unterminated_quote
                                       : errors::invalid_extension_value);
            }
            if (state_ == State::ext_quoted_pair) state_ = State::ext_quoted;
            else if (c == '"') state_ = State::ext_after_value;
            else if (c == '\\') state_ = State::ext_quoted_pair;
            break;
        case State::size_lf:
            if (c != '\n') return refuse(errors::bare_cr_in_chunked);
            line_bytes_ = 0;
            state_ = remaining_ == 0 ? State::trailer_start : State::data;
            break;
        case State::data_cr:
            if (c != '\r') return refuse(line_end_error(c, errors::data_without_crlf));
            state_ = State::data_lf;
            break;
        case State::data_lf:
            if (c != '\n') return refuse(errors::bare_cr_in_chunked);
            state_ = State::size_first;
            break;
        case State::trailer_start:
            if (c == '\r') {
                state_ = State::final_lf;
                break;
            }
            if (!is_tchar(c)) {
                // Before the first trailer there is nothing to fold.
                if (is_bws(c))
                    return refuse(trailer_bytes_ == 0 ? errors::space_before_trailers
                                                      : errors::trailer_obs_fold);
                if (c == ':') return refuse(errors::empty_trailer_name);
                return refuse(line_end_error(c, errors::invalid_trailer_name));
            }
            state_ = State::trailer_name;
            if (++trailer_bytes_ > limits.max_trailer_bytes)
                return refuse(errors::trailers_too_large);
            break;
        case State::trailer_name:
            if (c == ':') state_ = State::trailer_value;
            else if (is_bws(c)) return refuse(errors::trailer_space_before_colon);
            else if (c == '\r') return refuse(errors::trailer_no_colon);
            else if (c == '\n') return refuse(errors::bare_lf_in_trailer);
            else if (!is_tchar(c)) return refuse(errors::invalid_trailer_name);
            break;
        case State::trailer_value:
            if (c == '\r') state_ = State::trailer_lf;
            else if (c == '\n') return refuse(errors::bare_lf_in_trailer);
            else if (!is_field_char(c)) return refuse(errors::invalid_trailer_value);
            break;
        case State::trailer_lf:
            if (c != '\n') return refuse(errors::bare_cr_in_trailer);
            state_ = State::trailer_start;
            break;
        case State::final_lf:
            if (c != '\n') return refuse(errors::bare_cr_in_chunked);
            state_ = State::done;
            return {ParseStatus::complete, i, {}};
        case State::data:
        case State::done:
        case State::failed:
            return refuse(errors::chunked_state);
        }
    }
    return {ParseStatus::incomplete, i, {}};
}

}  // namespace lesto::http
