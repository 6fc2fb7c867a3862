// splits.cpp: the ways a test cuts bytes into pieces.
#include "support/splits.hpp"

namespace lesto::test {
namespace {

/// A small deterministic generator (splitmix64): a split depends on its
/// seed alone, on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed) noexcept : s_(seed * 0x9e3779b97f4a7c15ull + 1) {}
    std::uint64_t next() noexcept {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform enough in [0, n) for choosing piece sizes; n > 0.
    std::size_t below(std::size_t n) noexcept { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t s_;
};

}  // namespace

std::vector<std::size_t> even_ends(std::size_t n, std::size_t piece) {
    std::vector<std::size_t> ends;
    ends.reserve((n + piece - 1) / piece);
    for (std::size_t at = 0; at < n;) {
        at = piece >= n - at ? n : at + piece;
        ends.push_back(at);
    }
    return ends;
}

std::vector<std::size_t> random_ends(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::size_t> ends;
    const std::size_t large = n / 8 + 2;
    for (std::size_t at = 0; at < n;) {
        const std::size_t piece = rng.below(4) == 0 ? 1 + rng.below(large) : 1 + rng.below(8);
        at = piece >= n - at ? n : at + piece;
        ends.push_back(at);
    }
    return ends;
}

std::string describe_ends(const std::vector<std::size_t>& ends) {
    if (ends.size() > 64) return std::to_string(ends.size()) + " pieces";
    std::string s;
    for (const std::size_t e : ends) {
        if (!s.empty()) s += ',';
        s += std::to_string(e);
    }
    return s;
}

}  // namespace lesto::test
