// files_fuzz.cpp: src/core/files on arbitrary text: Range, dates, entity-tags, paths, plans.
//
// Input: 25 control bytes, then the text. [0] options: bits 0-1 the method
// (GET, HEAD, POST, "get"), bit 2 allows hidden files, bit 3 takes the size
// modulo 64 (small files, where every boundary is near); [1..8] the size,
// [9..16] mtime_ns, [17..24] now (little-endian; now modulo 2^40 seconds
// when bit 4 is clear, so most runs read dates near our era).
//
// The text is read as each of: a Range value against the size
// (check_range, with a plain reference), an HTTP-date (check_date: read
// back through the formatter), an entity-tag list (check_tag_list) against
// our ETag and against "abc", a path below a static prefix
// (check_mapped_path: never a "..", ".", empty segment, NUL, control byte
// or backslash, never a leading '/', the raw path decoded once), a file
// name for ContentTypes, and field lines "name:value" separated by '\n'
// for a whole plan (check_plan: statuses, fields, ranges within the file).
#include "files/content_types.hpp"
#include "files/plan.hpp"
#include "files/static_path.hpp"
#include "fuzz_util.hpp"
#include "support/files_check.hpp"
#include "support/grammar.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace lesto;

constexpr std::size_t control_size = 25;
constexpr std::string_view methods[] = {"GET", "HEAD", "POST", "get"};

template <class T> T read_le(std::string_view control, std::size_t at) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        const auto b = at + i < control.size() ? static_cast<unsigned char>(control[at + i]) : 0u;
        v |= static_cast<std::uint64_t>(b) << (8 * i);
    }
    T out;
    std::memcpy(&out, &v, sizeof out);
    return out;
}

const files::ContentTypes& content_types() {
    static const files::ContentTypes table = [] {
        files::ContentTypes t;
        t.add(".html", "text/html");
        t.add(".css", "text/css");
        t.add(".png", "image/png");
        t.add(".tar.gz", "application/x-gtar");
        t.add(".gz", "application/gzip");
        return t;
    }();
    return table;
}

/// "name:value" lines; a line without ':' is a name with an empty value.
std::vector<http::Header> field_lines(std::string_view text) {
    std::vector<http::Header> out;
    for (std::string_view line : test::split(text, '\n')) {
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            out.push_back({line, {}});
        } else {
            out.push_back({line.substr(0, colon), test::trim(line.substr(colon + 1))});
        }
        if (out.size() == 16) break;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fuzz::Split in = fuzz::split_input(data, size, control_size);
    const std::string_view control = in.control;
    const std::string_view text = in.payload;
    fuzz::context().wire = text;
    const std::uint8_t options = control.empty() ? 0 : static_cast<std::uint8_t>(control[0]);
    std::uint64_t file_size = read_le<std::uint64_t>(control, 1);
    if (options & 8) file_size %= 64;
    const auto mtime_ns = read_le<std::int64_t>(control, 9);
    auto now = read_le<std::int64_t>(control, 17);
    if (!(options & 16))
        now = static_cast<std::int64_t>(static_cast<std::uint64_t>(now) % (1ull << 40));
    const std::string_view method = methods[options & 3];
    fuzz::context().limits = "method " + std::string(method) + " size " +
                             std::to_string(file_size) + " mtime_ns " + std::to_string(mtime_ns) +
                             " now " + std::to_string(now);

    test::check_range(fuzz::broken, text, file_size, http::parse_range(text, file_size));
    test::check_date(fuzz::broken, text, now);

    const http::FileFacts file{file_size, mtime_ns};
    const http::Validators validators(file, now);
    test::check_tag_list(fuzz::broken, text, http::our_tag(validators.etag()));
    test::check_tag_list(fuzz::broken, text, {false, "abc"});

    const files::PathOptions path_options{(options & 4) != 0};
    const files::MappedPath mapped = files::map_static_path(text, path_options);
    test::check_mapped_path(fuzz::broken, text, path_options, mapped);

    const files::ContentType type = content_types().lookup(text);
    FUZZ_CHECK(!type.type.empty() && (type.charset.empty() || type.charset == "utf-8"),
               std::string(type.type));

    const std::vector<http::Header> fields = field_lines(text);
    const http::FilePlan plan =
        http::plan_file_response(method, http::read_conditions(fields), file, now);
    test::check_plan(fuzz::broken, method, fields, file, now, plan);
    return 0;
}
