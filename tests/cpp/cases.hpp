// cases.hpp: loads the HTTP cases of tests/cases/*.cases for any C++ test that replays them.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lesto::test {

/// One case: the bytes sent and what the server must make of them. Fields
/// left empty (std::nullopt) are not checked. The format is described in
/// tests/cases/README.md.
struct HttpCase {
    std::string file;  ///< file name without ".cases"
    std::string name;
    int line = 0;  ///< line of the [case ...] header, for messages

    std::string request;  ///< the wire, `rest` included
    int status = 0;       ///< 0 for `expect: complete`, else the error status
    std::optional<std::string> reason;

    std::optional<std::string> method, target, path, query, host, body, rest;
    std::optional<bool> has_query, keep_alive, expect_continue;
    std::optional<int> version_minor;
    std::optional<std::vector<std::pair<std::string, std::string>>> headers;

    bool complete() const noexcept { return status == 0; }
    /// Bytes of this request (head and body): the wire minus `rest`.
    std::size_t request_size() const noexcept { return request.size() - (rest ? rest->size() : 0); }
    /// "file_name" with every byte outside [A-Za-z0-9_] as '_': a test name.
    std::string id() const;
};

/// Every case of every *.cases file in `dir`, files in name order.
/// Throws std::runtime_error naming file and line on a malformed file.
std::vector<HttpCase> load_cases(const std::string& dir);

/// The cases of one file's text; `file` names it in errors and in HttpCase::file.
std::vector<HttpCase> parse_cases(std::string_view text, const std::string& file);

/// The byte strings of one value: C-style literals, each with an optional
/// `*N`. Throws std::runtime_error on bad syntax. (support/bytes.hpp's
/// escape writes a literal's body.)
std::vector<std::string> parse_literals(std::string_view text);

inline void PrintTo(const HttpCase& c, std::ostream* os) {
    *os << c.file << ".cases:" << c.line << " " << c.name;
}

}  // namespace lesto::test
