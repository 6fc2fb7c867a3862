// serve.cpp: a file's answer: plan, head, then the bytes by sendfile; static folders on top.
#include "files/serve.hpp"

#include "files/plan.hpp"
#include "response/status.hpp"

namespace lesto::files {

namespace {

/// The head of `spec` fitted to `head`, the request it answers.
void fit_to_request(http::ResponseSpec& spec, const http::RequestHead& head) {
    spec.version_minor = head.version_minor;
    spec.keep_alive = spec.keep_alive && head.keep_alive;
    spec.head_request = head.is_head();
}

Served refuse(Connection& conn, std::uint64_t seq, int status, std::string_view why) {
    conn.respond_error(seq, status, http::reason_phrase(status));
    return {status, 0, why, false};
}

}  // namespace

Served answer_file(Connection& conn, std::uint64_t seq, const http::RequestHead& head,
                   http::ResponseSpec& spec, OpenedFile&& file, std::int64_t now, void* token,
                   std::vector<http::Header>& scratch) {
    const http::FilePlan plan = http::plan_file_response(head, file.facts, now);
    scratch.assign(spec.headers.begin(), spec.headers.end());
    for (const http::Header& h : plan.headers()) scratch.push_back(h);
    const http::Header allow{"Allow", http::file_methods};
    if (plan.status == 405) scratch.push_back(allow);
    spec.headers = scratch;
    spec.status = plan.status;
    Served served{plan.status, plan.length, {}, false};
    if (plan.status == 200 || plan.status == 206) {
        OpenBody body;
        body.kind = OpenBody::Kind::file;
        body.fd = file.release();
        body.offset = plan.offset;
        body.remaining = plan.length;
        body.token = token;
        const OpenStatus st = conn.respond_open(seq, spec, body);
        served.body_follows = st == OpenStatus::open;
        if (st == OpenStatus::refused) served.status = 500;
        return served;
    }
    // 304, 405, 412, 416: the head alone, without the file's type (a 304
    // describes the representation the client has; the others have none).
    spec.content_type = {};
    spec.charset = {};
    spec.framing = http::Framing::length;
    spec.content_length = 0;
    if (!conn.respond(seq, spec)) served.status = 500;
    return served;
}

Served serve_static(Connection& conn, std::uint64_t seq, const http::RequestHead& head,
                    const StaticDir& dir, const ContentTypes& types, std::int64_t now, void* token,
                    std::vector<http::Header>& scratch) {
    MappedPath mapped = map_static_path(head.path.substr(dir.prefix.size()), dir.path_options);
    if (!mapped.ok()) return refuse(conn, seq, 404, refusal_reason(mapped.refusal));
    if (mapped.directory) {
        if (!dir.index) return refuse(conn, seq, 404, "the path names a folder");
        mapped.relative += mapped.relative.empty() ? "index.html" : "/index.html";
    }
    OpenedFile file = open_beneath(dir.root_fd, mapped.relative);
    if (!file.ok()) {
        return refuse(conn, seq, open_refusal_status(file.refusal),
                      open_refusal_reason(file.refusal));
    }
    const ContentType type = types.lookup(mapped.relative);
    http::ResponseSpec spec;
    fit_to_request(spec, head);
    spec.content_type = type.type;
    spec.charset = type.charset;
    spec.content_type_known = true;  // checked when the types were added
    const http::Header cache{"Cache-Control", dir.cache_control};
    if (!dir.cache_control.empty()) spec.headers = {&cache, 1};
    return answer_file(conn, seq, head, spec, std::move(file), now, token, scratch);
}

}  // namespace lesto::files
