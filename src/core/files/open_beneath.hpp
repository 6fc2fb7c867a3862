// open_beneath.hpp: opening a regular file below a root directory, with no way out of it.
#pragma once

#include "files/validators.hpp"

#include <cstdint>
#include <string_view>

namespace lesto::files {

/// Why no file was opened. `open_refusal_status` gives the answer.
enum class OpenRefusal : std::uint8_t {
    none,
    not_found,     ///< ENOENT, ENOTDIR, ENAMETOOLONG, an empty path (404)
    forbidden,     ///< EACCES, EPERM: exists but unreadable to us (404, see below)
    escapes_root,  ///< a symlink or ".." leading out of the root; without openat2, any symlink
                   ///< (404)
    directory,     ///< a directory: the caller may try its index file (404)
    not_regular,   ///< a FIFO, socket or device (404)
    error,         ///< anything else (EMFILE, ENOMEM, EIO...): see `error` (500)
};

/// 404 for every refusal that is about the file, so that a client cannot
/// tell a file it may not read (or a symlink out) from one that does not
/// exist: that would map the folder for it. The log line (`error`, the
/// reason) says which; 500 for `error`, the server's own trouble.
int open_refusal_status(OpenRefusal r) noexcept;

/// Words for a log line; empty for `none`.
std::string_view open_refusal_reason(OpenRefusal r) noexcept;

class OpenedFile;

namespace detail {
/// Keeps the opened `fd` if fstat says it is a regular file, else closes it.
OpenedFile adopt_regular_file(int fd);
}  // namespace detail

/// An opened file, or why not. Owns `fd` (closed by the destructor unless
/// released); move-only.
class OpenedFile {
public:
    OpenedFile() = default;
    OpenedFile(OpenedFile&& other) noexcept;
    OpenedFile& operator=(OpenedFile&& other) noexcept;
    OpenedFile(const OpenedFile&) = delete;
    OpenedFile& operator=(const OpenedFile&) = delete;
    ~OpenedFile();

    bool ok() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }
    /// Hands the descriptor to the caller, who closes it.
    int release() noexcept;

    http::FileFacts facts;  ///< from fstat of the opened file
    OpenRefusal refusal = OpenRefusal::none;
    int error = 0;  ///< the errno behind a refusal, 0 when none

private:
    friend OpenedFile detail::adopt_regular_file(int fd);
    int fd_ = -1;
};

/// Opens the file at `path`, which the app named (Response(file=...)): any
/// path, symlinks followed; a regular file, as open_beneath's are.
OpenedFile open_file(const char* path);

/// Opens `relative_path` (from map_static_path) below the directory
/// `root_dir_fd` for reading, O_RDONLY | O_CLOEXEC | O_NOCTTY |
/// O_NONBLOCK: O_NONBLOCK so that a FIFO in the folder cannot block the
/// event loop in open(2); it changes nothing for a regular file's reads
/// or sendfile(2).
///
/// Resolution is the kernel's, with openat2(2) RESOLVE_BENEATH |
/// RESOLVE_NO_MAGICLINKS (Linux 5.6+): a symlink that stays below the root
/// is followed, one that leads out ("..", or any absolute target, even one
/// that points back inside) is refused, as are /proc magic links. Where
/// openat2 answers ENOSYS (an older kernel or a seccomp filter), it falls
/// back to `open_beneath_by_walk`, which refuses every symlink.
///
/// Then fstat: only a regular file is kept; anything else is closed and
/// refused. A device node in the folder is opened (and closed) before
/// fstat tells it apart, so keep devices out of static folders.
OpenedFile open_beneath(int root_dir_fd, std::string_view relative_path);

/// The fallback: one openat(2) per component with O_NOFOLLOW (O_DIRECTORY
/// for every component but the last), refusing every symlink, "." and
/// ".." and empty components. Exposed so the tests run it on kernels that
/// have openat2.
OpenedFile open_beneath_by_walk(int root_dir_fd, std::string_view relative_path);

}  // namespace lesto::files
