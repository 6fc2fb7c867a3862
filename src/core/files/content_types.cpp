// content_types.cpp: checking the table's entries once, and the per-request lookup by suffix.
#include "files/content_types.hpp"

#include "http/fields.hpp"

namespace lesto::files {
namespace {

/// Why `ext` (without its leading dot) is no extension; empty when it is one.
std::string extension_problem(std::string_view ext) {
    if (ext.empty()) return "is empty";
    if (ext.size() > ContentTypes::max_extension)
        return "is longer than " + std::to_string(ContentTypes::max_extension) + " bytes";
    for (const char c : ext) {
        if (c == '/') return "holds '/'";
        if (http::is_ctl(c)) return "holds a control character";
    }
    if (ext.front() == '.' || ext.back() == '.' || ext.find("..") != std::string_view::npos)
        return "has an empty part between dots";
    return {};
}

}  // namespace

void ContentTypes::add(std::string_view extension, std::string_view type) {
    std::string_view ext = extension;
    if (!ext.empty() && ext.front() == '.') ext.remove_prefix(1);
    if (const std::string problem = extension_problem(ext); !problem.empty())
        throw ContentTypeError("extension " + http::quoted(extension) + " " + problem);
    const std::size_t slash = type.find('/');
    if (slash == std::string_view::npos || !http::is_token(type.substr(0, slash)) ||
        !http::is_token(type.substr(slash + 1))) {
        throw ContentTypeError(
            "content type " + http::quoted(type) + " for extension " + http::quoted(extension) +
            " is not type/subtype (two tokens, no parameters), e.g. text/html; " +
            "a token holds letters, digits and " + std::string(http::token_symbols()));
    }
    std::string key(ext);
    for (char& c : key) c = http::ascii_lower(c);
    Entry& e = types_[std::move(key)];
    e.type.assign(type);
    e.text = http::equals_ignoring_case(type.substr(0, slash), "text");
}

ContentType ContentTypes::lookup(std::string_view path) const noexcept {
    const ContentType fallback{default_type, {}};
    std::string_view name = path.substr(path.rfind('/') + 1);
    // Past the longest extension nothing can match; a leading dot is the
    // name of a hidden file, not an extension.
    if (name.size() > max_extension + 1) name.remove_prefix(name.size() - max_extension - 1);
    else if (!name.empty()) name.remove_prefix(1);
    char buf[max_extension];
    for (std::size_t dot = name.find('.'); dot != std::string_view::npos;
         dot = name.find('.', dot + 1)) {
        const std::string_view ext = name.substr(dot + 1);
        if (ext.empty() || ext.size() > max_extension) continue;
        for (std::size_t i = 0; i < ext.size(); ++i) buf[i] = http::ascii_lower(ext[i]);
        const auto it = types_.find(std::string_view(buf, ext.size()));
        if (it != types_.end()) return {it->second.type, it->second.text ? "utf-8" : ""};
    }
    return fallback;
}

}  // namespace lesto::files
