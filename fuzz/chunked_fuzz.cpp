// chunked_fuzz.cpp: ChunkedDecoder on arbitrary bytes in arbitrary pieces, against a whole-buffer
// reference decoder.
//
// Input: 8 control bytes, then chunked bodies back to back.
//   [0] bit 0: small limits from the knobs
//   [1..6] limit knobs (fuzz_util.hpp limits_from; max_body_bytes,
//       max_chunk_line and max_trailer_bytes matter here)
//   [7] seed of the random splits
// Each body is decoded whole, one byte at a time and in two random splits,
// each piece in its own exact-size buffer, the decoder reset between bodies.
// The result (status, error, consumed, decoded bytes) must not depend on the
// split and must agree with `reference`, which reads the RFC 9112 7.1
// grammar (with the strict choices of tests/cases/README.md) off the whole
// buffer in another way: line by line, with a partial line judged by whether
// some ending would make it valid.
#include "fuzz_util.hpp"
#include "parser/chunked.hpp"
#include "support/decode.hpp"
#include "support/grammar.hpp"
#include "support/splits.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lesto::http::ChunkedDecoder;
using lesto::http::Limits;
using lesto::http::ParseStatus;
using namespace lesto::test;

constexpr std::size_t max_bodies = 4;

// ---- the reference -------------------------------------------------------------------

/// A whole chunk-size line (without CRLF) as the decoder accepts it:
///   1*HEXDIG *( *BWS ";" *BWS ext-name [ *BWS "=" *BWS ( token / quoted-string ) ] *BWS )
/// where trailing BWS is allowed only after an extension.
bool valid_size_line(std::string_view l) {
    std::size_t i = 0;
    const auto skip_bws = [&] {
        while (i < l.size() && blank(l[i])) ++i;
    };
    while (i < l.size() && hex_value(l[i]) >= 0) ++i;
    if (i == 0) return false;
    while (i < l.size()) {
        skip_bws();
        if (i == l.size() || l[i] != ';') return false;
        ++i;
        skip_bws();
        const std::size_t name = i;
        while (i < l.size() && tchar(l[i])) ++i;
        if (i == name) return false;
        skip_bws();
        if (i < l.size() && l[i] == '=') {
            ++i;
            skip_bws();
            if (i < l.size() && l[i] == '"') {
                for (++i;; ++i) {
                    if (i == l.size()) return false;
                    if (l[i] == '"') break;
                    if (l[i] == '\\' && ++i == l.size()) return false;
                    if (!field_byte(l[i])) return false;
                }
                ++i;
            } else {
                const std::size_t value = i;
                while (i < l.size() && tchar(l[i])) ++i;
                if (i == value) return false;
            }
            skip_bws();
        }
        // The loop head expects ';' or the end: trailing BWS already skipped.
    }
    return true;
}

/// A size line cut short: valid if some ending makes it a valid line.
bool viable_size_line(std::string_view l) {
    for (const std::string_view ending : {"", "0", "a", ";a", "\"", "x\""}) {
        if (valid_size_line(std::string(l) + std::string(ending))) return true;
    }
    return false;
}

/// The chunk size of a size line's leading hex digits; false on overflow.
bool chunk_size(std::string_view l, std::uint64_t& size) {
    size = 0;
    for (std::size_t i = 0; i < l.size() && hex_value(l[i]) >= 0; ++i) {
        if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) return false;
        size = size * 16 + static_cast<std::uint64_t>(hex_value(l[i]));
    }
    return true;
}

/// A trailer field line (without CRLF), possibly cut short when `partial`.
bool valid_trailer_line(std::string_view l, bool partial) {
    std::size_t i = 0;
    while (i < l.size() && tchar(l[i])) ++i;
    if (i == l.size()) return partial;  // a name still arriving (a complete line needs the colon)
    if (i == 0 || l[i] != ':') return false;
    for (++i; i < l.size(); ++i)
        if (!field_byte(l[i])) return false;
    return true;
}

