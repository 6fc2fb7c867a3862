// extensions.cpp: reading Sec-WebSocket-Extensions offers and answering permessage-deflate.
#include "websocket/extensions.hpp"

#include <algorithm>
#include <cstddef>

#include "http/fields.hpp"

namespace lesto::ws {
namespace {

/// A parameter's value as written: a token, or a quoted-string unescaped.
/// Only short values matter here (window bits are one or two digits), so
/// at most four bytes are kept and a longer value is just "long".
struct Value {
    bool present = false;
    char bytes[4] = {};
    std::size_t size = 0;  // may exceed sizeof bytes: then the value is long
    void add(char c) noexcept {
        if (size < sizeof bytes) bytes[size] = c;
        ++size;
    }
    std::string_view view() const noexcept {
        return {bytes, size < sizeof bytes ? size : sizeof bytes};
    }
};

/// Walks one extension-list (RFC 6455 9.1) element by element:
///   extension = token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] )
/// separated by OWS "," OWS. A broken element is skipped to the next comma
/// outside a quoted-string.
class Reader {
public:
    explicit Reader(std::string_view s) noexcept : s_(s) {}

    bool at_end() noexcept {
        skip_ows();
        return i_ == s_.size();
    }
    /// The element's extension token; empty when it has none (then the element is broken).
    std::string_view token() noexcept {
        skip_ows();
        const std::size_t start = i_;
        while (i_ < s_.size() && http::is_tchar(s_[i_])) ++i_;
        return s_.substr(start, i_ - start);
    }
    /// After a token or a parameter: true at a ';' (taken), false at the
    /// element's end (a ',' taken, or the end); `broken` for anything else.
    bool next_param(bool& broken) noexcept {
        skip_ows();
        if (i_ == s_.size()) return false;
        if (s_[i_] == ',') return ++i_, false;
        if (s_[i_] == ';') return ++i_, true;
        broken = true;
        return false;
    }
    /// After a parameter's name: its value, if it has one. False when the
    /// value breaks the grammar.
    bool value(Value& v) noexcept {
        v = {};
        skip_ows();
        if (i_ == s_.size() || s_[i_] != '=') return true;
        ++i_;
        skip_ows();
        v.present = true;
        if (i_ < s_.size() && s_[i_] == '"') {
            // Read to the closing quote even past a bad byte, so that the
            // next element starts after it.
            bool ok = true;
            for (++i_; i_ < s_.size(); ++i_) {
                char c = s_[i_];
                if (c == '"') return ++i_, ok && v.size > 0;
                if (c == '\\') {
                    if (++i_ == s_.size()) break;
                    c = s_[i_];
                }
                // RFC 6455 9.1: unescaped, a quoted value must be a token.
                ok = ok && http::is_tchar(c);
                v.add(c);
            }
            return false;  // no closing quote: the element runs to the end
        }
        while (i_ < s_.size() && http::is_tchar(s_[i_])) v.add(s_[i_++]);
        return v.size > 0;
    }
    /// Skips the rest of a broken element, past its comma.
    void skip_element() noexcept {
        bool quoted = false;
        for (; i_ < s_.size(); ++i_) {
            const char c = s_[i_];
            if (quoted && c == '\\') ++i_;
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) break;
        }
        if (i_ < s_.size()) ++i_;
    }

private:
    void skip_ows() noexcept {
        while (i_ < s_.size() && http::is_ows(s_[i_])) ++i_;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

/// A window size value: "8" to "15", decimal without leading zeros
/// (RFC 7692 7.1.2.1). 0 when it is not one.
std::uint8_t window_bits(const Value& v) noexcept {
    const std::string_view s = v.view();
    if (v.size == 1 && s[0] >= '8' && s[0] <= '9') return static_cast<std::uint8_t>(s[0] - '0');
    if (v.size == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5')
        return static_cast<std::uint8_t>(10 + (s[1] - '0'));
    return 0;
}

/// Applies one parameter to `o`; false when it makes the offer unusable.
bool apply_param(std::string_view name, const Value& v, DeflateOffer& o) noexcept {
    const auto flag = [&](bool& seen) {
        if (seen || v.present) return false;
        return seen = true;
    };
    if (http::equals_ignoring_case(name, "server_no_context_takeover"))
        return flag(o.server_no_context_takeover);
    if (http::equals_ignoring_case(name, "client_no_context_takeover"))
        return flag(o.client_no_context_takeover);
    if (http::equals_ignoring_case(name, "server_max_window_bits")) {
        if (o.server_max_window_bits != 0 || !v.present) return false;
        return (o.server_max_window_bits = window_bits(v)) != 0;
    }
    if (http::equals_ignoring_case(name, "client_max_window_bits")) {
        if (o.client_max_window_bits) return false;
        o.client_max_window_bits = true;
        if (!v.present) return true;
        return (o.client_bits_value = window_bits(v)) != 0;
    }
    return false;  // RFC 7692 7.1: an unknown parameter declines the offer
}

std::uint8_t clamp_bits(std::uint8_t bits) noexcept {
    return std::clamp<std::uint8_t>(bits, 8, 15);
}

}  // namespace

std::vector<DeflateOffer> deflate_offers(std::string_view value) {
    std::vector<DeflateOffer> offers;
    Reader r(value);
    while (!r.at_end()) {
        const std::string_view name = r.token();
        bool broken = name.empty();
        const bool ours = http::equals_ignoring_case(name, "permessage-deflate");
        DeflateOffer offer;
        bool usable = true;
        while (!broken && r.next_param(broken)) {
            const std::string_view param = r.token();
            Value v;
            if (param.empty() || !r.value(v)) {
                broken = true;
                break;
            }
            if (ours && usable) usable = apply_param(param, v, offer);
        }
        if (broken) {
            r.skip_element();
            continue;
        }
        if (ours && usable) offers.push_back(offer);
    }
    return offers;
}

DeflateParams accept_offer(const DeflateOffer& offer, const DeflateOptions& options) noexcept {
    DeflateParams p;
    p.level = options.level;
    p.mem_level = options.mem_level;
    // server_no_context_takeover offered must be agreed to (RFC 7692
    // 7.1.1.1); client_no_context_takeover the server may ask for always.
    p.server_no_context_takeover =
        offer.server_no_context_takeover || options.server_no_context_takeover;
    p.client_no_context_takeover =
        offer.client_no_context_takeover || options.client_no_context_takeover;
    const std::uint8_t own = clamp_bits(options.server_max_window_bits);
    if (offer.server_max_window_bits != 0) {
        // 7.1.2.1: an offered bound is answered with it or a smaller one.
        p.server_max_window_bits = std::min(own, offer.server_max_window_bits);
        p.send_server_bits = true;
    } else {
        p.server_max_window_bits = own;
        p.send_server_bits = own < 15;
    }
    if (offer.client_max_window_bits) {
        // 7.1.2.2: named in the answer only when offered; the client then
        // compresses within it, and the server inflates with it.
        std::uint8_t bits = clamp_bits(options.client_max_window_bits);
        if (offer.client_bits_value != 0) bits = std::min(bits, offer.client_bits_value);
        p.client_max_window_bits = bits;
        p.send_client_bits = bits < 15;
    }
    return p;
}

std::optional<DeflateParams> negotiate_deflate(const http::RequestHead& head,
                                               const DeflateOptions& options) {
    if (!options.enabled) return std::nullopt;
    for (const http::Header& h : head.headers) {
        if (!http::equals_ignoring_case(h.name, "sec-websocket-extensions")) continue;
        const std::vector<DeflateOffer> offers = deflate_offers(h.value);
        if (!offers.empty()) return accept_offer(offers.front(), options);
    }
    return std::nullopt;
}

std::string deflate_response(const DeflateParams& p) {
    std::string s = "permessage-deflate";
    if (p.server_no_context_takeover) s += "; server_no_context_takeover";
    if (p.client_no_context_takeover) s += "; client_no_context_takeover";
    if (p.send_server_bits)
        s += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
    if (p.send_client_bits)
        s += "; client_max_window_bits=" + std::to_string(p.client_max_window_bits);
    return s;
}

}  // namespace lesto::ws
