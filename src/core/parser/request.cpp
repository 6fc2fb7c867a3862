// request.cpp: moving the views of a parsed request head to a new buffer.
#include "parser/request.hpp"

#include <cstdint>

namespace lesto::http {
namespace {

void move_view(std::string_view& v, std::uintptr_t old_base, const char* new_base) noexcept {
    // A default view (nullptr) points nowhere and stays so. The offset is
    // taken in integers because the old buffer may already be freed, and
    // comparing or subtracting pointers into a dead object is not defined;
    // the new view is derived from the new buffer's pointer.
    if (v.data() == nullptr) return;
    v = std::string_view(new_base + (reinterpret_cast<std::uintptr_t>(v.data()) - old_base),
                         v.size());
}

}  // namespace

void RequestHead::rebase(const char* old_base, const char* new_base) noexcept {
    const auto from = reinterpret_cast<std::uintptr_t>(old_base);
    if (from == reinterpret_cast<std::uintptr_t>(new_base)) return;
    for (std::string_view* v : {&method, &target, &path, &query, &host})
        move_view(*v, from, new_base);
    for (Header& h : headers) {
        move_view(h.name, from, new_base);
        move_view(h.value, from, new_base);
    }
}

}  // namespace lesto::http
