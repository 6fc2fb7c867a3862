// cases.cpp: parser for the *.cases format (literals with escapes and *N repetition).
#include "cases.hpp"

#include "support/grammar.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace lesto::test {
namespace {

[[noreturn]] void bad(const std::string& what) { throw std::runtime_error(what); }

// Blanks around a line or a part of one, and the CR of a file saved with CRLF line ends.
std::string_view trim_line(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool parse_bool(std::string_view v) {
    if (v == "true") return true;
    if (v == "false") return false;
    bad("expected true or false, got '" + std::string(v) + "'");
}

/// A plain-text value, or literals when it starts with a quote (so that
/// empty strings and odd bytes can be written too).
std::string text_value(std::string_view v) {
    if (v.empty() || v.front() != '"') return std::string(v);
    std::string out;
    for (const std::string& s : parse_literals(v)) out += s;
    return out;
}

std::string joined(std::string_view v) {
    std::string out;
    for (const std::string& s : parse_literals(v)) out += s;
    return out;
}

// The keys that set one field: text (see text_value) or true/false.
using TextField = std::optional<std::string> HttpCase::*;
using BoolField = std::optional<bool> HttpCase::*;
constexpr std::pair<std::string_view, TextField> text_keys[] = {
    {"reason", &HttpCase::reason}, {"method", &HttpCase::method}, {"target", &HttpCase::target},
    {"path", &HttpCase::path},     {"query", &HttpCase::query},   {"host", &HttpCase::host},
};
constexpr std::pair<std::string_view, BoolField> bool_keys[] = {
    {"has_query", &HttpCase::has_query},
    {"keep_alive", &HttpCase::keep_alive},
    {"expect_continue", &HttpCase::expect_continue},
};

// The field `key` sets, or null.
template <class Field, std::size_t N>
Field field_of(const std::pair<std::string_view, Field> (&keys)[N], std::string_view key) {
    for (const auto& [name, field] : keys)
        if (name == key) return field;
    return nullptr;
}

void set_key(HttpCase& c, std::string_view key, std::string_view v) {
    if (key == "request") {
        c.request += joined(v);
    } else if (key == "expect") {
        if (v == "complete") {
            c.status = 0;
        } else {
            int s = 0;
            for (char ch : v) {
                if (ch < '0' || ch > '9')
                    bad("expect must be 'complete' or a status, got '" + std::string(v) + "'");
                s = s * 10 + (ch - '0');
            }
            if (s < 100 || s > 599) bad("expect: status out of range");
            c.status = s;
        }
    } else if (const TextField text = field_of(text_keys, key)) {
        c.*text = text_value(v);
    } else if (const BoolField flag = field_of(bool_keys, key)) {
        c.*flag = parse_bool(v);
    } else if (key == "version") {
        if (v == "1.0") c.version_minor = 0;
        else if (v == "1.1") c.version_minor = 1;
        else bad("version must be 1.0 or 1.1");
    } else if (key == "header") {
        std::vector<std::string> nv = parse_literals(v);
        if (nv.size() != 2) bad("header needs two literals: \"Name\" \"value\"");
        if (!c.headers) c.headers.emplace();
        c.headers->emplace_back(std::move(nv[0]), std::move(nv[1]));
    } else if (key == "body") {
        c.body = c.body.value_or("") + joined(v);
    } else if (key == "rest") {
        c.rest = c.rest.value_or("") + joined(v);
    } else {
        bad("unknown key '" + std::string(key) + "'");
    }
}

void check_case(const HttpCase& c) {
    if (c.request.empty()) bad("case has no request");
    if (c.rest) {
        if (c.rest->size() > c.request.size() ||
            c.request.compare(c.request.size() - c.rest->size(), c.rest->size(), *c.rest) != 0)
            bad("rest is not a suffix of request");
    }
    if (!c.complete() &&
        (c.method || c.target || c.path || c.query || c.host || c.body || c.headers))
        bad("an error case cannot expect request fields");
}

}  // namespace

std::string HttpCase::id() const {
    std::string s = file + "_" + name;
    for (char& ch : s) {
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '_';
        if (!ok) ch = '_';
    }
    return s;
}

std::vector<std::string> parse_literals(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    };
    for (skip_space(); i < text.size(); skip_space()) {
        if (text[i] != '"') bad("expected a string literal at: " + std::string(text.substr(i)));
        std::string s;
        for (++i;; ++i) {
            if (i >= text.size()) bad("unterminated string literal");
            char ch = text[i];
            if (ch == '"') break;
            if (ch != '\\') {
                s += ch;
                continue;
            }
            if (++i >= text.size()) bad("dangling backslash");
            switch (text[i]) {
            case 'r':
                s += '\r';
                break;
            case 'n':
                s += '\n';
                break;
            case 't':
                s += '\t';
                break;
            case '0':
                s += '\0';
                break;
            case '\\':
                s += '\\';
                break;
            case '"':
                s += '"';
                break;
            case 'x': {
                const int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
                const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
                if (hi < 0 || lo < 0) bad("\\x needs two hex digits");
                s += static_cast<char>(hi * 16 + lo);
                i += 2;
                break;
            }
            default:
                bad(std::string("unknown escape \\") + text[i]);
            }
        }
        ++i;  // closing quote
        skip_space();
        if (i < text.size() && text[i] == '*') {
            std::size_t n = 0, digits = 0;
            for (++i, skip_space(); i < text.size() && text[i] >= '0' && text[i] <= '9';
                 ++i, ++digits)
                n = n * 10 + static_cast<std::size_t>(text[i] - '0');
            if (digits == 0 || digits > 7) bad("*N needs a count of 1 to 7 digits");
            std::string r;
            r.reserve(s.size() * n);
            for (std::size_t k = 0; k < n; ++k) r += s;
            s = std::move(r);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<HttpCase> parse_cases(std::string_view text, const std::string& file) {
    std::vector<HttpCase> cases;
    std::set<std::string> names;
    int line_no = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = trim_line(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++line_no;
        try {
            if (line.empty() || line.front() == '#') continue;
            if (line.rfind("[case ", 0) == 0) {
                if (line.back() != ']') bad("case header must end with ']'");
                if (!cases.empty()) check_case(cases.back());
                HttpCase c;
                c.file = file;
                c.name = std::string(trim_line(line.substr(6, line.size() - 7)));
                c.line = line_no;
                if (c.name.empty()) bad("case without a name");
                if (!names.insert(c.name).second) bad("duplicate case name '" + c.name + "'");
                cases.push_back(std::move(c));
                continue;
            }
            if (cases.empty()) bad("key outside a case");
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) bad("expected 'key: value'");
            set_key(cases.back(), trim_line(line.substr(0, colon)),
                    trim_line(line.substr(colon + 1)));
        } catch (const std::runtime_error& e) {
            bad(file + ".cases:" + std::to_string(line_no) + ": " + e.what());
        }
    }
    if (!cases.empty()) {
        try {
            check_case(cases.back());
        } catch (const std::runtime_error& e) {
            bad(file + ".cases:" + std::to_string(cases.back().line) + ": " + e.what());
        }
    }
    return cases;
}

std::vector<HttpCase> load_cases(const std::string& dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file() && entry.path().extension() == ".cases")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<HttpCase> all;
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        if (!in) bad("cannot read " + path.string());
        std::ostringstream text;
        text << in.rdbuf();
        for (HttpCase& c : parse_cases(text.str(), path.stem().string()))
            all.push_back(std::move(c));
    }
    return all;
}

}  // namespace lesto::test
