// memory_test.cpp: net::Server's memory connections: a socket's behaviour with bytes in memory.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "invariant.hpp"
#include "net/server.hpp"
#include "support/responses.hpp"

namespace {

using lesto::Connection;
using lesto::OpenBody;
using lesto::OpenStatus;
using lesto::RequestRef;
using lesto::StreamStatus;
using lesto::net::MemoryState;
using lesto::net::Server;

/// A test application: answers each request with its path at once, unless
/// told to defer (the test answers through `answer`), to answer with a file,
/// or with a stream.
struct App : lesto::Dispatcher {
    enum class Mode { now, defer, file, stream };
    Mode mode = Mode::now;
    std::vector<std::uint64_t> seqs;
    std::vector<std::string> paths;
    std::vector<void*> abandoned, writable;
    int file_fd = -1;
    std::uint64_t file_size = 0;
    int token = 0;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        seqs.push_back(seq);
        paths.emplace_back(r.head.path);
        switch (mode) {
        case Mode::now:
            answer(conn, seq, std::string(r.head.path));
            break;
        case Mode::defer:
            conn.set_token(seq, &token);
            break;
        case Mode::file: {
            lesto::http::ResponseSpec spec;
            spec.content_type = "text/plain";
            OpenBody body;
            body.kind = OpenBody::Kind::file;
            body.fd = dup(file_fd);
            body.remaining = file_size;
            body.token = &token;
            EXPECT_EQ(conn.respond_open(seq, spec, body), OpenStatus::open);
            break;
        }
        case Mode::stream: {
            lesto::http::ResponseSpec spec;
            spec.content_type = "text/plain";
            OpenBody body;
            body.kind = OpenBody::Kind::stream;
            body.token = &token;
            EXPECT_EQ(conn.respond_open(seq, spec, body), OpenStatus::open);
            break;
        }
        }
    }
    void abandon(void* t) noexcept override { abandoned.push_back(t); }
    void body_writable(void* t) noexcept override { writable.push_back(t); }

    static void answer(Connection& conn, std::uint64_t seq, const std::string& body) {
        lesto::http::ResponseSpec spec;
        spec.body = body;
        spec.content_type = "text/plain";
        conn.respond(seq, spec);
    }
};

/// What the server tells the memory connections' client.
struct Events : lesto::net::MemoryEvents {
    std::vector<std::uint64_t> news;
    int flushes = 0;
    void memory_news(std::uint64_t id) noexcept override { news.push_back(id); }
    void memory_flush() noexcept override { ++flushes; }
};

struct MemoryTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::net::Timeouts timeouts;
    App app;
    Events events;
    std::unique_ptr<Server> server;

    void SetUp() override { make_server(); }
    void make_server() {
        server = std::make_unique<Server>(limits, timeouts, app);
        server->set_memory_events(&events);
    }
    /// A producer's service after a piece; the binding schedules the flush it asks for.
    void service_now(std::uint64_t id) {
        if (server->service_now(id)) ++events.flushes;
    }
    /// Serve what the event loop would: the flushes asked for.
    void run_loop() {
        while (events.flushes > 0) {
            events.flushes = 0;
            server->flush();
        }
    }
    /// Bodies of the final responses in `wire`, in order.
    static std::vector<std::string> bodies(const std::string& wire) {
        std::vector<std::string> out;
        for (const auto& r : lesto::test::read_responses(wire, lesto::test::fail_test))
            if (r.status != 100) out.push_back(r.body);
        return out;
    }
    static int temp_file(const std::string& text) {
        char name[] = "/tmp/lesto_memory_XXXXXX";
        const int fd = mkstemp(name);
        unlink(name);
        EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        return fd;
    }
};

