// parser_fuzz.cpp: RequestParser and the body decoders on arbitrary bytes, whole and in splits,
// with invariants.
//
// Input: 8 control bytes, then the wire.
//   [0] bit 0: small limits from the knobs; bit 1: pipelining (parse the
//       requests after the first one too)
//   [1..6] limit knobs (fuzz_util.hpp limits_from)
//   [7] seed of the random splits
// The wire is parsed whole, one byte at a time (when short) and in two
// random splits; every buffer is a fresh exact-size copy, so a stale view or
// a read past the end trips AddressSanitizer. The outcome must not depend on
// the split, and every accepted head is checked against the bytes it came
// from by an independent reading of the grammar.
#include "fuzz_util.hpp"
#include "support/replay.hpp"
#include "support/splits.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using lesto::http::Limits;
using lesto::test::Request;

constexpr std::size_t bytewise_max = 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const lesto::fuzz::WireInput in = lesto::fuzz::read_wire_input(data, size);
    const std::string_view wire = in.wire;
    const Limits& limits = in.limits;
    const bool pipelined = in.options & 2;
    auto& ctx = lesto::fuzz::context();
    if (pipelined) ctx.limits += " (pipelined)";

    const lesto::test::ReplayOptions replay_options{.max_requests =
                                                        pipelined ? lesto::fuzz::max_pipelined : 1};
    const auto replay = [&](const std::vector<std::size_t>& ends) {
        ctx.split = lesto::test::describe_ends(ends);
        return lesto::test::replay(wire, ends, limits, lesto::fuzz::broken, replay_options);
    };
    const std::vector<Request> whole = replay({wire.size()});
    const auto compare = [&](const std::vector<std::size_t>& ends) {
        const std::vector<Request> other = replay(ends);
        FUZZ_CHECK(other == whole,
                   "whole:" + lesto::test::show(whole) + "\nsplit:" + lesto::test::show(other));
    };
    if (wire.empty()) return 0;
    if (wire.size() <= bytewise_max) compare(lesto::test::bytewise_ends(wire.size()));
    compare(lesto::test::random_ends(wire.size(), in.seed));
    compare(lesto::test::random_ends(wire.size(), in.seed + 256u));
    return 0;
}
