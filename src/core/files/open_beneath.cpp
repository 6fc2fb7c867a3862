// open_beneath.cpp: openat2(2) RESOLVE_BENEATH, a no-symlink walk where it is missing, then fstat.
#include "files/open_beneath.hpp"

#include <cerrno>
#include <fcntl.h>
#include <limits>
#include <linux/openat2.h>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <utility>

namespace lesto::files {
namespace {

struct RefusalInfo {
    int status;
    std::string_view reason;
};

// One table: the enum's order.
constexpr RefusalInfo refusals[] = {
    {200, ""},
    {404, "no such file"},
    {404, "the file is not readable by the server (permission denied)"},
    {404, "the path leads out of the static folder (a symlink or '..')"},
    {404, "the path names a directory"},
    {404, "the path names a FIFO, socket or device, not a regular file"},
    {500, "the file could not be opened"},
};
static_assert(sizeof refusals / sizeof refusals[0] ==
              static_cast<std::size_t>(OpenRefusal::error) + 1);

constexpr int read_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

/// What an errno from open says of the file.
OpenRefusal refusal_of(int err) noexcept {
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return OpenRefusal::not_found;
    case EACCES:
    case EPERM:
        return OpenRefusal::forbidden;
    // EXDEV: RESOLVE_BENEATH refused a way out; ELOOP: a symlink the
    // walk (O_NOFOLLOW) or RESOLVE_NO_MAGICLINKS refused, or a loop.
    case EXDEV:
    case ELOOP:
        return OpenRefusal::escapes_root;
    // A socket (ENXIO) or a device without a driver (ENODEV).
    case ENXIO:
    case ENODEV:
        return OpenRefusal::not_regular;
    default:
        return OpenRefusal::error;
    }
}

/// st_mtim as nanoseconds, saturated where int64 ends (year 2262).
std::int64_t mtime_ns(const struct stat& st) noexcept {
    constexpr std::int64_t billion = 1000000000;
    constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    const std::int64_t sec = st.st_mtim.tv_sec;
    if (sec > max / billion - 1) return max;
    if (sec < min / billion + 1) return min;
    return sec * billion + st.st_mtim.tv_nsec;
}

}  // namespace

int open_refusal_status(OpenRefusal r) noexcept {
    return refusals[static_cast<std::size_t>(r)].status;
}

std::string_view open_refusal_reason(OpenRefusal r) noexcept {
    return refusals[static_cast<std::size_t>(r)].reason;
}

OpenedFile::OpenedFile(OpenedFile&& other) noexcept
    : facts(other.facts), refusal(other.refusal), error(other.error),
      fd_(std::exchange(other.fd_, -1)) {}

OpenedFile& OpenedFile::operator=(OpenedFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        facts = other.facts;
        refusal = other.refusal;
        error = other.error;
    }
    return *this;
}

OpenedFile::~OpenedFile() {
    if (fd_ >= 0) ::close(fd_);
}

int OpenedFile::release() noexcept { return std::exchange(fd_, -1); }

namespace {

OpenedFile refused(OpenRefusal r, int err) {
    OpenedFile f;
    f.refusal = r;
    f.error = err;
    return f;
}

}  // namespace

OpenedFile detail::adopt_regular_file(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return refused(OpenRefusal::error, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return refused(S_ISDIR(st.st_mode) ? OpenRefusal::directory : OpenRefusal::not_regular, 0);
    }
    OpenedFile f;
    f.fd_ = fd;
    f.facts = {static_cast<std::uint64_t>(st.st_size), mtime_ns(st)};
    return f;
}

OpenedFile open_beneath_by_walk(int root_dir_fd, std::string_view relative_path) {
    if (relative_path.empty() || relative_path.find('\0') != std::string_view::npos)
        return refused(OpenRefusal::not_found, ENOENT);
    int dir = root_dir_fd;
    std::string name;
    const auto close_dir = [&] {
        if (dir != root_dir_fd) ::close(dir);
    };
    while (true) {
        const std::size_t slash = relative_path.find('/');
        name.assign(relative_path.substr(0, slash));
        if (name.empty() || name == "." || name == "..") {
            close_dir();
            return refused(name.empty() ? OpenRefusal::not_found : OpenRefusal::escapes_root,
                           name.empty() ? ENOENT : EXDEV);
        }
        const bool last = slash == std::string_view::npos;
        const int flags =
            last ? read_flags | O_NOFOLLOW : O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
        int fd;
        do fd = ::openat(dir, name.c_str(), flags);
        while (fd < 0 && errno == EINTR);
        int err = errno;
        // O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR, as for
        // a file: ask which it was, so a symlink is refused as one.
        struct stat st {};
        if (fd < 0 && err == ENOTDIR && !last &&
            ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            err = ELOOP;
        }
        close_dir();
        if (fd < 0) return refused(refusal_of(err), err);
        if (last) {
            return detail::adopt_regular_file(fd);
        }
        dir = fd;
        relative_path.remove_prefix(slash + 1);
    }
}

OpenedFile open_file(const char* path) {
    int fd;
    do fd = ::open(path, read_flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return refused(refusal_of(errno), errno);
    return detail::adopt_regular_file(fd);
}

OpenedFile open_beneath(int root_dir_fd, std::string_view relative_path) {
    if (relative_path.empty() || relative_path.find('\0') != std::string_view::npos)
        return refused(OpenRefusal::not_found, ENOENT);
    const std::string path(relative_path);
    open_how how{};
    how.flags = read_flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd = -1;
    // EAGAIN: the kernel saw a rename or mount race while resolving and
    // would rather be asked again than risk a wrong answer.
    for (int attempt = 0; attempt < 8; ++attempt) {
        do
            fd = static_cast<int>(
                ::syscall(SYS_openat2, root_dir_fd, path.c_str(), &how, sizeof how));
        while (fd < 0 && errno == EINTR);
        if (fd >= 0 || errno != EAGAIN) break;
    }
    if (fd < 0) {
        const int err = errno;
        if (err == ENOSYS) return open_beneath_by_walk(root_dir_fd, relative_path);
        return refused(refusal_of(err), err);
    }
    return detail::adopt_regular_file(fd);
}

}  // namespace lesto::files
