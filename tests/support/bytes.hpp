// bytes.hpp: bytes in test messages and under AddressSanitizer: escape, inside, ExactCopy.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace lesto::test {

/// Bytes as the body of a case-file literal (the escapes of
/// tests/cases/README.md, which cases.hpp's parse_literals reads back): a
/// readable form for messages, and one that pastes into a case.
std::string escape(std::string_view bytes);

/// Whether the view `v` lies within `buf`. An unset view (no data) is
/// inside anything as long as it is empty.
bool inside(std::string_view v, std::string_view buf) noexcept;

/// A heap copy of exactly the given bytes: reading one byte past it trips
/// AddressSanitizer, and every copy has a new address, so a view kept from an
/// earlier buffer shows.
class ExactCopy {
public:
    explicit ExactCopy(std::string_view bytes);

    std::string_view view() const noexcept { return {bytes_.get(), size_}; }

private:
    std::unique_ptr<char[]> bytes_;
    std::size_t size_;
};

}  // namespace lesto::test
