// responses.cpp: the bytes a client received, read back as responses.
#include "support/responses.hpp"

#include "support/bytes.hpp"

#include "parser/chunked.hpp"

namespace lesto::test {

std::string_view Response::field(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

bool Response::says(std::string_view name, std::string_view value) const noexcept {
    for (const auto& [n, v] : headers)
        if (n == name && v == value) return true;
    return false;
}

namespace {

std::vector<Response> read(std::string_view out, Broken broken, bool until_close) {
    std::vector<Response> rs;
    while (!out.empty()) {
        LESTO_CHECK(broken, out.substr(0, 9) == "HTTP/1.1 " && out.size() >= 12,
                    "response start: " + escape(out.substr(0, 40)));
        Response r;
        r.status = std::stoi(std::string(out.substr(9, 3)));
        const std::size_t end = out.find("\r\n\r\n");
        LESTO_CHECK(broken, end != std::string_view::npos, "unterminated response head");
        const std::string_view head = out.substr(0, end + 2);
        std::size_t length = 0;
        bool has_length = false;
        bool chunked = false;
        for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
            const std::size_t crlf = head.find("\r\n", at);
            const std::string_view line = head.substr(at, crlf - at);
            const std::size_t colon = line.find(": ");
            LESTO_CHECK(broken, colon != std::string_view::npos, "response header " + escape(line));
            const std::string_view name = line.substr(0, colon), value = line.substr(colon + 2);
            if (name == "Content-Length") {
                has_length = true;
                length = std::stoul(std::string(value));
            }
            if (name == "Transfer-Encoding") chunked = value == "chunked";
            r.headers.emplace_back(name, value);
            at = crlf + 2;
        }
        out.remove_prefix(end + 4);
        if (chunked) {
            // The writer's chunks read back by core's decoder (the same coding both ways).
            http::Limits limits;
            limits.max_body_bytes = out.size();
            http::ChunkedDecoder decoder(limits);
            const http::ParseResult p = decoder.feed(out, r.body);
            if (until_close && p.status == http::ParseStatus::incomplete) {
                r.cut = true;
                rs.push_back(std::move(r));
                break;
            }
            LESTO_CHECK(broken, p.status == http::ParseStatus::complete,
                        "chunked body: " + escape(out.substr(0, 60)));
            out.remove_prefix(p.consumed);
            rs.push_back(std::move(r));
            continue;
        }
        const bool no_content = r.status == 100 || r.status == 204 || r.status == 304;
        if (until_close && ((!has_length && !no_content) || out.size() < length)) {
            r.body = out;
            r.cut = true;
            rs.push_back(std::move(r));
            break;
        }
        LESTO_CHECK(broken, has_length || no_content, "final response without Content-Length");
        LESTO_CHECK(broken, out.size() >= length, "response body cut short");
        r.body = out.substr(0, length);
        out.remove_prefix(length);
        rs.push_back(std::move(r));
    }
    return rs;
}

}  // namespace

std::vector<Response> read_responses(std::string_view out, Broken broken) {
    return read(out, broken, false);
}

std::vector<Response> read_responses_until_close(std::string_view out, Broken broken) {
    return read(out, broken, true);
}

}  // namespace lesto::test
