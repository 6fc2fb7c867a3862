// percent.hpp: percent-decoding of a request path (RFC 3986 2.1), for routing and for the app.
#pragma once

#include <string>
#include <string_view>

namespace lesto::http {

/// Decode every `%XX` (hex, either case) of `in` into `out`. A '%' not
/// followed by two hex digits stays as it is. Returns false, leaving `out`
/// untouched, when `in` has no '%' at all (the common case: use `in` itself).
bool percent_decode(std::string_view in, std::string& out);

/// The path the router matches: like `percent_decode`, except that `%2F`
/// and `%25` stay encoded, so an encoded slash never splits a segment and a
/// placeholder's value can be decoded once more, exactly once, with
/// `percent_decode`. Returns false when `in` has no '%'.
bool routing_decode(std::string_view in, std::string& out);

}  // namespace lesto::http
