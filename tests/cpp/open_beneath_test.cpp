// open_beneath_test.cpp: opening files below a real temporary folder: symlinks, FIFOs, modes.
#include "files/open_beneath.hpp"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using lesto::files::open_beneath;
using lesto::files::open_beneath_by_walk;
using lesto::files::OpenedFile;
using lesto::files::OpenRefusal;

constexpr OpenRefusal ok = OpenRefusal::none;

struct OpenCase {
    const char* path;
    OpenRefusal with_openat2;
    OpenRefusal by_walk;  ///< the fallback refuses every symlink and ".."
};

const OpenCase open_cases[] = {
    {"hello.txt", ok, ok},
    {"sub/inner.txt", ok, ok},
    {"sub/deeper/x.txt", ok, ok},
    {"empty.txt", ok, ok},
    // Symlinks that stay inside: followed by openat2, refused by the walk.
    {"link_in", ok, OpenRefusal::escapes_root},
    {"sub/link_up", ok, OpenRefusal::escapes_root},
    {"dir_link/inner.txt", ok, OpenRefusal::escapes_root},
    {"sub/../hello.txt", ok, OpenRefusal::escapes_root},
    // Ways out.
    {"link_out", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"link_abs", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"link_abs_in", OpenRefusal::escapes_root,
     OpenRefusal::escapes_root},  // absolute: out, even to inside
    {"dir_link_out/outside.txt", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"sub/deeper/link_far_out", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"../outside.txt", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"sub/../../outside.txt", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"proc_self/etc/passwd", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"loop1", OpenRefusal::escapes_root, OpenRefusal::escapes_root},
    {"/etc/passwd", OpenRefusal::escapes_root, OpenRefusal::not_found},
    // Nothing there.
    {"missing.txt", OpenRefusal::not_found, OpenRefusal::not_found},
    {"sub/missing/x", OpenRefusal::not_found, OpenRefusal::not_found},
    {"hello.txt/x", OpenRefusal::not_found, OpenRefusal::not_found},
    {"dangling", OpenRefusal::not_found, OpenRefusal::escapes_root},
    {"", OpenRefusal::not_found, OpenRefusal::not_found},
    // Not regular files.
    {"sub", OpenRefusal::directory, OpenRefusal::directory},
    {"sub/deeper", OpenRefusal::directory, OpenRefusal::directory},
    {"fifo", OpenRefusal::not_regular, OpenRefusal::not_regular},
    {"socket", OpenRefusal::not_regular, OpenRefusal::not_regular},
    {"null", OpenRefusal::not_regular,
     OpenRefusal::not_regular},  // a device node, when mknod is allowed
};

void write_file(const std::string& path, std::string_view text, mode_t mode = 0644) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
    ::chmod(path.c_str(), mode);  // the umask may have narrowed it
}

/// A temporary folder: top/outside.txt, and below top/root every kind of entry of the table.
struct OpenBeneathTest : ::testing::Test {
    std::string top, root;
    int root_fd = -1;
    bool have_device = false;

