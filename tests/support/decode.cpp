// decode.cpp: a chunked body fed to ChunkedDecoder in pieces, every step checked.
#include "support/decode.hpp"

#include "support/bytes.hpp"

namespace lesto::test {

using http::ParseResult;
using http::ParseStatus;

std::string show(const Decoded& d) {
    return "status=" + std::to_string(static_cast<int>(d.status)) +
           " code=" + std::to_string(d.code) + " reason='" + d.reason +
           "' consumed=" + std::to_string(d.consumed) + " body='" + escape(d.body) + "'";
}

void check_chunked_error(int code, std::string_view reason, Broken broken) {
    LESTO_CHECK(broken, code == 400 || code == 413 || code == 431, std::to_string(code));
    LESTO_CHECK(broken, !reason.empty(), "error without a reason");
}

Decoded decode(http::ChunkedDecoder& dec, std::string_view in, const std::vector<std::size_t>& ends,
               Broken broken) {
    Decoded d;
    std::size_t at = 0;
    for (const std::size_t end : ends) {
        const ExactCopy copy(in.substr(at, end - at));
        const std::string_view piece = copy.view();
        const std::size_t before = d.body.size();
        const ParseResult r = dec.feed(piece, d.body);
        LESTO_CHECK(broken, d.body.size() - before <= piece.size(),
                    "decoded more bytes than were fed");
        LESTO_CHECK(broken, r.consumed <= piece.size(), std::to_string(r.consumed));
        if (r.status == ParseStatus::error) {
            check_chunked_error(r.error.status, r.error.reason, broken);
            d.status = ParseStatus::error;
            d.code = r.error.status;
            d.reason = r.error.reason;
            const ParseResult again = dec.feed("0\r\n\r\n", d.body);
            LESTO_CHECK(broken,
                        again.status == ParseStatus::error && again.error.reason == r.error.reason,
                        "an error is not repeated");
            return d;
        }
        if (r.status == ParseStatus::complete) {
            d.status = ParseStatus::complete;
            d.consumed = at + r.consumed;
            const ParseResult again = dec.feed("0\r\n\r\n", d.body);
            LESTO_CHECK(broken, again.status == ParseStatus::complete && again.consumed == 0,
                        "completion is not repeated");
            return d;
        }
        LESTO_CHECK(broken, r.consumed == piece.size(), "an incomplete feed left bytes");
        at = end;
    }
    return d;
}

}  // namespace lesto::test
