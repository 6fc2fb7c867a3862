// ceiling.cpp: the bench ceiling, a single-threaded epoll server answering a canned response.
//
// What the wire and the kernel cost with no framework: one recv per readable
// event, "\r\n\r\n" counts the requests (bench requests have no body), one send
// carries the answers of the whole batch. It does what a good server does on
// the syscall side (TCP_NODELAY, batched writes, backpressure on partial
// writes, a Date refreshed once per second) and nothing else, so a framework's
// cost per request can be read as a ratio to this one.
//
// Usage: ceiling PORT [HOST]   (HOST defaults to 127.0.0.1)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string_view>
#include <vector>

namespace lesto::bench {
namespace {

constexpr std::size_t input_capacity = 16 * 1024;  // a request head larger than this is refused
constexpr int max_events = 256;

/// The canned response; the 29 bytes of the Date value are rewritten in place once per second.
class CannedResponse {
public:
    CannedResponse() { refresh_date(); }

    void refresh_date() {
        std::time_t now = std::time(nullptr);
        std::tm utc{};
        gmtime_r(&now, &utc);
        // The program never calls setlocale, so %a and %b are the English names HTTP wants.
        std::array<char, date_length + 1> date{};
        if (std::strftime(date.data(), date.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc) ==
            date_length)
            std::memcpy(bytes_.data() + head.size(), date.data(), date_length);
    }

    [[nodiscard]] const char* data() const { return bytes_.data(); }
    static constexpr std::size_t size() { return total_length; }

private:
    static constexpr std::string_view head =
        "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain; "
        "charset=utf-8\r\nDate: ";
    static constexpr std::string_view tail = "\r\n\r\nHello world!";
    static constexpr std::size_t date_length = 29;  // "Sun, 06 Nov 1994 08:49:37 GMT"
    static constexpr std::size_t total_length = head.size() + date_length + tail.size();

    static constexpr std::array<char, total_length> initial() {
        std::array<char, total_length> out{};
        std::size_t i = 0;
        for (char c : head) out[i++] = c;
        for (std::size_t d = 0; d < date_length; ++d) out[i++] = ' ';
        for (char c : tail) out[i++] = c;
        return out;
    }

    std::array<char, total_length> bytes_ = initial();
};

/// One client connection. Objects are kept per fd and reused, so a steady run allocates nothing.
struct Connection {
    std::array<char, input_capacity> input{};
    std::size_t input_used = 0;
    std::size_t scanned = 0;   // input[0, scanned) holds no request end
    std::vector<char> output;  // answers not yet sent; grows to the largest batch, then stays
    std::size_t output_sent = 0;
    bool waiting_writable = false;  // registered for EPOLLOUT instead of EPOLLIN
};

class Server {
public:
    Server(int listen_fd, int epoll_fd, int timer_fd)
        : listen_fd_(listen_fd), epoll_fd_(epoll_fd), timer_fd_(timer_fd) {}

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
        if (fd == timer_fd_) return tick();
        Connection& conn = *connections_[static_cast<std::size_t>(fd)];
        if (event.events & (EPOLLERR | EPOLLHUP)) return close_connection(fd, conn);
        if (event.events & EPOLLOUT) return on_writable(fd, conn);
        if (event.events & EPOLLIN) on_readable(fd, conn);
    }

    void tick() {
        std::uint64_t expirations = 0;
        if (read(timer_fd_, &expirations, sizeof expirations) > 0) response_.refresh_date();
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
            Connection& conn = *connections_[index];
            conn.input_used = conn.scanned = conn.output_sent = 0;
            conn.output.clear();
            conn.output.reserve(32 * CannedResponse::size());
            conn.waiting_writable = false;
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

        // Count the complete requests; each one's answer goes into the batch.
        std::size_t consumed = 0;
        std::size_t from = conn.scanned;
        for (;;) {
            const void* end =
                memmem(conn.input.data() + from, conn.input_used - from, "\r\n\r\n", 4);
            if (end == nullptr) break;
            consumed =
                static_cast<std::size_t>(static_cast<const char*>(end) - conn.input.data()) + 4;
            from = consumed;
            conn.output.insert(conn.output.end(), response_.data(),
                               response_.data() + response_.size());
        }

        // Keep the partial request at the front; the next scan restarts 3 bytes back so a
        // terminator split across reads is still found.
        std::size_t rest = conn.input_used - consumed;
        if (consumed > 0 && rest > 0)
            std::memmove(conn.input.data(), conn.input.data() + consumed, rest);
        conn.input_used = rest;
        conn.scanned = rest > 3 ? rest - 3 : 0;
        if (conn.input_used == conn.input.size()) return close_connection(fd, conn);

        if (!conn.output.empty()) flush(fd, conn);
    }

    void on_writable(int fd, Connection& conn) { flush(fd, conn); }

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
            if (conn.waiting_writable && watch(EPOLL_CTL_MOD, fd, EPOLLIN))
                conn.waiting_writable = false;
        } else if (!conn.waiting_writable) {
            if (!watch(EPOLL_CTL_MOD, fd, EPOLLOUT)) return close_connection(fd, conn);
            conn.waiting_writable = true;
        }
    }

    void close_connection(int fd, Connection& conn) {
        conn.input_used = conn.scanned = conn.output_sent = 0;
        conn.output.clear();
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
    int timer_fd_;
    CannedResponse response_;
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
        std::fprintf(stderr, "ceiling: bad port '%s'\n", argv[1]);
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
        std::fprintf(stderr, "ceiling: bad IPv4 host '%s'\n", host);
        return 2;
    }
    if (bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return fail("bind");
    if (listen(listen_fd, SOMAXCONN) < 0) return fail("listen");

    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) return fail("epoll_create1");
    int timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd < 0) return fail("timerfd_create");
    // Fire on each wall-clock second boundary, so the Date never lags by more than a tick.
    itimerspec every_second{};
    every_second.it_value.tv_sec = std::time(nullptr) + 1;
    every_second.it_interval.tv_sec = 1;
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &every_second, nullptr) < 0)
        return fail("timerfd_settime");

    for (int fd : {listen_fd, timer_fd}) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.fd = fd;
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0) return fail("epoll_ctl");
    }

    std::fprintf(stderr, "ceiling: listening on %s:%ld\n", host, port);
    Server(listen_fd, epoll_fd, timer_fd).run();
}

}  // namespace
}  // namespace lesto::bench

int main(int argc, char** argv) { return lesto::bench::run(argc, argv); }
