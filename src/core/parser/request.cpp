// request.cpp: moving the views of a parsed request head to a new buffer.
#include "parser/request.hpp"

#include <cstdint>

namespace lesto::http {
namespace {

void move_view(std::string_view& v, std::uintptr_t old_base, std::uintptr_t new_base) noexcept {
    // A default view (nullptr) points nowhere and stays so. Integer arithmetic
    // because the old buffer may already be freed, and comparing or
    // subtracting pointers into a dead object is not defined.
    if (v.data() == nullptr) return;
    const auto at = reinterpret_cast<std::uintptr_t>(v.data()) - old_base + new_base;
    v = std::string_view(reinterpret_cast<const char*>(at), v.size());
}

} // namespace

void RequestHead::rebase(const char* old_base, const char* new_base) noexcept {
    const auto from = reinterpret_cast<std::uintptr_t>(old_base);
    const auto to = reinterpret_cast<std::uintptr_t>(new_base);
    if (from == to) return;
    for (std::string_view* v : {&method, &target, &path, &query, &host})
        move_view(*v, from, to);
    for (Header& h : headers) {
        move_view(h.name, from, to);
        move_view(h.value, from, to);
    }
}

} // namespace lesto::http
