// replay.cpp: a wire parsed as a socket would deliver it, every step checked.
#include "support/replay.hpp"

#include "support/bytes.hpp"
#include "support/decode.hpp"
#include "support/head_check.hpp"

#include <cstring>
#include <memory>

namespace lesto::test {
namespace {

using http::BodyKind;
using http::ParseResult;
using http::ParseStatus;

constexpr std::size_t fresh_limit = 4096;

/// The receive buffer of a replay (see replay()).
class ReceiveBuffer {
public:
    explicit ReceiveBuffer(std::string_view wire)
        : wire_(wire),
          grown_(wire.size() > fresh_limit ? std::make_unique<char[]>(wire.size()) : nullptr) {}

    /// The first `end` bytes of the wire; `end` never shrinks.
    const char* grow_to(std::size_t end) {
        if (wire_.size() <= fresh_limit) {
            fresh_ = ExactCopy(wire_.substr(0, end));
            return fresh_.view().data();
        }
        std::memcpy(grown_.get() + have_, wire_.data() + have_, end - have_);
        have_ = end;
        return grown_.get();
    }

private:
    std::string_view wire_;
    ExactCopy fresh_{{}};
    std::unique_ptr<char[]> grown_;
    std::size_t have_ = 0;
};

}  // namespace

std::string show(const Request& r) {
    std::string s =
        "status=" + std::to_string(static_cast<int>(r.status)) + " code=" + std::to_string(r.code) +
        " reason='" + r.reason + "' method='" + escape(r.method) + "' target='" + escape(r.target) +
        "' path='" + escape(r.path) + "' query='" + escape(r.query) + "' host='" + escape(r.host) +
        "' v=" + std::to_string(r.version_minor) +
        " kind=" + std::to_string(static_cast<int>(r.body_kind)) +
        " cl=" + std::to_string(r.content_length) + " ka=" + std::to_string(r.keep_alive) +
        " ec=" + std::to_string(r.expect_continue) + " head=" + std::to_string(r.head_size) +
        " consumed=" + std::to_string(r.consumed) + " body='" + escape(r.body) +
        "' headers=" + std::to_string(r.headers.size());
    for (const auto& [n, v] : r.headers) s += " [" + escape(n) + ": " + escape(v) + "]";
    return s;
}

Request take(const http::RequestHead& h) {
    Request r;
    r.method = h.method;
    r.target = h.target;
    r.path = h.path;
    r.query = h.query;
    r.query_set = h.query.data() != nullptr;
    r.host = h.host;
    r.host_set = h.host.data() != nullptr;
    r.has_query = h.has_query;
    r.version_minor = h.version_minor;
    for (const auto& f : h.headers)
        r.headers.emplace_back(std::string(f.name), std::string(f.value));
    r.body_kind = h.body_kind;
    r.content_length = h.content_length;
    r.keep_alive = h.keep_alive;
    r.expect_continue = h.expect_continue;
    r.head_size = h.head_size;
    return r;
}

std::vector<Request> replay(std::string_view wire, const std::vector<std::size_t>& ends,
                            const http::Limits& limits, Broken broken,
                            const ReplayOptions& options) {
    http::RequestParser parser(limits, *options.scanners);
    http::ChunkedDecoder chunked(limits);
    http::RequestHead head;
    head.headers.reserve(limits.max_header_count);
    const bool exact = ends.size() == wire.size();  // one byte per step
    ReceiveBuffer buf(wire);
    std::vector<Request> done;
    Request cur;
    bool in_body = false;
    std::size_t start = 0;  // wire offset of the request being parsed
    std::size_t fed = 0;    // wire offset up to which the chunked decoder has seen the body
    for (const std::size_t end : ends) {
        const char* const bytes = buf.grow_to(end);
        for (;;) {
            if (!in_body) {
                const std::string_view data(bytes + start, end - start);
                const ParseResult r = parser.parse(data, head);
                check_views(head, data, broken);
                LESTO_CHECK(broken, r.consumed <= data.size(), std::to_string(r.consumed));
                if (r.status == ParseStatus::incomplete) break;
                if (r.status == ParseStatus::error) {
                    check_error(r.error.status, r.error.reason, broken);
                    cur.status = ParseStatus::error;
                    cur.code = r.error.status;
                    cur.reason = r.error.reason;
                    const ParseResult again = parser.parse(data, head);
                    LESTO_CHECK(broken,
                                again.status == ParseStatus::error &&
                                    again.error.status == r.error.status &&
                                    again.error.reason == r.error.reason,
                                "an error is not repeated");
                    done.push_back(std::move(cur));
                    return done;
                }
                LESTO_CHECK(broken, r.consumed == head.head_size, std::to_string(r.consumed));
                if (exact)
                    LESTO_CHECK(broken, r.consumed == data.size(),
                                "head complete before or after its last byte");
                check_head(head, data, limits, broken);
                cur = take(head);
                const ParseResult again = parser.parse(data, head);
                LESTO_CHECK(broken,
                            again.status == ParseStatus::complete && again.consumed == r.consumed,
                            "completion is not repeated");
                in_body = true;
                fed = start + r.consumed;
            }
            bool finished = false;
            if (cur.body_kind == BodyKind::none) {
                cur.consumed = cur.head_size;
                finished = true;
            } else if (cur.body_kind == BodyKind::content_length) {
                if (end - start - cur.head_size >= cur.content_length) {
                    cur.body.assign(bytes + start + cur.head_size,
                                    static_cast<std::size_t>(cur.content_length));
                    cur.consumed = cur.head_size + static_cast<std::size_t>(cur.content_length);
                    finished = true;
                }
            } else {
                const std::string_view piece(bytes + fed, end - fed);
                const std::size_t before = cur.body.size();
                const ParseResult r = chunked.feed(piece, cur.body);
                LESTO_CHECK(broken, cur.body.size() - before <= piece.size(),
                            "decoded more than was fed");
                LESTO_CHECK(broken, cur.body.size() <= limits.max_body_bytes,
                            std::to_string(cur.body.size()));
                if (r.status == ParseStatus::error) {
                    check_chunked_error(r.error.status, r.error.reason, broken);
                    // The head stays in the outcome, and so does the body
                    // decoded before the bad byte: it must not depend on the split.
                    cur.status = ParseStatus::error;
                    cur.code = r.error.status;
                    cur.reason = r.error.reason;
                    done.push_back(std::move(cur));
                    return done;
                }
                if (r.status == ParseStatus::incomplete) {
                    LESTO_CHECK(broken, r.consumed == piece.size(),
                                "an incomplete feed left bytes");
                    fed = end;
                } else {
                    LESTO_CHECK(broken, r.consumed <= piece.size(), std::to_string(r.consumed));
                    if (exact)
                        LESTO_CHECK(broken, r.consumed == piece.size(),
                                    "body complete before or after its last byte");
                    cur.consumed = fed + r.consumed - start;
                    finished = true;
                }
            }
            if (!finished) break;
            cur.status = ParseStatus::complete;
            LESTO_CHECK(broken, start + cur.consumed <= end, "consumed past the buffer");
            start += cur.consumed;
            done.push_back(std::move(cur));
            cur = Request{};
            if (done.size() == options.max_requests) return done;
            parser.reset();
            chunked.reset();
            in_body = false;
        }
    }
    // Unfinished: the request as far as it came. Before its head completes
    // that is nothing; after, the head and the chunked bytes decoded so far,
    // which every split agrees on.
    if (start < wire.size() || in_body) done.push_back(std::move(cur));
    return done;
}

}  // namespace lesto::test
