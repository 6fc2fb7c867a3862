// serve.hpp: answering a request with a file: a Response(file=...)'s, or one under a static folder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "files/content_types.hpp"
#include "files/open_beneath.hpp"
#include "files/static_path.hpp"
#include "pipeline/connection.hpp"

namespace lesto::files {

/// What answering with a file did: for the access line, and the log line of a refusal.
struct Served {
    int status = 0;
    std::uint64_t length = 0;  ///< Content-Length answered (0 for errors)
    std::string_view refusal;  ///< why no file was sent (a 404...), empty when one was
    bool body_follows =
        false;  ///< an open body took the token: Dispatcher::body_finished will come
};

/// Answers request `seq` (of `head`) with the opened `file`, as RFC 9110
/// plans it for the request's conditions and Range (plan.hpp): 200 or 206
/// with the bytes sent by sendfile after the head, or 304, 405, 412, 416
/// with the head alone. `spec` is the caller's: its type, version,
/// keep-alive and the app's headers; the plan's fields are added to
/// `spec.headers` through `scratch`. `token` is the open body's, handed back
/// to `body_finished` when the bytes have gone.
Served answer_file(Connection& conn, std::uint64_t seq, const http::RequestHead& head,
                   http::ResponseSpec& spec, OpenedFile&& file, std::int64_t now, void* token,
                   std::vector<http::Header>& scratch);

/// A folder served below a URL prefix, entirely by the engine.
struct StaticDir {
    std::string prefix;  ///< "/static/": always ends in '/'
    int root_fd = -1;    ///< the folder, opened O_PATH | O_DIRECTORY
    PathOptions path_options;
    bool index = false;         ///< a path ending in '/' serves its index.html
    std::string cache_control;  ///< a Cache-Control value, or empty for none
};

/// Answers a request whose path starts with `dir.prefix`: GET and HEAD of a
/// file below the folder (the path mapped by map_static_path, opened by
/// open_beneath: nothing outside the folder), 405 for other methods, 404
/// for every path that names nothing served, whatever the reason (it is in
/// `Served::refusal`).
Served serve_static(Connection& conn, std::uint64_t seq, const http::RequestHead& head,
                    const StaticDir& dir, const ContentTypes& types, std::int64_t now, void* token,
                    std::vector<http::Header>& scratch);

}  // namespace lesto::files
