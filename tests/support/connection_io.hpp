// connection_io.hpp: playing the socket layer to a Connection in tests: bytes in, output out.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "pipeline/connection.hpp"

namespace lesto::test {

/// `bytes` arrive from the client; the connection processes them.
inline void feed(Connection& c, std::string_view bytes) {
    auto space = c.input_space(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    c.input_commit(bytes.size());
    c.process();
}

/// Everything the connection has to send, as if the socket took it all.
inline std::string take(Connection& c) {
    std::string out(c.output().view());
    c.output_sent(out.size());
    return out;
}

}  // namespace lesto::test
