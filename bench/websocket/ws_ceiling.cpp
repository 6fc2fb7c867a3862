// ws_ceiling.cpp: the WebSocket bench ceiling, a single-threaded epoll server echoing each frame.
//
// What the wire and the kernel cost for a WebSocket echo with no framework,
// as bench/ceiling/ceiling.cpp is for HTTP: the opening handshake (the
// Sec-WebSocket-Key found by a plain search, SHA-1 by OpenSSL), then per
// readable event one recv, every complete frame unmasked straight into the
// output as an unmasked frame of the same opcode, and one send for the whole
// batch. Pings get pongs, a close gets its close echoed and ends the
// connection. It does not assemble fragments, validate UTF-8, check RSV bits
// or compress, so a real server is expected above it.
//
// Usage: ws_ceiling PORT [HOST]   (HOST defaults to 127.0.0.1)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lesto::bench {
namespace {

constexpr std::size_t input_capacity = 256 * 1024;  // a larger frame closes the connection
constexpr int max_events = 256;
constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Output bytes without the zero-fill of std::vector::resize: a frame's
/// payload is unmasked straight into the space `append` hands out.
class Output {
public:
    char* append(std::size_t n) {
        if (size_ + n > capacity_) grow(size_ + n);
        char* p = data_.get() + size_;
        size_ += n;
        return p;
    }
    void put(std::string_view s) { std::memcpy(append(s.size()), s.data(), s.size()); }
    [[nodiscard]] const char* data() const { return data_.get(); }
    [[nodiscard]] std::size_t size() const { return size_; }
    void clear() { size_ = 0; }

private:
    void grow(std::size_t need) {
        std::size_t capacity =
            std::max<std::size_t>(capacity_ * 2, std::max<std::size_t>(need, 4096));
        auto bigger = std::make_unique<char[]>(capacity);
        if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = capacity;
    }

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

/// One client connection. Objects are kept per fd and reused, so a steady run allocates nothing.
struct Connection {
    std::vector<char> input = std::vector<char>(input_capacity);
    std::size_t input_used = 0;
    Output output;  // frames not yet sent; keeps its capacity
    std::size_t output_sent = 0;
    bool upgraded = false;          // the 101 is written: input holds frames
    bool closing = false;           // close once the output is sent
    bool waiting_writable = false;  // registered for EPOLLOUT instead of EPOLLIN
};

bool equal_lowercase(std::string_view text, std::string_view lowercase) {
    if (text.size() != lowercase.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != lowercase[i]) return false;
    }
    return true;
}

/// The value of the Sec-WebSocket-Key field in a request head, or empty.
std::string_view find_key(std::string_view head) {
    constexpr std::string_view name = "sec-websocket-key";
    std::size_t line = head.find("\r\n");
    while (line != std::string_view::npos && line + 2 < head.size()) {
        std::size_t start = line + 2;
        std::size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos) end = head.size();
        std::string_view field = head.substr(start, end - start);
        std::size_t colon = field.find(':');
        if (colon != std::string_view::npos && equal_lowercase(field.substr(0, colon), name)) {
            std::string_view value = field.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            return value;
        }
        line = end;
    }
    return {};
}

/// The 101 for `key`, or an empty string when OpenSSL fails.
std::string switching_protocols(std::string_view key) {
    std::string input(key);
    input += websocket_guid;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) !=
        1)
        return {};
    std::array<unsigned char, 32> accept{};  // base64 of 20 bytes: 28 characters and a NUL
    int length = EVP_EncodeBlock(accept.data(), digest.data(), static_cast<int>(digest_size));
    std::string out =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    out.append(reinterpret_cast<const char*>(accept.data()), static_cast<std::size_t>(length));
    out += "\r\n\r\n";
    return out;
}

/// Writes `n` bytes of `in`, unmasked with `key` (RFC 6455 5.3), to `out`: eight at a time.
void unmask(const char* in, std::size_t n, const unsigned char* key, char* out) {
    std::uint32_t key32 = 0;
    std::memcpy(&key32, key, 4);
    const std::uint64_t key64 = (std::uint64_t{key32} << 32) | key32;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, in + i, 8);
        word ^= key64;
        std::memcpy(out + i, &word, 8);
    }
    for (; i < n; ++i) out[i] = static_cast<char>(in[i] ^ static_cast<char>(key[i % 4]));
}