/// Decodes one body from the start of `in`, all of it present at once.
/// Only the outcome class is compared with the decoder (which error is
/// reported first is the decoder's business), plus consumed and the bytes.
Decoded reference(std::string_view in, const Limits& limits) {
    Decoded d;
    const auto fail = [&] {
        d.status = ParseStatus::error;
        return d;
    };
    std::size_t i = 0;
    std::uint64_t decoded = 0;
    for (;;) {
        // chunk-size line
        const std::size_t cr = in.find('\r', i);
        const bool whole_line = cr != std::string_view::npos;
        const std::string_view line = in.substr(i, (whole_line ? cr : in.size()) - i);
        if (line.size() > limits.max_chunk_line) return fail();
        if (line.find('\n') != std::string_view::npos) return fail();
        std::uint64_t size = 0;
        if (!chunk_size(line, size)) return fail();
        std::size_t digits = 0;
        while (digits < line.size() && hex_value(line[digits]) >= 0) ++digits;
        // The size is judged once a byte after its digits is present.
        if (digits > 0 && (digits < line.size() || whole_line) &&
            size > limits.max_body_bytes - decoded)
            return fail();
        if (!whole_line) return viable_size_line(line) ? d : fail();
        if (!valid_size_line(line)) return fail();
        if (cr + 1 == in.size()) return d;
        if (in[cr + 1] != '\n') return fail();
        i = cr + 2;
        if (size == 0) break;
        // chunk-data CRLF
        const std::size_t have = in.size() - i;
        if (have < size) {
            d.body.append(in.substr(i));
            return d;
        }
        const auto n = static_cast<std::size_t>(size);
        d.body.append(in.substr(i, n));
        decoded += size;
        i += n;
        if (i == in.size()) return d;
        if (in[i] != '\r') return fail();
        if (i + 1 == in.size()) return d;
        if (in[i + 1] != '\n') return fail();
        i += 2;
    }
    // trailer-section CRLF
    std::size_t trailer_bytes = 0;
    for (;;) {
        const std::size_t cr = in.find('\r', i);
        const bool whole_line = cr != std::string_view::npos;
        const std::string_view line = in.substr(i, (whole_line ? cr : in.size()) - i);
        if (line.find('\n') != std::string_view::npos) return fail();
        if (line.empty() && whole_line) {
            if (cr + 1 == in.size()) return d;
            if (in[cr + 1] != '\n') return fail();
            d.status = ParseStatus::complete;
            d.consumed = cr + 2;
            return d;
        }
        // Field lines count with their CRLF, as far as present.
        trailer_bytes +=
            line.size() + (whole_line ? 1 : 0) + (whole_line && cr + 1 < in.size() ? 1 : 0);
        if (trailer_bytes > limits.max_trailer_bytes) return fail();
        if (!valid_trailer_line(line, !whole_line)) return fail();
        if (!whole_line || cr + 1 == in.size()) return d;
        if (in[cr + 1] != '\n') return fail();
        i = cr + 2;
    }
}

// ---- the decoder, fed in pieces --------------------------------------------------------

/// Bodies back to back in `wire`, each split the same way relative to its
/// start: `ends_of(n)` gives the ends for n remaining bytes.
template <class Ends>
std::vector<Decoded> decode_all(std::string_view wire, const Limits& limits, Ends&& ends_of) {
    ChunkedDecoder dec(limits);
    std::vector<Decoded> out;
    std::size_t start = 0;
    while (out.size() < max_bodies) {
        const std::string_view rest = wire.substr(start);
        out.push_back(rest.empty() ? Decoded{}
                                   : lesto::test::decode(dec, rest, ends_of(rest.size()),
                                                         lesto::fuzz::broken));
        const Decoded& d = out.back();
        FUZZ_CHECK(d.body.size() <= limits.max_body_bytes, std::to_string(d.body.size()));
        if (d.status != ParseStatus::complete) break;
        FUZZ_CHECK(d.body.size() + 5 <= d.consumed, "body larger than its coding");
        start += d.consumed;
        dec.reset();
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const lesto::fuzz::WireInput in = lesto::fuzz::read_wire_input(data, size);
    const std::string_view wire = in.wire;
    const Limits& limits = in.limits;
    const std::uint8_t seed = in.seed;
    auto& ctx = lesto::fuzz::context();
    ctx.split = "whole";
    const std::vector<Decoded> whole =
        decode_all(wire, limits, [](std::size_t n) { return std::vector<std::size_t>{n}; });

    // Against the reference: the class, and consumed and the bytes decoded.
    std::size_t start = 0;
    for (const Decoded& d : whole) {
        const Decoded ref = reference(wire.substr(start), limits);
        FUZZ_CHECK(ref.status == d.status && ref.body == d.body && ref.consumed == d.consumed,
                   "body at " + std::to_string(start) + ": decoder " + show(d) + "\nreference " +
                       show(ref));
        start += d.consumed;
    }

    const auto compare = [&](auto&& ends_of, const char* name) {
        ctx.split = name;
        const std::vector<Decoded> other = decode_all(wire, limits, ends_of);
        FUZZ_CHECK(other == whole, "whole:" + show(whole) + "\n" + name + ":" + show(other));
    };
    compare([](std::size_t n) { return lesto::test::bytewise_ends(n); }, "one byte at a time");
    compare([seed](std::size_t n) { return lesto::test::random_ends(n, seed); },
            "random split (seed)");
    compare([seed](std::size_t n) { return lesto::test::random_ends(n, seed + 256u); },
            "random split (seed+256)");
    return 0;
}
