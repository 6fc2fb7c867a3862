// ws_load.cpp: the WebSocket bench's load client: N connections echoing, K messages in flight each.
//
// What wrk is to bench/run.py, for WebSockets (bench/ws.py): one thread, one
// epoll set, non-blocking sockets. Each connection does the opening
// handshake (the Sec-WebSocket-Accept checked with OpenSSL's SHA-1), then
// writes K masked text messages of the same SIZE bytes and, for every echo
// that comes back whole and byte for byte the same, writes one more: K stay
// in flight until the time is up. All the messages a read completes are
// answered in one write. Prints one JSON object on stdout: the echoes
// counted within the duration, the seconds, and the errors by kind.
//
// Usage: ws_load PORT [--connections N] [--inflight K] [--size BYTES] [--duration S] [--path P]
//                     [--host H]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace lesto::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t input_capacity = 256 * 1024;
constexpr int max_events = 256;
constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

struct Options {
    int port = 0;
    std::string host = "127.0.0.1";
    std::string path = "/";
    int connections = 100;
    int inflight = 8;
    std::size_t size = 32;
    double duration = 5.0;
};

struct Errors {
    long connect = 0;    // the TCP connect failed
    long handshake = 0;  // no 101, or a wrong Sec-WebSocket-Accept
    long closed = 0;     // the server closed or reset the connection, or sent a close frame
    long mismatch = 0;   // a frame that is not the echo of a message sent
};

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int length =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(length));
    return out;
}

std::string accept_for(const std::string& key) {
    std::string input = key + std::string(websocket_guid);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
        std::fprintf(stderr, "ws_load: OpenSSL could not compute SHA-1\n");
        std::exit(2);
    }
    return base64(digest.data(), size);
}

/// The message every connection sends: SIZE printable ASCII bytes (valid UTF-8 text),
/// as a masked frame, and as the payload its echo must carry.
struct Message {
    std::string payload;
    std::string frame;

    Message(std::size_t size, std::mt19937& random) {
        payload.resize(size);
        for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
        frame.push_back(static_cast<char>(0x81));  // FIN, text
        if (size < 126) {
            frame.push_back(static_cast<char>(0x80 | size));
        } else if (size <= 0xffff) {
            frame.push_back(static_cast<char>(0x80 | 126));
            frame.push_back(static_cast<char>(size >> 8));
            frame.push_back(static_cast<char>(size));
        } else {
            frame.push_back(static_cast<char>(0x80 | 127));
            for (int b = 0; b < 8; ++b) frame.push_back(static_cast<char>(size >> (56 - 8 * b)));
        }
        // One key for every frame of the run: the server cannot tell, and the bytes are made once.
        std::array<char, 4> key{};
        for (char& k : key) k = static_cast<char>(random() & 0xff);
        frame.append(key.data(), key.size());
        for (std::size_t i = 0; i < size; ++i)
            frame.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    }
};

enum class Phase : std::uint8_t { connecting, handshake, open, dead };

struct Connection {
    int fd = -1;
    Phase phase = Phase::connecting;
    std::vector<char> input = std::vector<char>(input_capacity);
    std::size_t input_used = 0;
    std::string output;  // bytes not yet written; keeps its capacity
    std::size_t output_sent = 0;
    bool waiting_writable = false;
    // The echo being read: its payload bytes so far (it may come in fragments).
    std::size_t message_at = 0;
};

class Load {
public:
    Load(const Options& options, const Message& message, std::string request, std::string accept)
        : options_(options), message_(message), request_(std::move(request)),
          accept_(std::move(accept)) {}

    int run() {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0) {
            std::perror("epoll_create1");
            return 2;
        }
        const auto start = Clock::now();
        deadline_ = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(options_.duration));
        connections_.resize(static_cast<std::size_t>(options_.connections));
        for (Connection& conn : connections_) open_connection(conn);

        std::array<epoll_event, max_events> events{};
        for (;;) {
            const auto now = Clock::now();
            if (now >= deadline_) break;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
            int n = epoll_wait(epoll_fd_, events.data(), max_events,
                               static_cast<int>(left.count()) + 1);
            if (n < 0) {
                if (errno == EINTR) continue;
                std::perror("epoll_wait");
                return 2;
            }
            for (int i = 0; i < n; ++i) {
                const epoll_event& e = events[static_cast<std::size_t>(i)];
                dispatch(connections_[e.data.u64], e.events);
            }
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf(
            "{\"messages\": %ld, \"seconds\": %.3f, \"errors\": {\"connect\": %ld, "
            "\"handshake\": %ld, \"closed\": %ld, \"mismatch\": %ld}}\n",
            echoes_, seconds, errors_.connect, errors_.handshake, errors_.closed, errors_.mismatch);
        return 0;
    }

