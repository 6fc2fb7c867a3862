// server_batch_test.cpp: net::Server::poll over real sockets: a batch of ready
// connections is served in passes (read, answer, send), each connection's
// answers in order, one that resets in the batch closed alone.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "net/server.hpp"
#include "support/responses.hpp"

namespace {

using lesto::Connection;
using lesto::RequestRef;
using lesto::net::Server;

/// Answers each request with its path. While it answers, it looks whether
/// any client has been sent something yet: in passes, none has.
struct App : lesto::Dispatcher {
    std::vector<int>* clients = nullptr;
    std::vector<std::string> paths;
    int answered_before_all_dispatched = 0;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        paths.emplace_back(r.head.path);
        for (int fd : *clients) {
            char c;
            if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) ++answered_before_all_dispatched;
        }
        lesto::http::ResponseSpec spec;
        spec.body = r.head.path;
        spec.content_type = "text/plain";
        conn.respond(seq, spec);
    }
    void abandon(void*) noexcept override {}
};

/// A listening socket on a free loopback port: (fd, port).
std::pair<int, std::uint16_t> listen_loopback() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd, 128), 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return {fd, ntohs(addr.sin_port)};
}

int connect_to(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval timeout{5, 0};  // a missing answer fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

/// Set by `partial`: the bytes read so far end inside a response.
bool incomplete = false;
void partial(const char*, int, const char*, const std::string&) { incomplete = true; }

/// The bodies of the `count` responses `fd` receives.
std::vector<std::string> read_bodies(int fd, std::size_t count) {
    std::string wire;
    char buf[4096];
    for (;;) {
        incomplete = false;
        std::vector<std::string> bodies;
        for (const auto& r : lesto::test::read_responses(wire, partial)) bodies.push_back(r.body);
        if (!incomplete && bodies.size() >= count) return bodies;
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return bodies;
        wire.append(buf, static_cast<std::size_t>(n));
    }
}

TEST(ServerBatch, ReadyConnectionsAreAnsweredInPassesEachInOrder) {
    lesto::ConnectionLimits limits;
    lesto::net::Timeouts timeouts;
    App app;
    std::vector<int> clients;
    app.clients = &clients;
    Server server(limits, timeouts, app);
    auto [listener, port] = listen_loopback();
    server.add_listener(listener);

    constexpr int count = 20;
    constexpr int resetting = 7;
    for (int i = 0; i < count; ++i) clients.push_back(connect_to(port));
    while (server.connection_count() < count) server.poll();

    for (int i = 0; i < count; ++i) {
        std::string two;
        for (int k = 0; k < 2; ++k)
            two += "GET /c" + std::to_string(i) + "-" + std::to_string(k) +
                   " HTTP/1.1\r\nHost: x\r\n\r\n";
        ASSERT_EQ(send(clients[i], two.data(), two.size(), 0), static_cast<ssize_t>(two.size()));
    }
    // One client resets its connection, its requests unread: the batch
    // closes it when it reads, and serves the others as if it never was.
    linger reset{1, 0};
    setsockopt(clients[resetting], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(clients[resetting]);
    clients.erase(clients.begin() + resetting);

    usleep(20'000);  // every request is in before the poll: one batch
    server.poll();
    EXPECT_EQ(app.answered_before_all_dispatched, 0);
    EXPECT_EQ(app.paths.size(), 2u * (count - 1));
    for (int i = 0, c = 0; i < count; ++i) {
        if (i == resetting) continue;
        const std::string prefix = "/c" + std::to_string(i) + "-";
        EXPECT_EQ(read_bodies(clients[c], 2),
                  (std::vector<std::string>{prefix + "0", prefix + "1"}));
        ++c;
    }
    EXPECT_EQ(server.connection_count(), static_cast<std::size_t>(count - 1));
    for (int fd : clients) close(fd);
}

}  // namespace
