// files_check.hpp: what must hold of src/core/files' answers, for the tests and files_fuzz.
#pragma once

#include "files/plan.hpp"
#include "files/range.hpp"
#include "files/static_path.hpp"
#include "files/validators.hpp"
#include "support/check.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lesto::test {

/// Range read plainly from RFC 9110 14.1 (split at '=', then at commas,
/// numbers as 128-bit values), apart from range.cpp's cursor: the
/// reference `check_range` compares against.
http::RangeResult reference_range(std::string_view value, std::uint64_t size);

/// `got` is parse_range(value, size): a satisfiable range lies within the
/// size and is never empty; the others carry no bytes; it agrees with
/// `reference_range`.
void check_range(Broken broken, std::string_view value, std::uint64_t size,
                 const http::RangeResult& got);

/// An HTTP-date read back: a date that parses formats to an IMF-fixdate
/// that parses to the same instant, and an IMF-fixdate other than a leap
/// second formats back to itself (from its fourth byte: the day name is
/// not checked against the date).
void check_date(Broken broken, std::string_view text, std::int64_t now);

/// An entity-tag list against `ours`: a strong match is also a weak one,
/// malformed does not depend on the comparison, and a match of anything
/// but "*" names `ours` in the text, quotes included.
void check_tag_list(Broken broken, std::string_view value, const http::EntityTag& ours);

/// `got` is map_static_path(raw, options): a refusal carries no path and
/// has a status and a reason; a mapped path is the whole raw path decoded
/// once, with no leading or trailing '/', no empty, "." or ".." segment,
/// no backslash, NUL or control byte, valid UTF-8, and hidden segments
/// only when allowed; a raw path holding %2F, %5C, %00 or '\' is refused.
void check_mapped_path(Broken broken, std::string_view raw, const files::PathOptions& options,
                       const files::MappedPath& got);

/// `plan` answers `method` with the fields `fields` for `file` at `now`:
/// one of the statuses of plan.hpp's table with its fields (valid names
/// and values), lengths and offsets within the file, the ETag of
/// Validators, no 206 or 416 but for GET, and a 200 of the whole file when
/// no conditional or Range field was sent.
void check_plan(Broken broken, std::string_view method, std::span<const http::Header> fields,
                const http::FileFacts& file, std::int64_t now, const http::FilePlan& plan);

}  // namespace lesto::test