private:
    void open_connection(Connection& conn) {
        conn.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (conn.fd < 0) {
            std::perror("socket");
            std::exit(2);
        }
        int one = 1;
        setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(options_.port));
        inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr);
        if (connect(conn.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 &&
            errno != EINPROGRESS)
            return give_up(conn, errors_.connect);
        epoll_event event{};
        event.events = EPOLLOUT;
        event.data.u64 = static_cast<std::uint64_t>(&conn - connections_.data());
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn.fd, &event) < 0)
            return give_up(conn, errors_.connect);
    }

    void dispatch(Connection& conn, std::uint32_t events) {
        if (conn.phase == Phase::dead) return;
        if (conn.phase == Phase::connecting) {
            int error = 0;
            socklen_t size = sizeof error;
            if (getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0 || error != 0)
                return give_up(conn, errors_.connect);
            conn.phase = Phase::handshake;
            conn.output = request_;
            return flush(conn);
        }
        if (events & EPOLLOUT) return flush(conn);
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(conn);
    }

    void on_readable(Connection& conn) {
        ssize_t got = recv(conn.fd, conn.input.data() + conn.input_used,
                           conn.input.size() - conn.input_used, 0);
        if (got <= 0) {
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
            return give_up(conn, errors_.closed);
        }
        conn.input_used += static_cast<std::size_t>(got);
        std::size_t consumed = 0;
        if (conn.phase == Phase::handshake) {
            std::string_view input(conn.input.data(), conn.input_used);
            std::size_t end = input.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (conn.input_used == conn.input.size()) give_up(conn, errors_.handshake);
                return;
            }
            if (!upgraded(input.substr(0, end + 2))) return give_up(conn, errors_.handshake);
            consumed = end + 4;
            conn.phase = Phase::open;
            for (int i = 0; i < options_.inflight; ++i) conn.output += message_.frame;
        }
        const bool more = Clock::now() < deadline_;
        for (;;) {
            const Read r = read_frame(conn, consumed);
            if (r == Read::more) break;
            if (r == Read::bad) return give_up(conn, errors_.mismatch);
            if (r == Read::closed) return give_up(conn, errors_.closed);
            if (r == Read::echo) {
                ++echoes_;
                if (more) conn.output += message_.frame;
            }
        }
        std::size_t rest = conn.input_used - consumed;
        if (consumed > 0 && rest > 0)
            std::memmove(conn.input.data(), conn.input.data() + consumed, rest);
        conn.input_used = rest;
        if (conn.input_used == conn.input.size()) return give_up(conn, errors_.mismatch);
        if (conn.output.size() > conn.output_sent) flush(conn);
    }

    /// The head of a 101 with the Accept this key asks for.
    bool upgraded(std::string_view head) const {
        if (head.substr(0, 13) != "HTTP/1.1 101 ") return false;
        // Field names are case-insensitive: look for the value, then check the name before it.
        std::size_t at = head.find(accept_);
        if (at == std::string_view::npos) return false;
        std::size_t line = head.rfind("\r\n", at);
        if (line == std::string_view::npos) return false;
        std::string name(head.substr(line + 2, at - line - 2));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return name.rfind("sec-websocket-accept:", 0) == 0;
    }

    enum class Read : std::uint8_t { more, frame, echo, closed, bad };

    /// Reads the server's frame at input[consumed], when it is all there.
    Read read_frame(Connection& conn, std::size_t& consumed) {
        const char* p = conn.input.data() + consumed;
        const std::size_t available = conn.input_used - consumed;
        if (available < 2) return Read::more;
        const auto b0 = static_cast<unsigned char>(p[0]);
        const auto b1 = static_cast<unsigned char>(p[1]);
        if (b1 & 0x80) return Read::bad;  // a server's frames are not masked
        std::uint64_t length = b1 & 0x7f;
        std::size_t header = 2;
        if (length == 126) {
            if (available < 4) return Read::more;
            length = (std::uint64_t{static_cast<unsigned char>(p[2])} << 8) |
                     static_cast<unsigned char>(p[3]);
            header = 4;
        } else if (length == 127) {
            if (available < 10) return Read::more;
            length = 0;
            for (int b = 0; b < 8; ++b)
                length = (length << 8) | static_cast<unsigned char>(p[2 + b]);
            header = 10;
        }
        if (length > input_capacity - header) return Read::bad;
        const std::size_t size = header + static_cast<std::size_t>(length);
        if (available < size) return Read::more;
        consumed += size;
        const std::string_view payload(p + header, static_cast<std::size_t>(length));
        const unsigned opcode = b0 & 0x0f;
        if ((b0 & 0x70) != 0) return Read::bad;  // no extension was agreed
        if (opcode == 0x8) return Read::closed;
        if (opcode == 0x9) {  // a keepalive ping: answer it
            pong(conn, payload);
            return Read::frame;
        }
        if (opcode == 0xa) return Read::frame;
        const bool continuation = opcode == 0x0;
        if (continuation != (conn.message_at > 0) || opcode > 0x2) return Read::bad;
        // The echo, fragmented or not, must be the message sent, byte for byte.
        if (conn.message_at + payload.size() > message_.payload.size() ||
            payload != std::string_view(message_.payload).substr(conn.message_at, payload.size()))
            return Read::bad;
        conn.message_at += payload.size();
        if ((b0 & 0x80) == 0) return Read::frame;
        if (conn.message_at != message_.payload.size()) return Read::bad;
        conn.message_at = 0;
        return Read::echo;
    }

    static void pong(Connection& conn, std::string_view payload) {
        conn.output.push_back(static_cast<char>(0x8a));
        conn.output.push_back(static_cast<char>(0x80 | payload.size()));
        conn.output.append(4, '\0');  // a zero key: the payload goes as it is
        conn.output.append(payload);
    }

    /// Writes what is pending; on a partial write, waits for EPOLLOUT and stops reading.
    void flush(Connection& conn) {
        const std::size_t pending = conn.output.size() - conn.output_sent;
        ssize_t sent = pending == 0 ? 0
                                    : send(conn.fd, conn.output.data() + conn.output_sent, pending,
                                           MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return give_up(conn, errors_.closed);
            sent = 0;
        }
        conn.output_sent += static_cast<std::size_t>(sent);
        const bool drained = conn.output_sent == conn.output.size();
        if (drained) {
            conn.output.clear();
            conn.output_sent = 0;
        }
        const bool want_writable = !drained;
        // The first watch after connecting is for EPOLLOUT: switch to EPOLLIN then too.
        if (want_writable != conn.waiting_writable || conn.phase == Phase::handshake) {
            epoll_event event{};
            event.events = want_writable ? EPOLLOUT : EPOLLIN;
            event.data.u64 = static_cast<std::uint64_t>(&conn - connections_.data());
            if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event) < 0)
                return give_up(conn, errors_.closed);
            conn.waiting_writable = want_writable;
        }
    }

    static void give_up(Connection& conn, long& counter) {
        ++counter;
        conn.phase = Phase::dead;
        if (conn.fd >= 0) close(conn.fd);
        conn.fd = -1;
    }

    const Options& options_;
    const Message& message_;
    const std::string request_;
    const std::string accept_;
    int epoll_fd_ = -1;
    Clock::time_point deadline_;
    std::vector<Connection> connections_;
    long echoes_ = 0;
    Errors errors_;
};