    void SetUp() override {
        char tmpl[] = "/tmp/lesto-files-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        top = tmpl;
        ::chmod(top.c_str(), 0755);
        root = top + "/root";
        ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir((root + "/sub").c_str(), 0755), 0);
        ASSERT_EQ(::mkdir((root + "/sub/deeper").c_str(), 0755), 0);
        write_file(top + "/outside.txt", "outside");
        write_file(root + "/hello.txt", "hello world");
        write_file(root + "/empty.txt", "");
        write_file(root + "/sub/inner.txt", "inner");
        write_file(root + "/sub/deeper/x.txt", "x");
        write_file(root + "/secret.txt", "secret", 0000);
        const auto link = [this](const std::string& target, const char* name) {
            ASSERT_EQ(::symlink(target.c_str(), (root + "/" + name).c_str()), 0) << name;
        };
        link("hello.txt", "link_in");
        link("../hello.txt", "sub/link_up");
        link("sub", "dir_link");
        link("../outside.txt", "link_out");
        link("/etc/passwd", "link_abs");
        link(root + "/hello.txt", "link_abs_in");
        link("..", "dir_link_out");
        link("../../../outside.txt", "sub/deeper/link_far_out");
        link("/proc/self/root", "proc_self");
        link("loop2", "loop1");
        link("loop1", "loop2");
        link("nowhere.txt", "dangling");
        ASSERT_EQ(::mkfifo((root + "/fifo").c_str(), 0644), 0);
        const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(s, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string sock = root + "/socket";
        ASSERT_LT(sock.size(), sizeof addr.sun_path);
        sock.copy(addr.sun_path, sock.size());
        ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ::close(s);
        // A character device (like /dev/null) where this machine lets us make one.
        have_device = ::mknod((root + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
        root_fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(root_fd, 0);
    }

    void TearDown() override {
        if (root_fd >= 0) ::close(root_fd);
        const std::string cmd = "rm -rf '" + top + "'";
        EXPECT_EQ(std::system(cmd.c_str()), 0);
    }

    static std::string read_all(int fd) {
        std::string out;
        char buf[256];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

    void check_table(OpenedFile (*open_fn)(int, std::string_view), bool walk) {
        for (const OpenCase& c : open_cases) {
            if (std::string_view(c.path) == "null" && !have_device) continue;
            const OpenRefusal want = walk ? c.by_walk : c.with_openat2;
            OpenedFile f = open_fn(root_fd, c.path);
            EXPECT_EQ(f.refusal, want)
                << c.path << (walk ? " (walk)" : " (openat2)") << ": "
                << lesto::files::open_refusal_reason(f.refusal) << ", errno " << f.error;
            EXPECT_EQ(f.ok(), want == ok) << c.path;
            if (!f.ok()) {
                EXPECT_EQ(f.fd(), -1) << c.path;
                continue;
            }
            struct stat st {};
            ASSERT_EQ(::fstat(f.fd(), &st), 0);
            EXPECT_TRUE(S_ISREG(st.st_mode)) << c.path;
            EXPECT_EQ(f.facts.size, static_cast<std::uint64_t>(st.st_size)) << c.path;
            EXPECT_EQ(f.facts.mtime_ns, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
            EXPECT_NE(::fcntl(f.fd(), F_GETFD) & FD_CLOEXEC, 0) << c.path;
            EXPECT_EQ(::fcntl(f.fd(), F_GETFL) & O_ACCMODE, O_RDONLY) << c.path;
        }
    }
};

std::size_t open_fds() {
    std::size_t n = 0;
    DIR* d = ::opendir("/proc/self/fd");
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
    return n;
}

TEST_F(OpenBeneathTest, WithOpenat2EveryCaseOfTheTable) { check_table(open_beneath, false); }

TEST_F(OpenBeneathTest, TheFallbackWalkEveryCaseOfTheTable) {
    check_table(open_beneath_by_walk, true);
}

TEST_F(OpenBeneathTest, ReadsTheFileItOpened) {
    OpenedFile f = open_beneath(root_fd, "sub/inner.txt");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(read_all(f.fd()), "inner");
    OpenedFile g = open_beneath(root_fd, "link_in");
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(read_all(g.fd()), "hello world");
    EXPECT_EQ(g.facts.size, 11u);
}

TEST_F(OpenBeneathTest, NoDescriptorLeaks) {
    const std::size_t before = open_fds();
    for (int i = 0; i < 3; ++i) {
        check_table(open_beneath, false);
        check_table(open_beneath_by_walk, true);
    }
    EXPECT_EQ(open_fds(), before);
    OpenedFile f = open_beneath(root_fd, "hello.txt");
    const int fd = f.release();
    EXPECT_FALSE(f.ok());
    EXPECT_EQ(open_fds(), before + 1);
    ::close(fd);
    OpenedFile a = open_beneath(root_fd, "hello.txt");
    OpenedFile b = open_beneath(root_fd, "sub/inner.txt");
    a = std::move(b);  // closes a's descriptor
    EXPECT_EQ(open_fds(), before + 1);
    EXPECT_EQ(read_all(a.fd()), "inner");
}

TEST_F(OpenBeneathTest, AFileTheServerMayNotReadIsForbidden) {
    // root reads any file; the check runs as "nobody" in a child process.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
            ::_exit(10);
        OpenedFile f = open_beneath(root_fd, "secret.txt");
        OpenedFile w = open_beneath_by_walk(root_fd, "secret.txt");
        const bool both = f.refusal == OpenRefusal::forbidden && f.error == EACCES &&
                          w.refusal == OpenRefusal::forbidden;
        ::_exit(both ? 0 : 11);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "10: could not drop privileges, 11: not refused as forbidden";
}

TEST(OpenRefusals, EachHasAStatusAndAReason) {
    for (int r = 1; r <= static_cast<int>(OpenRefusal::error); ++r) {
        const auto refusal = static_cast<OpenRefusal>(r);
        EXPECT_EQ(lesto::files::open_refusal_status(refusal),
                  refusal == OpenRefusal::error ? 500 : 404);
        EXPECT_FALSE(lesto::files::open_refusal_reason(refusal).empty());
    }
}

TEST(OpenBeneath, ABadRootIsAnError) {
    OpenedFile f = open_beneath(-1, "x");
    EXPECT_EQ(f.refusal, OpenRefusal::error);
    EXPECT_EQ(f.error, EBADF);
    OpenedFile w = open_beneath_by_walk(-1, "x");
    EXPECT_EQ(w.refusal, OpenRefusal::error);
}

}  // namespace