/// An unmasked frame header for a payload of `n` bytes.
void put_header(Output& out, unsigned char first, std::uint64_t n) {
    if (n < 126) {
        char* h = out.append(2);
        h[0] = static_cast<char>(first);
        h[1] = static_cast<char>(n);
    } else if (n <= 0xffff) {
        char* h = out.append(4);
        h[0] = static_cast<char>(first);
        h[1] = 126;
        h[2] = static_cast<char>(n >> 8);
        h[3] = static_cast<char>(n);
    } else {
        char* h = out.append(10);
        h[0] = static_cast<char>(first);
        h[1] = 127;
        for (int b = 0; b < 8; ++b) h[2 + b] = static_cast<char>(n >> (56 - 8 * b));
    }
}

enum class Parsed : std::uint8_t { more, ok, close, bad };

class Server {
public:
    Server(int listen_fd, int epoll_fd) : listen_fd_(listen_fd), epoll_fd_(epoll_fd) {}

    [[noreturn]] void run() {
        std::array<epoll_event, max_events> events{};
        for (;;) {
            int n = epoll_wait(epoll_fd_, events.data(), max_events, -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("epoll_wait");
                std::exit(1);
            }
            for (int i = 0; i < n; ++i) dispatch(events[static_cast<std::size_t>(i)]);
        }
    }

private:
    void dispatch(const epoll_event& event) {
        int fd = event.data.fd;
        if (fd == listen_fd_) return accept_all();
        Connection& conn = *connections_[static_cast<std::size_t>(fd)];
        if (event.events & (EPOLLERR | EPOLLHUP)) return close_connection(fd, conn);
        if (event.events & EPOLLOUT) return flush(fd, conn);
        if (event.events & EPOLLIN) on_readable(fd, conn);
    }

