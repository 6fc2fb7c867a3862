// splits.hpp: the ways a test cuts bytes into pieces, each way given as the ends of the pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lesto::test {

// Every split of n bytes is a list of ends: ascending, the last one n, none
// for n == 0. A receive buffer that grows to each end in turn is how a
// socket would deliver the bytes.

/// Pieces of `piece` bytes (the last one may be shorter); piece > 0.
std::vector<std::size_t> even_ends(std::size_t n, std::size_t piece);

/// One byte at a time.
inline std::vector<std::size_t> bytewise_ends(std::size_t n) { return even_ends(n, 1); }

/// Mostly small pieces, some large, so that cuts land everywhere; the same
/// seed always gives the same split, so that a failure replays.
std::vector<std::size_t> random_ends(std::size_t n, std::uint64_t seed);

/// The ends for a message: every one of them, or their count when there are many.
std::string describe_ends(const std::vector<std::size_t>& ends);

}  // namespace lesto::test