constexpr std::string_view get_a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
constexpr std::string_view get_b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(MemoryTest, PipelinedRequestsAreAnsweredInOrderAndTheClientIsTold) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 5000);
    EXPECT_EQ(server->connection_count(), 1u);
    EXPECT_EQ(server->find(id)->remote_addr(), "127.0.0.1");
    EXPECT_EQ(server->find(id)->remote_port(), 5000);
    EXPECT_EQ(server->memory_input(id, std::string(get_a) + std::string(get_b)), 0u);
    EXPECT_EQ(events.news, (std::vector<std::uint64_t>{id}));
    EXPECT_EQ(bodies(server->take_memory_output(id)), (std::vector<std::string>{"/a", "/b"}));
    EXPECT_EQ(server->take_memory_output(id), "");
    const MemoryState state = server->memory_state(id);
    EXPECT_TRUE(state.idle);
    EXPECT_FALSE(state.output_ended);
    EXPECT_FALSE(state.closed);
}

TEST_F(MemoryTest, ARequestInPiecesIsAnsweredOnceWhole) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    for (char byte : get_a) server->memory_input(id, std::string_view(&byte, 1));
    EXPECT_EQ(bodies(server->take_memory_output(id)), (std::vector<std::string>{"/a"}));
}

TEST_F(MemoryTest, AnAnswerGivenLaterGoesOutWithTheFlushItAsksFor) {
    app.mode = App::Mode::defer;
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, get_a);
    EXPECT_FALSE(server->memory_state(id).idle);  // the request is owed an answer
    App::answer(*server->find(id), 0, "later");
    EXPECT_FALSE(server->memory_state(id).idle);  // the answer is not out of the engine yet
    EXPECT_TRUE(server->mark_dirty(id));          // what the binding does for a late answer
    server->flush();
    EXPECT_EQ(bodies(server->take_memory_output(id)), (std::vector<std::string>{"later"}));
    EXPECT_TRUE(server->memory_state(id).idle);
}

TEST_F(MemoryTest, EndOfInputAnswersWhatCameBeforeThenCloses) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, get_a);
    server->memory_input_ended(id);
    EXPECT_EQ(bodies(server->take_memory_output(id)), (std::vector<std::string>{"/a"}));
    const MemoryState state = server->memory_state(id);
    EXPECT_TRUE(state.output_ended);
    EXPECT_TRUE(state.closed);
    EXPECT_TRUE(state.idle);
    EXPECT_EQ(server->connection_count(), 0u);
    EXPECT_THROW(server->memory_input(id, get_b), std::invalid_argument);  // after its end
}

TEST_F(MemoryTest, ConnectionCloseHalfClosesAndTheClientsEndCloses) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(server->take_memory_output(id).find("Connection: close\r\n"), std::string::npos);
    MemoryState state = server->memory_state(id);
    EXPECT_TRUE(state.output_ended);
    EXPECT_FALSE(state.closed);                      // lingering: waiting for the client's end
    EXPECT_EQ(server->memory_input(id, get_b), 0u);  // dropped, as a lingering socket drops it
    EXPECT_EQ(app.paths.size(), 1u);
    EXPECT_EQ(server->take_memory_output(id), "");
    server->memory_input_ended(id);
    EXPECT_TRUE(server->memory_state(id).closed);
    EXPECT_EQ(server->connection_count(), 0u);
}

TEST_F(MemoryTest, ABadRequestIsAnsweredAndTheConnectionEnds) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id,
                         "GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         "Content-Length: 2\r\n\r\nab");
    const std::string out = server->take_memory_output(id);
    EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << out;
    EXPECT_TRUE(server->memory_state(id).output_ended);
}

TEST_F(MemoryTest, TheClientLeavingAbandonsUnansweredRequests) {
    app.mode = App::Mode::defer;
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, get_a);
    server->close_memory(id);
    EXPECT_EQ(app.abandoned, (std::vector<void*>{&app.token}));
    EXPECT_EQ(server->connection_count(), 0u);
    EXPECT_THROW(server->take_memory_output(id), std::invalid_argument);
    EXPECT_THROW(server->memory_state(id), std::invalid_argument);
}