    void accept_all() {
        for (;;) {
            int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) std::perror("accept4");
                return;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto index = static_cast<std::size_t>(fd);
            if (index >= connections_.size()) connections_.resize(index + 1);
            if (!connections_[index]) connections_[index] = std::make_unique<Connection>();
            reset(*connections_[index]);
            if (!watch(EPOLL_CTL_ADD, fd, EPOLLIN)) close(fd);
        }
    }

    void on_readable(int fd, Connection& conn) {
        ssize_t got =
            recv(fd, conn.input.data() + conn.input_used, conn.input.size() - conn.input_used, 0);
        if (got == 0) return close_connection(fd, conn);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            return close_connection(fd, conn);
        }
        conn.input_used += static_cast<std::size_t>(got);

        std::size_t consumed = 0;
        if (!conn.upgraded && !handshake(conn, consumed)) return close_connection(fd, conn);
        if (conn.upgraded) {
            for (;;) {
                Parsed p = echo_frame(conn, consumed);
                if (p == Parsed::more) break;
                if (p == Parsed::bad) return close_connection(fd, conn);
                if (p == Parsed::close) {
                    conn.closing = true;
                    break;
                }
            }
        }

        // Keep a frame cut short at the front of the input.
        std::size_t rest = conn.input_used - consumed;
        if (consumed > 0 && rest > 0)
            std::memmove(conn.input.data(), conn.input.data() + consumed, rest);
        conn.input_used = rest;
        if (conn.input_used == conn.input.size()) return close_connection(fd, conn);

        if (conn.output.size() > 0) flush(fd, conn);
    }

    /// Answers a complete request head with the 101; false for a head without a key, or one
    /// that does not fit.
    static bool handshake(Connection& conn, std::size_t& consumed) {
        std::string_view input(conn.input.data(), conn.input_used);
        std::size_t end = input.find("\r\n\r\n");
        if (end == std::string_view::npos) return conn.input_used < conn.input.size();
        std::string_view key = find_key(input.substr(0, end + 2));
        if (key.empty()) return false;
        std::string answer = switching_protocols(key);
        if (answer.empty()) return false;
        conn.output.put(answer);
        conn.upgraded = true;
        consumed = end + 4;
        return true;
    }

    /// Echoes the frame at input[consumed], when it is all there, and steps over it.
    static Parsed echo_frame(Connection& conn, std::size_t& consumed) {
        const char* p = conn.input.data() + consumed;
        const std::size_t available = conn.input_used - consumed;
        if (available < 2) return Parsed::more;
        const auto b0 = static_cast<unsigned char>(p[0]);
        const auto b1 = static_cast<unsigned char>(p[1]);
        if ((b1 & 0x80) == 0) return Parsed::bad;  // a client's frames are masked
        std::uint64_t length = b1 & 0x7f;
        std::size_t header = 2;
        if (length == 126) {
            if (available < 4) return Parsed::more;
            length = (std::uint64_t{static_cast<unsigned char>(p[2])} << 8) |
                     static_cast<unsigned char>(p[3]);
            header = 4;
        } else if (length == 127) {
            if (available < 10) return Parsed::more;
            length = 0;
            for (int b = 0; b < 8; ++b)
                length = (length << 8) | static_cast<unsigned char>(p[2 + b]);
            header = 10;
        }
        if (length > input_capacity) return Parsed::bad;
        const std::size_t size = header + 4 + static_cast<std::size_t>(length);
        if (available < size) return Parsed::more;

        const auto* key = reinterpret_cast<const unsigned char*>(p + header);
        const char* payload = p + header + 4;
        const unsigned opcode = b0 & 0x0f;
        consumed += size;
        if (opcode == 0xa) return Parsed::ok;  // a pong: nothing to answer
        // Data frames keep FIN and opcode (the RSV bits go); a ping's answer is a pong, a close's
        // its own payload back.
        unsigned char first = opcode == 0x9 ? 0x8a : static_cast<unsigned char>(b0 & 0x8f);
        put_header(conn.output, first, length);
        unmask(payload, static_cast<std::size_t>(length), key,
               conn.output.append(static_cast<std::size_t>(length)));
        return opcode == 0x8 ? Parsed::close : Parsed::ok;
    }

    /// One send for everything pending; on a partial write, wait for EPOLLOUT and stop reading
    /// (backpressure) until the rest has gone.
    void flush(int fd, Connection& conn) {
        std::size_t pending = conn.output.size() - conn.output_sent;
        ssize_t sent = send(fd, conn.output.data() + conn.output_sent, pending, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return close_connection(fd, conn);
            sent = 0;
        }
        conn.output_sent += static_cast<std::size_t>(sent);
        if (conn.output_sent == conn.output.size()) {
            conn.output.clear();
            conn.output_sent = 0;
            if (conn.closing) return close_connection(fd, conn);
            if (conn.waiting_writable && watch(EPOLL_CTL_MOD, fd, EPOLLIN))
                conn.waiting_writable = false;
        } else if (!conn.waiting_writable) {
            if (!watch(EPOLL_CTL_MOD, fd, EPOLLOUT)) return close_connection(fd, conn);
            conn.waiting_writable = true;
        }
    }

    static void reset(Connection& conn) {
        conn.input_used = conn.output_sent = 0;
        conn.output.clear();
        conn.upgraded = conn.closing = conn.waiting_writable = false;
    }

    static void close_connection(int fd, Connection& conn) {
        reset(conn);
        close(fd);  // closing removes fd from the epoll set
    }

    bool watch(int op, int fd, std::uint32_t interest) {
        epoll_event event{};
        event.events = interest;
        event.data.fd = fd;
        return epoll_ctl(epoll_fd_, op, fd, &event) == 0;
    }

    int listen_fd_;
    int epoll_fd_;
    std::vector<std::unique_ptr<Connection>> connections_;
};

int fail(const char* what) {
    std::perror(what);
    return 1;
}

int run(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
        return 2;
    }
    char* end = nullptr;
    long port = std::strtol(argv[1], &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
        std::fprintf(stderr, "ws_ceiling: bad port '%s'\n", argv[1]);
        return 2;
    }
    const char* host = argc == 3 ? argv[2] : "127.0.0.1";

    std::signal(SIGPIPE, SIG_IGN);

    int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) return fail("socket");
    int one = 1;
    if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        return fail("SO_REUSEADDR");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        std::fprintf(stderr, "ws_ceiling: bad IPv4 host '%s'\n", host);
        return 2;
    }
    if (bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return fail("bind");
    if (listen(listen_fd, SOMAXCONN) < 0) return fail("listen");

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return fail("epoll_create1");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listen_fd;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &event) < 0) return fail("epoll_ctl");

    std::fprintf(stderr, "ws_ceiling: listening on %s:%ld\n", host, port);
    Server(listen_fd, epoll_fd).run();
}

}  // namespace
}  // namespace lesto::bench

int main(int argc, char** argv) { return lesto::bench::run(argc, argv); }
