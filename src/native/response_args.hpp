// response_args.hpp: the arguments of Response(...), declared once; their indexes and texts derive.
#pragma once

#include "static_text.hpp"

#include <cstddef>
#include <iterator>
#include <string_view>

namespace lesto::py {

struct ResponseArg {
    std::string_view name;          ///< a string literal: data() is NUL-terminated
    std::string_view default_text;  ///< as the signature shows it
};

/// Response(...)'s arguments in japronto's order for those given by position
/// (`Response('Not here', 404)`). The interned keyword names, the argument
/// indexes, the error messages and the signature in `__doc__` come from here.
inline constexpr ResponseArg response_args[] = {
    {"text", "None"},      {"code", "200"},      {"body", "None"},    {"json", "None"},
    {"mime_type", "None"}, {"encoding", "None"}, {"headers", "None"}, {"cookies", "None"},
    {"stream", "None"},    {"file", "None"},
};
inline constexpr std::size_t response_arg_count = std::size(response_args);
/// japronto's arguments may be given by position; those after them
/// (Lesto's own) by keyword only.
inline constexpr std::size_t response_positional_count = 8;
static_assert(response_arg_count <= 32,
              "Response() tracks its arguments in the bits of one unsigned");

/// The index of argument `name`; a name not in response_args does not compile.
consteval int response_arg(std::string_view name) {
    for (std::size_t i = 0; i < response_arg_count; ++i)
        if (response_args[i].name == name) return static_cast<int>(i);
    throw "not an argument of Response()";
}

namespace detail {

inline constexpr auto arg_list = [](auto out) {
    for (std::size_t i = 0; i < response_arg_count; ++i) {
        if (i) out(", ");
        out(response_args[i].name);
    }
};

inline constexpr auto signature = [](auto out) {
    out("Response(");
    for (std::size_t i = 0; i < response_arg_count; ++i) {
        if (i) out(", ");
        if (i == response_positional_count) out("*, ");
        out(response_args[i].name);
        out("=");
        out(response_args[i].default_text);
    }
    out(")");
};

inline constexpr auto type_doc = [](auto out) {
    signature(out);
    out("\n--\n\nAn HTTP response.");
};

}  // namespace detail

/// "text, code, body, ...": the names in order, for error messages.
inline constexpr auto response_arg_names = detail::static_text_of<detail::arg_list>;

/// Response's __doc__: its signature (for inspect and help), then what it is.
inline constexpr auto response_doc = detail::static_text_of<detail::type_doc>;

}  // namespace lesto::py