TEST_F(MemoryTest, AFileIsReadIntoTheOutputAsSendfileWouldSendIt) {
    std::string text;
    for (int i = 0; text.size() < 3 * lesto::net::memory_window; ++i) text += std::to_string(i);
    app.mode = App::Mode::file;
    app.file_fd = temp_file(text);
    app.file_size = text.size();
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, std::string(get_a) + std::string(get_b));
    // The window holds the rest back until the client takes what is there.
    std::string wire = server->take_memory_output(id);
    EXPECT_EQ(wire.size(), lesto::net::memory_window);
    for (int turns = 0; turns < 20 && !server->memory_state(id).idle; ++turns) {
        run_loop();
        wire += server->take_memory_output(id);
    }
    EXPECT_EQ(bodies(wire), (std::vector<std::string>{text, text}));
    close(app.file_fd);
}

TEST_F(MemoryTest, AFullWindowHoldsAStreamBackUntilTheClientTakesIt) {
    app.mode = App::Mode::stream;
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, get_a);
    Connection& conn = *server->find(id);
    const std::string piece(16 * 1024, 'x');
    std::size_t given = 0;
    for (int i = 0; i < 64 && app.writable.empty(); ++i) {
        // A producer gives pieces until told to wait, the engine serving after each.
        const StreamStatus status = conn.stream_write(0, piece);
        given += piece.size();
        service_now(id);
        if (status == StreamStatus::full) break;
        ASSERT_EQ(status, StreamStatus::ok);
    }
    EXPECT_LT(given, 64 * piece.size());  // it was told to wait
    run_loop();
    EXPECT_TRUE(app.writable.empty());  // and is not told to go on while the window is full
    EXPECT_TRUE(app.writable.empty());
    std::string wire = server->take_memory_output(id);  // room: the engine sends on
    run_loop();
    EXPECT_EQ(app.writable, (std::vector<void*>{&app.token}));
    EXPECT_EQ(conn.stream_end(0), StreamStatus::ok);
    service_now(id);
    run_loop();
    wire += server->take_memory_output(id);
    EXPECT_EQ(bodies(wire), (std::vector<std::string>{std::string(given, 'x')}));
}

TEST_F(MemoryTest, InputBeyondWhatTheConnectionTakesWaitsAndIsReadLater) {
    limits.max_in_flight = 2;
    make_server();
    app.mode = App::Mode::defer;
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    std::string three = std::string(get_a) + std::string(get_a) + std::string(get_b);
    // All of it is read (it fits one read); the third request waits in the connection.
    server->memory_input(id, three);
    EXPECT_EQ(app.paths.size(), 2u);
    // Now the connection reads nothing: the bytes wait in the pipe, as in TCP.
    EXPECT_EQ(server->memory_input(id, get_b), get_b.size());
    EXPECT_EQ(server->memory_state(id).input_waiting, get_b.size());
    App::answer(*server->find(id), 0, "0");
    App::answer(*server->find(id), 1, "1");
    server->mark_dirty(id);
    server->flush();
    run_loop();
    ASSERT_EQ(app.paths.size(), 4u);
    EXPECT_EQ(server->memory_state(id).input_waiting, 0u);
    App::answer(*server->find(id), 2, "2");
    App::answer(*server->find(id), 3, "3");
    server->mark_dirty(id);
    server->flush();
    EXPECT_EQ(bodies(server->take_memory_output(id)),
              (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST_F(MemoryTest, ClosingTheServerClosesMemoryConnectionsWhoseOutputStaysReadable) {
    const std::uint64_t id = server->open_memory("127.0.0.1", 0);
    server->memory_input(id, get_a);
    server->close_all();
    EXPECT_TRUE(server->memory_state(id).closed);
    EXPECT_EQ(bodies(server->take_memory_output(id)), (std::vector<std::string>{"/a"}));
    EXPECT_EQ(server->memory_input(id, get_b), 0u);
}

TEST_F(MemoryTest, AnUnknownIdIsRefusedWithItsNumber) {
    try {
        server->memory_input(42, get_a);
        FAIL() << "no exception";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("42"), std::string::npos);
    }
}

}  // namespace
