// decode.hpp: a chunked body fed to ChunkedDecoder in pieces, every step checked.
#pragma once

#include "parser/chunked.hpp"
#include "support/check.hpp"
#include "support/outcome.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lesto::test {

/// What decoding one body gave.
struct Decoded : Outcome {
    std::size_t consumed = 0;  ///< when complete: bytes of this body
    std::string body;          ///< decoded, also for an unfinished or refused body

    bool operator==(const Decoded&) const = default;
};

/// Every field, for a message.
std::string show(const Decoded& d);

/// A chunked decoder's error: 400, 413 or 431, with a reason.
void check_chunked_error(int code, std::string_view reason, Broken broken);

/// Feeds `in` to `dec` in pieces ending at `ends` (a split of splits.hpp),
/// each piece its own exact-size copy, until the body completes or is
/// refused. Checked, reported to `broken`: no more bytes decoded than fed,
/// nothing consumed past a piece, an incomplete feed uses all of it, errors
/// are as check_chunked_error says, and errors and completion repeat.
Decoded decode(http::ChunkedDecoder& dec, std::string_view in, const std::vector<std::size_t>& ends,
               Broken broken);

}  // namespace lesto::test