bool parse_number(const char* text, double low, double high, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0' && out >= low && out <= high;
}

int usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s PORT [--connections N] [--inflight K] [--size BYTES] "
                 "[--duration S] [--path P] [--host H]\n",
                 program);
    return 2;
}

int run(int argc, char** argv) {
    Options options;
    double value = 0;
    if (argc < 2 || !parse_number(argv[1], 1, 65535, value)) return usage(argv[0]);
    options.port = static_cast<int>(value);
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) return usage(argv[0]);
        const std::string_view name = argv[i];
        const char* arg = argv[i + 1];
        if (name == "--path") {
            options.path = arg;
        } else if (name == "--host") {
            options.host = arg;
        } else if (name == "--connections" && parse_number(arg, 1, 60000, value)) {
            options.connections = static_cast<int>(value);
        } else if (name == "--inflight" && parse_number(arg, 1, 1000, value)) {
            options.inflight = static_cast<int>(value);
        } else if (name == "--size" && parse_number(arg, 0, 16384, value)) {
            options.size = static_cast<std::size_t>(value);
        } else if (name == "--duration" && parse_number(arg, 0.001, 3600, value)) {
            options.duration = value;
        } else {
            std::fprintf(stderr, "ws_load: bad option %s %s\n", argv[i], arg);
            return usage(argv[0]);
        }
    }
    in_addr probe{};
    if (inet_pton(AF_INET, options.host.c_str(), &probe) != 1) {
        std::fprintf(stderr, "ws_load: bad IPv4 host '%s'\n", options.host.c_str());
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);

    std::mt19937 random(std::random_device{}());
    std::array<unsigned char, 16> nonce{};
    for (unsigned char& b : nonce) b = static_cast<unsigned char>(random() & 0xff);
    const std::string key = base64(nonce.data(), nonce.size());
    const std::string request = "GET " + options.path + " HTTP/1.1\r\nHost: " + options.host + ":" +
                                std::to_string(options.port) +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: " +
                                key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const Message message(options.size, random);
    return Load(options, message, request, accept_for(key)).run();
}

}  // namespace
}  // namespace lesto::bench

int main(int argc, char** argv) { return lesto::bench::run(argc, argv); }
