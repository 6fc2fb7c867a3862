// serve_test.cpp: static folders and file answers end to end over a Connection and a real folder.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "files/serve.hpp"
#include "invariant.hpp"
#include "support/responses.hpp"

namespace {

using lesto::Connection;
using lesto::RequestRef;
using lesto::files::Served;

/// Serves every request from `dir`, recording what each answer did.
struct App : lesto::Dispatcher {
    const lesto::files::StaticDir* dir = nullptr;
    const lesto::files::ContentTypes* types = nullptr;
    std::vector<Served> served;
    std::vector<lesto::http::Header> scratch;
    int token = 0;

    void dispatch(Connection& conn, std::uint64_t seq, const RequestRef& r) override {
        served.push_back(lesto::files::serve_static(conn, seq, r.head, *dir, *types,
                                                    std::time(nullptr), &token, scratch));
    }
    void abandon(void*) noexcept override {}
};

struct ServeTest : ::testing::Test {
    lesto::ConnectionLimits limits;
    lesto::http::DateCache date;
    lesto::files::ContentTypes types;
    lesto::files::StaticDir dir;
    App app;
    std::string root;

    void SetUp() override {
        char name[] = "/tmp/lesto_serve_XXXXXX";
        root = mkdtemp(name);
        write_file("hello.txt", "hello, world");
        mkdir((root + "/docs").c_str(), 0755);
        write_file("docs/index.html", "<p>index</p>");
        write_file(".env", "SECRET=1");
        symlink("/etc/passwd", (root + "/out").c_str());
        types.add(".txt", "text/plain");
        types.add(".html", "text/html");
        dir.prefix = "/static/";
        dir.root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        app.dir = &dir;
        app.types = &types;
    }
    void TearDown() override {
        close(dir.root_fd);
        std::system(("rm -rf " + root).c_str());
    }
    void write_file(const std::string& rel, const std::string& text) {
        const int fd = open((root + "/" + rel).c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        close(fd);
    }
    /// The wire for `request`, the file's bytes read where sendfile would send them.
    std::string exchange(const std::string& request) {
        Connection c(1, limits, app, date);
        auto space = c.input_space(request.size());
        std::memcpy(space.data(), request.data(), request.size());
        c.input_commit(request.size());
        c.process();
        std::string wire;
        for (;;) {
            wire += c.output().view();
            c.output_sent(c.output().size());
            const lesto::OpenBody* f = c.file_to_send();
            if (!f) break;
            std::string bytes(f->remaining, '\0');
            EXPECT_EQ(pread(f->fd, bytes.data(), bytes.size(), static_cast<off_t>(f->offset)),
                      static_cast<ssize_t>(bytes.size()));
            wire += bytes;
            c.file_sent(bytes.size());
        }
        return wire;
    }
    lesto::test::Response one(const std::string& request) {
        const auto rs = lesto::test::read_responses(exchange(request), lesto::test::fail_test);
        EXPECT_EQ(rs.size(), 1u);
        return rs.empty() ? lesto::test::Response{} : rs[0];
    }
    static std::string get(const std::string& path, const std::string& more = "") {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + more + "\r\n";
    }
};

TEST_F(ServeTest, AFileIsSentWithItsTypeAndValidators) {
    const auto r = one(get("/static/hello.txt"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello, world");
    EXPECT_EQ(r.field("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_FALSE(r.field("ETag").empty());
    EXPECT_FALSE(r.field("Last-Modified").empty());
    EXPECT_EQ(r.field("Accept-Ranges"), "bytes");
}

TEST_F(ServeTest, ARangeGives206AndAnUnsatisfiableOne416) {
    auto r = one(get("/static/hello.txt", "Range: bytes=7-\r\n"));
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.body, "world");
    EXPECT_EQ(r.field("Content-Range"), "bytes 7-11/12");
    r = one(get("/static/hello.txt", "Range: bytes=50-\r\n"));
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(r.field("Content-Range"), "bytes */12");
    r = one(get("/static/hello.txt", "Range: lines=1-2\r\n"));
    EXPECT_EQ(r.status, 200);  // malformed: ignored
}

TEST_F(ServeTest, ATagTheClientHasGives304) {
    const std::string etag(one(get("/static/hello.txt")).field("ETag"));
    const auto r = one(get("/static/hello.txt", "If-None-Match: " + etag + "\r\n"));
    EXPECT_EQ(r.status, 304);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.field("Content-Type"), "");
}

TEST_F(ServeTest, EveryWayOutOfTheFolderIs404) {
    for (const char* path :
         {"/static/../secret", "/static/%2e%2e/x", "/static/a%2fb", "/static/a%5cb", "/static/a\\b",
          "/static/%00", "/static//etc/passwd", "/static/.env", "/static/out", "/static/docs",
          "/static/missing", "/static/%c0%ae%c0%ae/x"}) {
        const auto r = one(get(path));
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_FALSE(app.served.back().refusal.empty()) << path;
    }
}

TEST_F(ServeTest, AFolderServesItsIndexOnlyWhenAskedTo) {
    EXPECT_EQ(one(get("/static/docs/")).status, 404);
    dir.index = true;
    const auto r = one(get("/static/docs/"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<p>index</p>");
    EXPECT_EQ(r.field("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(ServeTest, HeadSendsTheHeadAndOtherMethodsGet405) {
    auto wire = exchange("HEAD /static/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(wire.find("Content-Length: 12"), std::string::npos);
    EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
    const auto r = one("POST /static/hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.field("Allow"), "GET, HEAD");
}

TEST_F(ServeTest, CacheControlIsSentWhenConfigured) {
    dir.cache_control = "public, max-age=3600";
    EXPECT_EQ(one(get("/static/hello.txt")).field("Cache-Control"), "public, max-age=3600");
}

}  // namespace
